#pragma once
// Pooled HTTP/1.1 client for the relay hot path: the chain call (PROTOCOL §10.1-10.2) and the servicer
// notification (§8.2-8.3). It reproduces the Go net/http client the reference uses (http.Client with a
// cloned DefaultTransport) where a backend could tell the difference, and is several times faster than
// QNetworkAccessManager (6 connections per host in Qt 6.4, one read() per header byte; QT64-NOTES).
//
// Threading: an HttpClient lives in the thread that created it (its QObject thread) and is NOT
// thread-safe. Call send() only from that thread; callbacks run in that thread, from its event loop.
// Code on other threads uses its own client (one client per thread; pools are not shared). Do not
// moveToThread() a client that has sent a request (its sockets would stay behind).
//
// Go behaviour kept (see the .cpp for the details and the Go functions they mirror):
// * one pool per scheme+host+port; keep-alive reuse, most recently used idle connection first; at most
//   maxConnsPerHost connections per host, further requests wait in FIFO order; idle connections close
//   after idleTimeoutMs; a request that meets a keep-alive connection the server had already closed
//   (nothing received) is retried on another connection when Go would retry it: nothing was written, or
//   the method is GET/HEAD/OPTIONS/TRACE, or an Idempotency-Key / X-Idempotency-Key header is present.
// * request bytes, URL handling (HttpUrl), transparent gzip, redirects, `Connection: close`, error
//   classes (HttpErrorKind) as documented in httpmessage.h. Redirects copy the first request's headers
//   to every hop, add Go's Referer, and drop Authorization/Www-Authenticate/Cookie/Cookie2 for good once
//   a hop leaves the first host and its subdomains (the Go >= 1.22 rule; 1.19 compared hop by hop).
// Callbacks are delivered from a zero-timer (or posted event) of the client, never from inside a socket
// signal: a callback may send(), destroy the client, or even wait in a nested event loop.
// Not done: HTTP proxies from the environment (Go's ProxyFromEnvironment), HTTP/2, `Expect:
// 100-continue` (the body is sent at once), Go's 30 s TCP keep-alive probe interval (SO_KEEPALIVE only).
#include <QObject>
#include <functional>
#include <memory>

#include "http/httpmessage.h"

namespace pocket {

struct HttpClientOptions {
    // Go Transport semantics (PROTOCOL §12.2 chain_rpc_* / servicer_rpc_*): <= 0 = unlimited.
    int maxConnsPerHost = 2500;
    // Go: 0 = 2 (DefaultMaxIdleConnsPerHost), < 0 = keep no idle connection.
    int maxIdlePerHost = 2500;
    // Go MaxIdleConns: 0 = unlimited; beyond it the least recently used idle connection is closed.
    int maxIdleTotal = 2500;
    // Go IdleConnTimeout (DefaultTransport: 90 s); <= 0 = never.
    int idleTimeoutMs = 90000;
    // Go DefaultTransport's Dialer.Timeout and TLSHandshakeTimeout; <= 0 = none. A dial outlives the
    // request that started it (Go) and these bound how long it may hold a connection slot. Expiry
    // fails the waiting request with Timeout (Go's errors satisfy os.IsTimeout, PROTOCOL §10.2 504).
    int connectTimeoutMs = 30000;
    int tlsHandshakeTimeoutMs = 10000;
    // Larger bodies (after gzip decoding) fail with TooLarge. Go has no limit; this bounds memory.
    qint64 maxResponseBytes = qint64(256) << 20;
    // Sent unless the request carries its own User-Agent; empty = no header. Go's default below.
    QByteArray userAgent = "Go-http-client/1.1";
};

class HttpClient : public QObject {
    Q_OBJECT
public:
    using Callback = std::function<void(HttpResult)>;

    explicit HttpClient(HttpClientOptions options = {}, QObject* parent = nullptr);
    // Closes every connection. Callbacks of unfinished requests are not called.
    ~HttpClient() override;

    // Starts `request`. `done` is called exactly once, always later from the event loop (never inside
    // send()), unless `context` (if non-null) is destroyed first or the client is destroyed first.
    // A destroyed context does not cancel the exchange; it only drops the callback.
    // The request is written when the current event-loop pass is over, together with every other request
    // sent in it (one wake-up of a local peer for the burst); its timeout counts from send().
    void send(HttpRequest request, QObject* context, Callback done);

    int activeConnections() const; // connecting or carrying a request
    int idleConnections() const;   // open, waiting in a pool for reuse
    int queuedRequests() const;    // waiting for a connection (per-host limit reached, or not started yet)
    const HttpClientOptions& options() const { return m_options; }

private:
    class Private; // pools, connections, exchanges, timers: all owned by this object's thread
    std::unique_ptr<Private> d;
    HttpClientOptions m_options;
};

} // namespace pocket
