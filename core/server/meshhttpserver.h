#pragma once
// The mesh node's HTTP front (PROTOCOL §6): QHttpServer 6.4 parses requests, this class adds everything
// 6.4 lacks (QT64-NOTES): header/body limits, read/idle/write timeouts, the handler timeout,
// Connection: close and HTTP/1.0, ordered answers to pipelined requests, Expect: 100-continue, 405/OPTIONS,
// a safe Responder, and several threads accepting on one port.
//
// Threads: `threads` server threads (QThreads owned by this object) share one listening socket (each holds
// a dup of it). A connection stays in the thread that accepted it; its handlers run there. `setupThread`
// runs ONCE in each server thread before that thread serves anything: it registers the routes and creates
// the per-thread objects (HTTP clients, pipeline stages) as children of ctx.owner(), which lives until that
// thread stops. MeshHttpServer's own methods are called from the thread that created it (not from a server
// thread, except stopAccepting(), which is safe anywhere).
//
// Pipelining (HTTP/1.1 §9.3.2): requests of one connection are handled one after the other — the next
// request's handler starts when the previous one has been answered — so answers always go out in request
// order. At most `maxPipelinedRequests` may wait; one more is answered 503 and the connection closes.
#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <functional>
#include <memory>

#include "server/httprouter.h"
#include "util/result.h"

namespace pocket {

struct HttpServerOptions
{
    QHostAddress address = QHostAddress::Any;
    quint16 port = 8081; // rpc_port; 0 picks a free port (see MeshHttpServer::port())
    int threads = 1;
    // client_rpc_max_bytes_size (PROTOCOL §6.4, §12.2): larger bodies get 413; 0 means 1048576.
    qint64 maxBodyBytes = 1048576;
    // Request line + headers larger than this get 431 (Go's DefaultMaxHeaderBytes).
    qint64 maxHeaderBytes = 1048576;
    // client_rpc_read_header_timeout: request line + headers must arrive within this time from the
    // connection's start, or from the first byte of a later request; else the connection is closed.
    int readHeaderTimeoutMs = 50000;
    // client_rpc_read_timeout: the whole request (head and body) within this time, measured the same way.
    int readTimeoutMs = 60000;
    // client_rpc_write_timeout: an answer must be flushed to the client within this time once written.
    // (Go counts it from the end of the request head, so that a handler slower than it ends in a closed
    // connection; here the handler timeout below answers 503 instead, DECISIONS 2.)
    int writeTimeoutMs = 90000;
    // client_rpc_timeout: a handler that has not answered within this time gets the 503
    // "server Timeout Handling Request" (Go TimeoutHandler); its later answer is dropped.
    int handlerTimeoutMs = 120000;
    // A kept-alive connection with no request in progress is closed after this time (Go uses the read
    // timeout when no IdleTimeout is set, as in the reference).
    int idleTimeoutMs = 60000;
    // Pipelined requests that may wait behind the one being handled.
    int maxPipelinedRequests = 16;
    // Timeouts <= 0 disable that timeout.
};

class ServerThreadState;

// What setupThread sees: the routes of its thread and the owner of its per-thread objects.
class ServerThreadContext
{
public:
    int threadIndex() const;
    const HttpServerOptions& options() const;
    // Parent of the per-thread objects; lives in this server thread until it stops. Posting to it
    // (QMetaObject::invokeMethod) runs code in this server thread.
    QObject* owner() const;

    void route(const QByteArray& method, const QByteArray& path, HttpHandler handler);
    void routePrefix(const QByteArray& method, const QByteArray& prefix, HttpHandler handler);
    void fallback(HttpHandler handler);

private:
    friend class ServerThread;
    ServerThreadContext(ServerThreadState& state, QObject* owner) : m_state(state), m_owner(owner) {}
    ServerThreadState& m_state;
    QObject* m_owner;
};

class MeshHttpServer
{
public:
    using SetupThread = std::function<void(ServerThreadContext&)>;

    MeshHttpServer(HttpServerOptions options, SetupThread setupThread);
    ~MeshHttpServer(); // stop(0)
    MeshHttpServer(const MeshHttpServer&) = delete;
    MeshHttpServer& operator=(const MeshHttpServer&) = delete;

    // Binds, starts the server threads and returns when all of them accept connections.
    Result<void> listen();
    quint16 port() const;
    int threadCount() const;
    bool isListening() const;

    // Closes the listening socket in every thread (new connections are refused); open connections go on.
    void stopAccepting();
    // Waits until no request is being handled (in any thread); false on timeout.
    bool waitForIdle(int timeoutMs);
    // Graceful stop: stop accepting; close idle connections; let requests in progress finish and be
    // answered (each such connection closes after its answer) for up to graceMs; then close the rest and
    // end the server threads. True when nothing had to be cut off.
    bool stop(int graceMs = 5000);

    int inFlightRequests() const; // handlers started and not yet answered
    int openConnections() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace pocket
