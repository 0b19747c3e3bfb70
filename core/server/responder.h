#pragma once
// The safe way to answer one request (replaces QHttpServerResponder, which keeps a raw socket pointer and
// crashes when used after the client left, QT64-NOTES).
//
// Copyable and movable; all copies share one state. Rules:
//  - send() answers at most once; later calls, calls after the client disconnected and calls after the
//    handler-timeout 503 (client_rpc_timeout, PROTOCOL §6) are no-ops.
//  - When the last copy is destroyed without an answer, the request is answered 500 (DECISIONS 2: never
//    leave a request without an answer).
//  - Call send() in the server thread that ran the handler (HTTP client callbacks created in
//    ServerThreadContext::setup run there). From any other thread it is still safe: the answer is posted to
//    that thread's event loop, or dropped when the server thread is gone.
//  - isAlive() may be called from any thread.
#include <QByteArray>
#include <memory>

#include "server/serverrequest.h"

namespace pocket {

namespace detail {
struct ResponderState;
}

class Responder
{
public:
    Responder() = default; // answers nothing; isAlive() is false

    // Status line, `headers` (Content-Length, Transfer-Encoding and Connection are set by the server),
    // then `body`. A Content-Type defaults to "text/plain; charset=utf-8" when the body is not empty.
    void send(int status, HttpHeaderList headers = {}, QByteArray body = {}) const;
    // The client is still connected and this request has not been answered (nor timed out).
    bool isAlive() const;
    bool isNull() const { return !m_state; }

private:
    friend class HttpConnection;
    explicit Responder(std::shared_ptr<detail::ResponderState> state) : m_state(std::move(state)) {}
    std::shared_ptr<detail::ResponderState> m_state;
};

} // namespace pocket
