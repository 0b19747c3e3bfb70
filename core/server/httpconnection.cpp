#include "server/httpconnection.h"

#include <QDateTime>
#include <QHttpServerRequest>
#include <QLocale>
#include <QLoggingCategory>
#include <QTimerEvent>
#include <chrono>
#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

#include "server/httpresponses.h"

Q_LOGGING_CATEGORY(lcHttpServer, "pocket.server")

namespace pocket {

namespace {

// Output waiting in the socket above this size holds back the next pipelined request.
constexpr qint64 kMaxWriteBacklog = 4 * 1024 * 1024;

qint64 steadyMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

bool equalsIgnoreCase(QByteArrayView a, QByteArrayView b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

// "Mon, 02 Jan 2006 15:04:05 GMT", recomputed once per second per thread.
const QByteArray& httpDate()
{
    thread_local qint64 second = -1;
    thread_local QByteArray text;
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (now != second) {
        second = now;
        text = QLocale::c()
                   .toString(QDateTime::fromSecsSinceEpoch(now, Qt::UTC), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss"))
                   .toLatin1()
               + " GMT";
    }
    return text;
}

void appendSanitized(QByteArray& out, const QByteArray& s)
{
    // Header injection guard: CR/LF in a value become spaces (Go's headerNewlineToSpace).
    for (char c : s) out += (c == '\r' || c == '\n') ? ' ' : c;
}

// Go's answers to requests it cannot read (net/http conn.serve): raw, no Content-Length, connection closes.
QByteArray goConnectionError(int status, const QByteArray& detail)
{
    static const QByteArray kHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n";
    if (status == 501) return "HTTP/1.1 501 Not Implemented" + kHeaders + "Unsupported transfer encoding";
    QByteArray publicErr = QByteArray::number(status) + ' ' + http::statusText(status);
    if (!detail.isEmpty()) publicErr += ": " + detail;
    return "HTTP/1.1 " + publicErr + kHeaders + publicErr;
}

QHttpServerRequest::Method methodEnum(const QByteArray& m)
{
    using M = QHttpServerRequest::Method;
    if (m == "GET") return M::Get;
    if (m == "POST") return M::Post;
    if (m == "PUT") return M::Put;
    if (m == "DELETE") return M::Delete;
    if (m == "HEAD") return M::Head;
    if (m == "OPTIONS") return M::Options;
    if (m == "PATCH") return M::Patch;
    if (m == "CONNECT") return M::Connect;
    return M::Unknown;
}

// Splits a request-target into its raw path and raw query (absolute-form targets are reduced to the path).
void splitTarget(const QByteArray& target, QByteArray* rawPath, QByteArray* rawQuery)
{
    QByteArrayView t(target);
    if (t.startsWith("http://") || t.startsWith("https://")) {
        const qsizetype hostStart = t.indexOf("//") + 2;
        qsizetype pathStart = t.indexOf('/', hostStart);
        const qsizetype q = t.indexOf('?', hostStart);
        if (pathStart < 0 || (q >= 0 && q < pathStart)) {
            *rawPath = "/";
            *rawQuery = q >= 0 ? t.sliced(q + 1).toByteArray() : QByteArray();
            return;
        }
        t = t.sliced(pathStart);
    }
    const qsizetype q = t.indexOf('?');
    *rawPath = (q < 0 ? t : t.first(q)).toByteArray();
    *rawQuery = q < 0 ? QByteArray() : t.sliced(q + 1).toByteArray();
}

} // namespace

QByteArray buildHttpResponse(int minorVersion, int status, const HttpHeaderList& headers, const QByteArray& body,
                             bool headRequest, bool close)
{
    QByteArray out;
    out.reserve(192 + body.size() + headers.size() * 64);
    out += minorVersion == 0 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out += QByteArray::number(status);
    out += ' ';
    const QByteArray reason = http::statusText(status);
    out += reason.isEmpty() ? "status code " + QByteArray::number(status) : reason;
    out += "\r\n";
    bool haveType = false;
    bool haveDate = false;
    for (const auto& [name, value] : headers) {
        // The server owns the framing headers.
        if (name.isEmpty() || name.contains('\r') || name.contains('\n') || name.contains(':')
            || equalsIgnoreCase(name, "content-length") || equalsIgnoreCase(name, "transfer-encoding")
            || equalsIgnoreCase(name, "connection") || equalsIgnoreCase(name, "keep-alive"))
            continue;
        haveType = haveType || equalsIgnoreCase(name, "content-type");
        haveDate = haveDate || equalsIgnoreCase(name, "date");
        out += name;
        out += ": ";
        appendSanitized(out, value);
        out += "\r\n";
    }
    const bool bodyAllowed = !(status / 100 == 1 || status == 204 || status == 304);
    if (bodyAllowed && !haveType && !body.isEmpty()) out += "Content-Type: text/plain; charset=utf-8\r\n";
    if (bodyAllowed) {
        out += "Content-Length: ";
        out += QByteArray::number(body.size());
        out += "\r\n";
    }
    if (!haveDate) {
        out += "Date: ";
        out += httpDate();
        out += "\r\n";
    }
    if (close) out += "Connection: close\r\n";
    else if (minorVersion == 0) out += "Connection: keep-alive\r\n";
    out += "\r\n";
    if (bodyAllowed && !headRequest) out += body;
    return out;
}

HttpConnection::HttpConnection(ServerThreadState& thread, QObject* parent)
    : QTcpSocket(parent), m_thread(thread),
      m_framer(thread.options.maxHeaderBytes, thread.options.maxBodyBytes)
{
}

HttpConnection::~HttpConnection()
{
    m_destroying = true;
    m_life->alive.store(false);
    if (m_inFlight) {
        m_inFlight = false;
        m_thread.counters->requestDone();
    }
    if (m_attached) {
        m_thread.connections.remove(this);
        m_thread.counters->connections.fetch_sub(1);
    }
    // Close while this object is still whole: QAbstractSocket's destructor would emit disconnected() to
    // slots of an object that is half destroyed.
    if (state() != UnconnectedState) abort();
    if (m_attached && m_thread.draining && m_thread.connections.isEmpty() && m_thread.onAllConnectionsClosed)
        m_thread.onAllConnectionsClosed();
}

void HttpConnection::attachBeforeServer()
{
    m_attached = true;
    m_peerAddress = peerAddress();
    m_peerPort = peerPort();
    setSocketOption(LowDelayOption, 1);
    setSocketOption(KeepAliveOption, 1);
    m_thread.connections.insert(this);
    m_thread.counters->connections.fetch_add(1);
    connect(this, &QTcpSocket::readyRead, this, &HttpConnection::onReadyReadFirst);
    connect(this, &QTcpSocket::bytesWritten, this, &HttpConnection::onBytesWritten);
    connect(this, &QTcpSocket::disconnected, this, &HttpConnection::onDisconnected);
    m_readClockStart = steadyMs();
    updateTimers();
}

void HttpConnection::attachAfterServer()
{
    connect(this, &QTcpSocket::readyRead, this, &HttpConnection::onReadyReadAfterServer);
}

bool HttpConnection::hasWorkInProgress() const
{
    return m_inFlight || !m_queue.empty() || !m_parsedHeads.isEmpty() || m_framer.inMessage();
}

// ---- input -------------------------------------------------------------------------------------------

void HttpConnection::onReadyReadFirst()
{
    if (!m_alive || m_destroying) return;
    if (m_inputStopped) {
        // Earlier requests still have to reach QHttpServer; after them nothing does.
        if (m_parsedHeads.isEmpty()) discardInput();
        else m_seen = bytesAvailable();
        return;
    }
    const qint64 avail = bytesAvailable();
    if (avail <= m_seen) {
        m_seen = avail;
        return;
    }
    const bool wasIdle = !m_framer.inMessage() && m_queue.empty() && m_parsedHeads.isEmpty();
    QByteArray data; // peeked on demand; body bytes of a Content-Length body are only counted
    qint64 pos = m_seen;
    while (pos < avail && !m_inputStopped) {
        HttpRequestFramer::Step step;
        if (const qint64 rem = m_framer.fixedBodyRemaining(); rem > 0) {
            step = m_framer.skipFixedBody(qMin(rem, avail - pos));
        } else {
            if (data.isNull()) {
                data = peek(avail);
                if (data.size() < avail) { // cannot happen with a buffered socket; be safe
                    protocolMismatch();
                    return;
                }
            }
            step = m_framer.feed(data.constData() + pos, qsizetype(avail - pos));
        }
        pos += step.consumed;
        switch (step.event) {
        case HttpRequestFramer::Event::NeedMore:
            break;
        case HttpRequestFramer::Event::HeadComplete:
            onHeadComplete();
            break;
        case HttpRequestFramer::Event::MessageComplete:
            onMessageComplete();
            break;
        case HttpRequestFramer::Event::Error:
            refuseFraming();
            break;
        }
    }
    if (!m_alive) return;
    if (!m_inputStopped) m_seen = avail;
    else if (m_parsedHeads.isEmpty()) discardInput();
    else m_seen = bytesAvailable();
    // Go starts the header/read deadlines of a later request when its first byte arrives.
    if (wasIdle && !m_fresh) m_readClockStart = steadyMs();
    maybeSendContinue();
    updateTimers();
}

void HttpConnection::onReadyReadAfterServer()
{
    // QHttpServer consumed from the front; all that is left has been framed already.
    if (m_alive && !m_destroying) m_seen = bytesAvailable();
}

void HttpConnection::onHeadComplete()
{
    if (m_framer.head().expectContinue) m_continuePending = true;
}

void HttpConnection::onMessageComplete()
{
    m_fresh = false;
    m_continuePending = false;
    const int waiting = int(m_queue.size()) + int(m_parsedHeads.size());
    if (waiting > m_thread.options.maxPipelinedRequests) {
        const RequestHead& h = m_framer.head();
        refuse(buildHttpResponse(h.minorVersion, 503, {{"Content-Type", http::kTextPlainUtf8}},
                                 "too many pipelined requests\n", h.method == "HEAD", true));
        return;
    }
    const bool close = !m_framer.head().keepAlive;
    m_parsedHeads.append({m_framer.head(), m_framer.bodyReceived()});
    // After "Connection: close" (or HTTP/1.0 without keep-alive) nothing more is read, as in Go.
    if (close) stopInput();
}

void HttpConnection::refuseFraming()
{
    const int status = m_framer.errorStatus();
    const RequestHead& h = m_framer.head();
    if (status == 413) {
        // PROTOCOL §6.4: exact body and headers (no CORS), then close (the body is not read).
        refuse(buildHttpResponse(h.minorVersion, 413,
                                 {{"Content-Type", http::kTextPlainUtf8}, {"X-Content-Type-Options", "nosniff"}},
                                 http::bodyTooLargeBody(m_thread.options.maxBodyBytes), h.method == "HEAD", true));
    } else if (status == 417) {
        refuse(buildHttpResponse(h.minorVersion, 417, {}, {}, false, true));
    } else {
        refuse(goConnectionError(status, m_framer.errorDetail()));
    }
}

void HttpConnection::refuse(QByteArray rawAnswer)
{
    QueueEntry e;
    e.rawRefusal = std::move(rawAnswer);
    stopInput();
    if (m_parsedHeads.isEmpty()) {
        discardInput();
        m_queue.push_back(std::move(e));
        pump();
    } else {
        m_pendingRefusal = std::move(e);
    }
}

void HttpConnection::stopInput()
{
    m_inputStopped = true;
    m_continuePending = false;
}

void HttpConnection::discardInput()
{
    if (const qint64 n = bytesAvailable(); n > 0) skip(n);
    m_seen = 0;
}

void HttpConnection::protocolMismatch()
{
    // The framer and QHttpServer disagree about the byte stream; nothing on it can be trusted any more.
    qCWarning(lcHttpServer) << "HTTP framing mismatch with" << m_peerAddress.toString() << "- closing the connection";
    stopInput();
    discardInput();
    m_parsedHeads.clear();
    m_pendingRefusal.reset();
    QMetaObject::invokeMethod(this, [this] { abort(); }, Qt::QueuedConnection);
}

void HttpConnection::onRequestParsed(const QHttpServerRequest& request)
{
    if (!m_alive || m_destroying) return;
    if (m_parsedHeads.isEmpty()) {
        protocolMismatch();
        return;
    }
    ParsedHead parsed = m_parsedHeads.takeFirst();
    QByteArray body = request.body(); // shared, QHttpServer clears (not reuses) its copy
    const auto expectedMethod = methodEnum(parsed.head.method);
    if (body.size() != parsed.bodyBytes
        || (expectedMethod != QHttpServerRequest::Method::Unknown && expectedMethod != request.method())) {
        protocolMismatch();
        return;
    }

    QueueEntry e;
    e.minorVersion = parsed.head.minorVersion;
    e.keepAlive = parsed.head.keepAlive;
    e.headRequest = parsed.head.method == "HEAD";
    ServerRequest& r = e.request;
    r.method = std::move(parsed.head.method);
    r.target = std::move(parsed.head.target);
    if (r.target == "*") {
        r.rawPath = r.path = "*";
    } else {
        splitTarget(r.target, &r.rawPath, &r.rawQuery);
        r.path = QByteArray::fromPercentEncoding(r.rawPath);
    }
    r.headers = std::move(parsed.head.headers);
    r.body = std::move(body);
    r.remoteAddress = m_peerAddress;
    r.remotePort = m_peerPort;
    r.httpMinorVersion = e.minorVersion;
    r.serverThread = m_thread.index;
    m_queue.push_back(std::move(e));

    if (m_inputStopped && m_parsedHeads.isEmpty()) {
        discardInput(); // QHttpServer must not see what follows
        if (m_pendingRefusal) {
            m_queue.push_back(std::move(*m_pendingRefusal));
            m_pendingRefusal.reset();
        }
    }
    pump();
}

// ---- output ------------------------------------------------------------------------------------------

void HttpConnection::schedulePump()
{
    if (m_pumpScheduled) return;
    m_pumpScheduled = true;
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_pumpScheduled = false;
            pump();
        },
        Qt::QueuedConnection);
}

void HttpConnection::pump()
{
    if (m_pumping || !m_alive || m_closing) return;
    m_pumping = true;
    while (m_alive && !m_closing && !m_inFlight && !m_queue.empty()) {
        if (bytesToWrite() > kMaxWriteBacklog) break; // resumed from onBytesWritten
        if (!m_queue.front().rawRefusal.isEmpty()) {
            writeOut(m_queue.front().rawRefusal);
            closeAfterWrite();
            break;
        }
        dispatchFront(); // may answer (and pop) synchronously
    }
    m_pumping = false;
    if (!m_alive) return;
    maybeSendContinue();
    updateTimers();
}

void HttpConnection::dispatchFront()
{
    QueueEntry& e = m_queue.front();
    e.dispatched = true;
    e.seq = ++m_lastSeq;
    const quint64 seq = e.seq;
    m_inFlight = true;
    m_thread.counters->requestStarted();
    const int timeout = m_thread.options.handlerTimeoutMs;
    m_handlerDeadline = timeout > 0 ? steadyMs() + timeout : 0;
    auto state = std::make_shared<detail::ResponderState>(this, seq, m_life, m_thread.mailbox);
    e.responder = state;
    ServerRequest request = std::move(e.request);
    // `e` may be gone once the handler ran: it can answer synchronously, which pops the queue.
    try {
        m_thread.router.dispatch(std::move(request), Responder(std::move(state)));
    } catch (const std::exception& ex) {
        qCWarning(lcHttpServer) << "route handler threw:" << ex.what();
        answer(seq, 500, {{"Content-Type", http::kJsonUpperUtf8}}, http::jsonErrorBody(500, "internal error"));
    } catch (...) {
        qCWarning(lcHttpServer) << "route handler threw";
        answer(seq, 500, {{"Content-Type", http::kJsonUpperUtf8}}, http::jsonErrorBody(500, "internal error"));
    }
}

bool HttpConnection::answer(quint64 seq, int status, const HttpHeaderList& headers, const QByteArray& body)
{
    if (!m_alive || m_closing || !m_inFlight || m_queue.empty() || m_queue.front().seq != seq) return false;
    QueueEntry& e = m_queue.front();
    const bool close = !e.keepAlive || (m_thread.draining && m_queue.size() == 1 && m_parsedHeads.isEmpty());
    if (auto state = e.responder.lock()) state->answered.store(true); // e.g. the timeout 503
    writeOut(buildHttpResponse(e.minorVersion, status, headers, body, e.headRequest, close));
    m_queue.pop_front();
    m_inFlight = false;
    m_handlerDeadline = 0;
    m_thread.counters->requestDone();
    if (close) {
        closeAfterWrite();
        return true;
    }
    if (m_queue.empty()) {
        // The server reads the next request from now on (the idle/header/read clocks start here).
        m_readClockStart = steadyMs();
    } else if (!m_pumping) {
        // Not from inside this answer's call stack: the next handler must not run nested in send().
        schedulePump();
    }
    if (!m_pumping) {
        maybeSendContinue();
        updateTimers();
    }
    return true;
}

void HttpConnection::handlerTimedOut()
{
    if (!m_inFlight || m_queue.empty()) return;
    qCInfo(lcHttpServer) << "handler timeout, answering 503";
    // Go TimeoutHandler: 503, the body, Go's sniffed text/plain (PROTOCOL §2.3).
    answer(m_queue.front().seq, 503, {{"Content-Type", http::kTextPlainUtf8}}, http::kHandlerTimeoutBody);
}

void HttpConnection::writeOut(const QByteArray& bytes)
{
    write(bytes);
    const int timeout = m_thread.options.writeTimeoutMs;
    if (m_writeDeadline == 0 && timeout > 0 && bytesToWrite() > 0) m_writeDeadline = steadyMs() + timeout;
}

void HttpConnection::closeAfterWrite()
{
    stopInput();
    m_closing = true;
    discardInput();
    m_parsedHeads.clear();
    m_pendingRefusal.reset();
    m_queue.clear();
    m_life->alive.store(false);
    // Flushes what is written, then closes; disconnected() follows.
    disconnectFromHost();
    if (m_alive) updateTimers();
}

void HttpConnection::maybeSendContinue()
{
    // 100 Continue only when this request is the next to be read and its body has not started (a client
    // that did not wait needs none). Later pipelined requests wait until the earlier answers are out.
    if (!m_continuePending || !m_alive || m_closing) return;
    if (!m_framer.inBody() || m_framer.bodyReceived() > 0) {
        m_continuePending = false;
        return;
    }
    if (!m_queue.empty() || !m_parsedHeads.isEmpty()) return;
    m_continuePending = false;
    writeOut("HTTP/1.1 100 Continue\r\n\r\n");
}

void HttpConnection::onBytesWritten()
{
    if (!m_alive || m_destroying) return;
    if (bytesToWrite() == 0 && m_writeDeadline != 0) {
        m_writeDeadline = 0;
        updateTimers();
    }
    if (!m_inFlight && !m_queue.empty() && !m_closing && bytesToWrite() <= kMaxWriteBacklog) schedulePump();
}

void HttpConnection::onDisconnected()
{
    if (m_destroying) return;
    m_alive = false;
    m_life->alive.store(false);
    if (m_inFlight) {
        m_inFlight = false;
        m_thread.counters->requestDone();
    }
    m_queue.clear();
    m_parsedHeads.clear();
    m_pendingRefusal.reset();
    m_timer.stop();
    // QHttpServer deletes its sockets on disconnected() too; deleteLater() twice is safe.
    deleteLater();
}

void HttpConnection::beginDrain()
{
    if (!m_alive || m_closing) return;
    if (!hasWorkInProgress()) {
        closeAfterWrite();
        return;
    }
    // Otherwise answer() closes after the answer that empties the queue.
}

// ---- timers ------------------------------------------------------------------------------------------

void HttpConnection::updateTimers()
{
    if (!m_alive || m_destroying) return;
    const HttpServerOptions& o = m_thread.options;
    m_headerDeadline = m_readDeadline = m_idleDeadline = 0;
    // Like Go, the read deadlines only run while the server is reading a request: not while earlier
    // requests of the connection are being handled or answered.
    const bool busy = !m_queue.empty() || !m_parsedHeads.isEmpty() || m_closing || m_inputStopped;
    if (!busy) {
        if (m_framer.inMessage() || m_fresh) {
            if (o.readHeaderTimeoutMs > 0 && !m_framer.inBody()) m_headerDeadline = m_readClockStart + o.readHeaderTimeoutMs;
            if (o.readTimeoutMs > 0) m_readDeadline = m_readClockStart + o.readTimeoutMs;
        } else if (o.idleTimeoutMs > 0) {
            m_idleDeadline = m_readClockStart + o.idleTimeoutMs;
        }
    }
    qint64 earliest = 0;
    for (qint64 d : {m_headerDeadline, m_readDeadline, m_idleDeadline, m_handlerDeadline, m_writeDeadline})
        if (d != 0 && (earliest == 0 || d < earliest)) earliest = d;
    if (earliest == 0) return; // a timer still armed fires, finds nothing due and stays off
    // Re-arm only when the new deadline is earlier: later ones are picked up when the timer fires.
    if (m_timer.isActive() && m_timerDue <= earliest) return;
    m_timerDue = earliest;
    m_timer.start(int(qMax<qint64>(0, earliest - steadyMs())), Qt::CoarseTimer, this);
}

void HttpConnection::timerEvent(QTimerEvent* event)
{
    if (event->timerId() != m_timer.timerId()) {
        QTcpSocket::timerEvent(event);
        return;
    }
    m_timer.stop();
    m_timerDue = 0;
    if (!m_alive || m_destroying) return;
    const qint64 now = steadyMs();
    auto due = [now](qint64 d) { return d != 0 && now >= d; };
    if (due(m_writeDeadline)) {
        qCInfo(lcHttpServer) << "write timeout, closing connection";
        abort();
        return;
    }
    if (due(m_handlerDeadline)) handlerTimedOut();
    if (!m_alive) return;
    if (!m_closing && (due(m_headerDeadline) || due(m_readDeadline))) {
        // A half-sent request is dropped without an answer, as Go does.
        abort();
        return;
    }
    if (!m_closing && due(m_idleDeadline)) {
        closeAfterWrite();
        return;
    }
    updateTimers();
}

// ---- QHttpServer glue --------------------------------------------------------------------------------

bool HttpFront::handleRequest(const QHttpServerRequest& request, QTcpSocket* socket)
{
    if (auto* c = qobject_cast<HttpConnection*>(socket)) c->onRequestParsed(request);
    return true;
}

void HttpFront::missingHandler(const QHttpServerRequest&, QTcpSocket*)
{
    // handleRequest() always takes the request.
}

void GuardedTcpServer::incomingConnection(qintptr socketDescriptor)
{
    auto* c = new HttpConnection(m_thread, this);
    if (!c->setSocketDescriptor(socketDescriptor)) {
        qCWarning(lcHttpServer) << "cannot adopt accepted socket:" << c->errorString();
        delete c;
#ifdef Q_OS_UNIX
        ::close(int(socketDescriptor));
#endif
        return;
    }
    c->attachBeforeServer();
    addPendingConnection(c); // QHttpServer connects its slots in here (pendingConnectionAvailable)
    c->attachAfterServer();
    if (m_thread.draining) c->beginDrain();
}

} // namespace pocket
