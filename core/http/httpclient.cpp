#include "http/httpclient.h"

#include <QElapsedTimer>
#include <QHash>
#include <QNetworkProxy>
#include <QPointer>
#include <QSslError>
#include <QSslSocket>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QUrl>
#include <algorithm>
#include <list>
#include <vector>

#include "http/httpresponseparser.h"
#include "http/httpurl.h"

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#include <cerrno>
#endif

// How this works (PROTOCOL §10.1 Go net/http client behaviour; §8.3 only needs "transport error vs status").
//
// Re-entrancy. Qt may emit socket signals synchronously from inside calls we make (connectToHost()
// on loopback, abort()). Three rules keep the state machine consistent:
// 1. Every entry from the event loop (socket signal, timer, queued call) creates a Dispatch on the
//    stack; all state changes happen inside a Processing scope; a socket signal arriving while a
//    Processing scope is open is not handled then but deferred to a queued call.
// 2. Callbacks are never invoked while processing: finished exchanges become Completions, which the
//    outermost Dispatch invokes when processing is over (so callbacks may call send() or even destroy
//    the client; after a callback nothing touches `this` unless the Dispatch says it is still alive).
// 3. connectToHost() runs from its own queued call, outside any Processing scope.
// Plain TCP sockets are unbuffered: write() goes straight to send(2) and read() to recv(2) without
// signals, which saves a copy, a write notifier round trip per request, and surprises.

namespace pocket {

namespace {

enum SocketEvent { EvConnected, EvEncrypted, EvReadyRead, EvError, EvDisconnected };

// Minimal intrusive doubly-linked list (no allocation per insert; O(1) removal).
template <typename T>
struct Link {
    T* prev = nullptr;
    T* next = nullptr;
    bool linked = false;
};

template <typename T, Link<T> T::*L>
class IntrusiveList {
public:
    T* front() const { return m_head; }
    T* back() const { return m_tail; }
    static T* next(T* x) { return (x->*L).next; }
    static T* prev(T* x) { return (x->*L).prev; }
    static bool linked(T* x) { return (x->*L).linked; }
    void pushBack(T* x) { insertAfter(m_tail, x); }
    // pos == nullptr inserts at the front.
    void insertAfter(T* pos, T* x)
    {
        Link<T>& l = x->*L;
        l.prev = pos;
        l.next = pos ? (pos->*L).next : m_head;
        if (l.next)
            (l.next->*L).prev = x;
        else
            m_tail = x;
        if (pos)
            (pos->*L).next = x;
        else
            m_head = x;
        l.linked = true;
    }
    void remove(T* x)
    {
        Link<T>& l = x->*L;
        if (!l.linked)
            return;
        if (l.prev)
            (l.prev->*L).next = l.next;
        else
            m_head = l.next;
        if (l.next)
            (l.next->*L).prev = l.prev;
        else
            m_tail = l.prev;
        l = Link<T>();
    }

private:
    T* m_head = nullptr;
    T* m_tail = nullptr;
};

bool isTokenChar(uchar c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

bool isToken(QByteArrayView s)
{
    if (s.isEmpty())
        return false;
    for (char c : s)
        if (!isTokenChar(uchar(c)))
            return false;
    return true;
}

// Go httpguts.ValidHeaderFieldValue: no control bytes except horizontal tab.
bool validHeaderValue(QByteArrayView v)
{
    for (char ch : v) {
        const auto c = uchar(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

// Go httpguts.ValidHostHeader.
bool validHostHeader(QByteArrayView h)
{
    for (char ch : h) {
        const auto c = uchar(ch);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            continue;
        switch (c) {
        case '!': case '$': case '%': case '&': case '(': case ')': case '*': case '+': case ',': case '-':
        case '.': case ':': case ';': case '=': case '[': case '\'': case ']': case '_': case '~':
            continue;
        default:
            return false;
        }
    }
    return true;
}

QByteArrayView trimOws(QByteArrayView s)
{
    while (!s.isEmpty() && (s.front() == ' ' || s.front() == '\t'))
        s = s.sliced(1);
    while (!s.isEmpty() && (s.back() == ' ' || s.back() == '\t'))
        s.chop(1);
    return s;
}

bool hasToken(QByteArrayView value, QByteArrayView token)
{
    while (!value.isEmpty()) {
        const qsizetype comma = value.indexOf(',');
        if (trimOws(comma < 0 ? value : value.first(comma)).compare(token, Qt::CaseInsensitive) == 0)
            return true;
        if (comma < 0)
            break;
        value = value.sliced(comma + 1);
    }
    return false;
}

bool nameIs(const QByteArray& name, QByteArrayView what) { return name.compare(what, Qt::CaseInsensitive) == 0; }

// Go shouldCopyHeaderOnRedirect: credentials and cookies.
bool isSensitiveHeader(const QByteArray& name)
{
    return nameIs(name, "Authorization") || nameIs(name, "Www-Authenticate") || nameIs(name, "Cookie")
           || nameIs(name, "Cookie2");
}

QByteArray asciiHost(const QByteArray& hostname)
{
    for (char c : hostname)
        if (uchar(c) >= 0x80)
            return QUrl::toAce(QString::fromUtf8(hostname));
    return hostname;
}

// Go isDomainOrSubdomain.
bool isDomainOrSubdomain(QByteArrayView sub, QByteArrayView parent)
{
    if (sub == parent)
        return true;
    if (sub.contains(':') || sub.contains('%'))
        return false;
    if (!sub.endsWith(parent))
        return false;
    return sub.size() > parent.size() && sub[sub.size() - parent.size() - 1] == '.';
}

QString quoted(QByteArrayView s)
{
    QString out = QStringLiteral("\"");
    for (char ch : s.first(std::min<qsizetype>(s.size(), 64))) {
        const auto c = uchar(ch);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            out += QLatin1Char(ch);
        else
            out += QStringLiteral("\\x%1").arg(c, 2, 16, QLatin1Char('0'));
    }
    return out + QLatin1Char('"');
}

bool isRedirectStatus(int s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }

} // namespace

// ---------------------------------------------------------------------------------------------------

class HttpClient::Private {
public:
    struct Connection;
    struct Exchange;

    struct Pool {
        QByteArray key;      // scheme://host:port, Go connectMethodKey
        QString dialHost;    // ASCII host name or IP literal without brackets
        QString label;       // scheme://host:port for error messages (no userinfo, no path)
        quint16 port = 0;
        bool tls = false;
        int open = 0;        // dialing + busy + idle connections
        int dialing = 0;
        int bound = 0;       // exchanges whose current hop targets this pool
        std::vector<Connection*> idle;  // most recently used at the back (Go reuses LIFO)
        std::list<Exchange*> waiters;   // FIFO (Go wantConnQueue)
    };

    struct Connection {
        enum class State { Dialing, Busy, Idle };
        Pool* pool = nullptr;
        QAbstractSocket* socket = nullptr;
        State state = State::Dialing;
        bool tls = false;
        bool reused = false;        // completed an exchange before
        bool reusedForThis = false; // `reused` when the current exchange started on it
        bool deferred = false;      // in m_deferred
        bool inDialQueue = false;
        qint64 requestBytes = 0;    // size of the request written for the current exchange
        qint64 idleSince = 0;
        Exchange* exchange = nullptr;
        QByteArray in;              // received, not yet parsed bytes start at inPos
        qsizetype inPos = 0;
        HttpResponseParser parser;
        QString sslErrors;
        qint64 dialDeadline = 0;    // connect or TLS handshake deadline while Dialing
        Link<Connection> all;
        Link<Connection> lru;
        Link<Connection> byDialDeadline;
    };

    struct Exchange {
        HttpRequest request;         // as given; every redirect hop starts from its headers (Go)
        QPointer<QObject> context;
        bool hasContext = false;
        Callback done;
        // Facts about the caller's headers, computed once.
        QByteArray callerUserAgent;  // first User-Agent value
        bool hasCallerUserAgent = false;
        bool hasAcceptEncoding = false;
        bool hasRange = false;
        bool hasIdempotencyKey = false;
        bool callerConnectionClose = false;
        // Current hop.
        QByteArray method;
        HttpUrl url;
        QByteArray requestUri;
        QByteArray hostHeader;
        QByteArray referer;
        bool sendBody = true;
        bool addGzip = false;
        bool stripSensitive = false; // sticky once a redirect left the original host (Go >= 1.22)
        QByteArray initialHost;      // first hop's host[:port] and ASCII host name
        QByteArray initialHostname;
        int requests = 0;            // requests of the chain sent so far (Go len(via) + 1)
        Pool* pool = nullptr;
        Connection* conn = nullptr;
        std::list<Exchange*>::iterator waitIt;
        bool waiting = false;
        bool startPending = false;   // in m_toStart: send() was called, the request is not written yet
        qint64 deadline = 0;
        Link<Exchange> all;
        Link<Exchange> byDeadline;
    };

    struct Completion {
        QPointer<QObject> context;
        bool hasContext;
        Callback done;
        HttpResult result;
    };

    // One per entry from the event loop; see the comment at the top of the file.
    struct Dispatch {
        Private* p;
        QObject* socket;
        Dispatch* prev;
        bool destroyed = false;
        Dispatch(Private* owner, QObject* s) : p(owner), socket(s), prev(owner->m_dispatch) { p->m_dispatch = this; }
        ~Dispatch()
        {
            if (destroyed)
                return;
            // Callbacks never run inside a socket's signal: Qt suppresses that socket's readyRead while it
            // is on the stack, so a callback waiting in a nested event loop for the same connection would
            // stall it. Those are flushed from the client's zero-timer instead.
            if (!p->m_processing && !p->m_completions.empty()) {
                if (socket)
                    p->scheduleFlush();
                else
                    p->flushCompletions(*this);
            }
            if (!destroyed)
                p->m_dispatch = prev;
        }
        Dispatch(const Dispatch&) = delete;
        Dispatch& operator=(const Dispatch&) = delete;
    };

    class Processing {
    public:
        explicit Processing(Private* p) : m_p(p), m_outer(!p->m_processing) { p->m_processing = true; }
        ~Processing()
        {
            if (m_outer)
                m_p->m_processing = false;
        }
        Processing(const Processing&) = delete;
        Processing& operator=(const Processing&) = delete;

    private:
        Private* m_p;
        bool m_outer;
    };

    Private(HttpClient* q, HttpClientOptions options);
    ~Private();

    void send(HttpRequest request, QObject* context, Callback done);

    // Entries from the event loop.
    void onSocketEvent(Connection* c, int ev);
    void onDeadlineTimer();
    void onIdleTimer();
    void startQueuedDials();
    void runDeferred();
    void startPending();
    void flushCompletions(Dispatch& dispatch);
    void scheduleFlush();
    void onFlushTimer();

    // Exchanges.
    bool prepareHop(Exchange* ex, HttpError* error);
    void assign(Exchange* ex, bool front);
    bool writeRequest(Connection* c, Exchange* ex);
    void handleSocketEvent(Connection* c, int ev);
    void serviceConnection(Connection* c, bool eof);
    void responseDone(Connection* c);
    void connectionBroken(Connection* c, bool cleanEof);
    bool wouldRedirect(const Exchange* ex, const HttpResponse& response) const;
    void complete(Exchange* ex, HttpResult result);
    void fail(Exchange* ex, HttpErrorKind kind, QString message) { complete(ex, std::unexpected(HttpError{kind, std::move(message)})); }
    void timeout(Exchange* ex);
    void unbind(Exchange* ex);

    // Pools and connections.
    Pool* poolFor(const QByteArray& key, const QString& dialHost, quint16 port, bool tls, const QString& label);
    void pump(Pool* pool);
    void startDial(Pool* pool);
    void dialFinished(Connection* c);
    void dialFailed(Connection* c, HttpErrorKind kind, const QString& message);
    QString dialError(Connection* c) const;
    void connectionAvailable(Connection* c);
    Connection* takeIdle(Pool* pool);
    bool healthy(Connection* c) const;
    void makeIdle(Connection* c);
    void removeIdle(Connection* c);
    void dispose(Connection* c);
    void disposeSocket(QAbstractSocket* s);
    void deferService(Connection* c);
    qint64 readChunk(Connection* c, bool* filled);
    void collectPools();

    // Timers.
    void addDeadline(Exchange* ex);
    void setDialDeadline(Connection* c, int timeoutMs);
    void armDeadlineTimer();
    void armIdleTimer();
    qint64 now() const { return m_clock.elapsed(); }

    HttpClient* q;
    HttpClientOptions m_opt;
    // Everything below is owned by q's thread.
    QHash<QByteArray, Pool*> m_pools;
    IntrusiveList<Connection, &Connection::all> m_connections;
    IntrusiveList<Connection, &Connection::lru> m_idleLru;           // oldest idle first
    IntrusiveList<Exchange, &Exchange::all> m_exchanges;
    IntrusiveList<Exchange, &Exchange::byDeadline> m_deadlines;      // earliest first
    IntrusiveList<Connection, &Connection::byDialDeadline> m_dialDeadlines; // earliest first
    std::vector<Connection*> m_dialQueue;
    std::vector<Connection*> m_deferred;
    std::vector<Exchange*> m_toStart; // sent in this event-loop pass, written together at its end (send())
    std::vector<Completion> m_completions;
    Dispatch* m_dispatch = nullptr;
    QElapsedTimer m_clock;
    QTimer m_deadlineTimer;
    QTimer m_idleTimer;
    QTimer m_flushTimer;                 // zero-interval: delivers completions after socket signals
    QByteArray m_scratch;
    qint64 m_deadlineArmedFor = 0;
    int m_openCount = 0;
    int m_idleCount = 0;
    int m_queuedCount = 0;
    int m_tlsSupported = -1;
    bool m_processing = false;
    bool m_flushTimerFiring = false;
    bool m_flushPosted = false;
    bool m_dialsPosted = false;
    bool m_deferredPosted = false;
    bool m_startPosted = false;
};

// ---------------------------------------------------------------------------------------------------

HttpClient::Private::Private(HttpClient* owner, HttpClientOptions options)
    : q(owner), m_opt(std::move(options)), m_deadlineTimer(owner), m_idleTimer(owner), m_flushTimer(owner)
{
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(0);
    QObject::connect(&m_flushTimer, &QTimer::timeout, q, [this] { onFlushTimer(); });
    m_clock.start();
    m_deadlineTimer.setSingleShot(true);
    m_deadlineTimer.setTimerType(Qt::PreciseTimer);
    QObject::connect(&m_deadlineTimer, &QTimer::timeout, q, [this] { onDeadlineTimer(); });
    m_idleTimer.setSingleShot(true);
    QObject::connect(&m_idleTimer, &QTimer::timeout, q, [this] { onIdleTimer(); });
    m_scratch.reserve(4096);
}

HttpClient::Private::~Private()
{
    // Entries still on the stack (the client was destroyed from a callback) must not touch us again.
    for (Dispatch* d = m_dispatch; d; d = d->prev)
        d->destroyed = true;
    m_deadlineTimer.stop();
    m_idleTimer.stop();
    m_flushTimer.stop();
    while (Connection* c = m_connections.front()) {
        m_connections.remove(c);
        disposeSocket(c->socket);
        delete c;
    }
    while (Exchange* ex = m_exchanges.front()) {
        m_exchanges.remove(ex);
        delete ex;
    }
    qDeleteAll(m_pools);
}

// ---------------------------------------------------------------------------------------------------
// send()

void HttpClient::Private::send(HttpRequest request, QObject* context, Callback done)
{
    Processing scope(this);
    auto* ex = new Exchange;
    m_exchanges.pushBack(ex);
    ex->context = context;
    ex->hasContext = context != nullptr;
    ex->done = std::move(done);
    ex->request = std::move(request);
    const HttpRequest& r = ex->request;

    for (const auto& [name, value] : r.headers) {
        if (!ex->hasCallerUserAgent && nameIs(name, "User-Agent")) {
            ex->hasCallerUserAgent = true;
            ex->callerUserAgent = trimOws(value).toByteArray();
        } else if (nameIs(name, "Accept-Encoding")) {
            ex->hasAcceptEncoding = true;
        } else if (nameIs(name, "Range")) {
            ex->hasRange = true;
        } else if (nameIs(name, "Idempotency-Key") || nameIs(name, "X-Idempotency-Key")) {
            ex->hasIdempotencyKey = true;
        } else if (nameIs(name, "Connection") && hasToken(value, "close")) {
            ex->callerConnectionClose = true;
        }
    }

    // Go http.NewRequest: method and URL (PROTOCOL §10.2 "request build failure").
    ex->method = r.method.isEmpty() ? QByteArray("GET") : r.method;
    if (!isToken(ex->method)) {
        fail(ex, HttpErrorKind::InvalidRequest, QStringLiteral("net/http: invalid method %1").arg(quoted(ex->method)));
    } else if (auto url = HttpUrl::parse(r.url); !url) {
        fail(ex, HttpErrorKind::InvalidRequest, url.error());
    } else {
        ex->url = std::move(*url);
        ex->initialHost = ex->url.host;
        ex->initialHostname = asciiHost(ex->url.hostname());
        if (r.timeoutMs > 0) {
            ex->deadline = now() + r.timeoutMs;
            addDeadline(ex);
        }
        HttpError error;
        if (prepareHop(ex, &error)) {
            // Written when this event-loop pass is over, together with the other requests sent in it: the
            // peer (a local chain node on the same core) then wakes once for the whole burst, not once per
            // request. Until then the exchange holds no connection; its deadline already runs.
            ex->startPending = true;
            m_toStart.push_back(ex);
            if (!m_startPosted) {
                m_startPosted = true;
                QMetaObject::invokeMethod(q, [this] { startPending(); }, Qt::QueuedConnection);
            }
        } else {
            fail(ex, error.kind, std::move(error.message));
        }
    }
    if (!m_completions.empty())
        scheduleFlush(); // never call back from inside send()
}

void HttpClient::Private::startPending()
{
    Dispatch dispatch(this, nullptr);
    Processing scope(this);
    m_startPosted = false;
    std::vector<Exchange*> batch;
    batch.swap(m_toStart);
    for (Exchange* ex : batch) {
        ex->startPending = false;
        assign(ex, false);
    }
}

// Go Transport.roundTrip checks + Request.write decisions for the current hop.
bool HttpClient::Private::prepareHop(Exchange* ex, HttpError* error)
{
    const HttpUrl& u = ex->url;
    const bool tls = u.scheme == "https";
    if (!tls && u.scheme != "http") {
        *error = {HttpErrorKind::Transport, QStringLiteral("unsupported protocol scheme %1").arg(quoted(u.scheme))};
        return false;
    }
    if (u.host.isEmpty()) {
        *error = {HttpErrorKind::Transport, QStringLiteral("http: no Host in request URL")};
        return false;
    }
    if (ex->requests == 0) {
        for (const auto& [name, value] : ex->request.headers) {
            if (!isToken(name)) {
                *error = {HttpErrorKind::Transport, QStringLiteral("net/http: invalid header field name %1").arg(quoted(name))};
                return false;
            }
            if (!validHeaderValue(value)) {
                // Go leaves the value out: it may be a credential.
                *error = {HttpErrorKind::Transport, QStringLiteral("net/http: invalid header field value for %1").arg(quoted(name))};
                return false;
            }
        }
    }

    const QByteArray hostname = asciiHost(u.hostname());
    QByteArray portText = u.port();
    if (portText.isEmpty())
        portText = tls ? "443" : "80";
    bool portOk = false;
    const uint port = portText.toUInt(&portOk);
    const bool v6 = hostname.contains(':');
    const QByteArray addr = (v6 ? '[' + hostname + ']' : hostname) + ':' + portText;
    if (!portOk || port > 65535) {
        *error = {HttpErrorKind::Connect, QStringLiteral("dial tcp: address %1: invalid port").arg(quoted(addr))};
        return false;
    }
    if (tls) {
        if (m_tlsSupported < 0)
            m_tlsSupported = QSslSocket::supportsSsl() ? 1 : 0;
        if (!m_tlsSupported) {
            *error = {HttpErrorKind::Connect, QStringLiteral("TLS is not available (no Qt TLS backend)")};
            return false;
        }
    }

    // Go cleanHost: the URL's host[:port] as written, IDNA-encoded.
    QByteArray hostHeader = u.host;
    if (hostHeader != asciiHost(hostHeader)) {
        const QByteArray p = u.port();
        hostHeader = (v6 ? '[' + hostname + ']' : hostname) + (p.isEmpty() ? QByteArray() : ':' + p);
    }
    if (!validHostHeader(hostHeader)) {
        *error = {HttpErrorKind::Transport, QStringLiteral("http: invalid Host header")};
        return false;
    }
    ex->hostHeader = std::move(hostHeader);
    ex->requestUri = u.requestUri();
    if (ex->method == "CONNECT" && u.path.isEmpty())
        ex->requestUri = ex->hostHeader;
    // Go transport: transparent gzip only when the caller did not choose an encoding (PROTOCOL §10.1 step 7).
    ex->addGzip = !ex->hasAcceptEncoding && !ex->hasRange && ex->method != "HEAD";

    const QByteArray key = u.scheme + "://" + addr;
    unbind(ex);
    ex->pool = poolFor(key, QString::fromLatin1(hostname), quint16(port), tls, QString::fromLatin1(key));
    ex->pool->bound++;
    ex->requests++;
    return true;
}

HttpClient::Private::Pool* HttpClient::Private::poolFor(const QByteArray& key, const QString& dialHost, quint16 port,
                                                        bool tls, const QString& label)
{
    Pool*& pool = m_pools[key];
    if (!pool) {
        pool = new Pool;
        pool->key = key;
        pool->dialHost = dialHost;
        pool->port = port;
        pool->tls = tls;
        pool->label = label;
    }
    return pool;
}

void HttpClient::Private::unbind(Exchange* ex)
{
    if (ex->startPending) {
        m_toStart.erase(std::find(m_toStart.begin(), m_toStart.end(), ex));
        ex->startPending = false;
    }
    if (ex->waiting) {
        ex->pool->waiters.erase(ex->waitIt);
        ex->waiting = false;
        --m_queuedCount;
    }
    if (ex->pool) {
        ex->pool->bound--;
        ex->pool = nullptr;
    }
}

// Gives the exchange an idle connection or queues it (and dials when the per-host limit allows).
void HttpClient::Private::assign(Exchange* ex, bool front)
{
    Pool* pool = ex->pool;
    while (Connection* c = takeIdle(pool)) {
        if (writeRequest(c, ex))
            return;
        // Nothing was written on a reused connection: Go retries those (nothingWrittenError).
        dispose(c);
    }
    ex->waitIt = front ? pool->waiters.insert(pool->waiters.begin(), ex) : pool->waiters.insert(pool->waiters.end(), ex);
    ex->waiting = true;
    ++m_queuedCount;
    pump(pool);
}

// Go Request.write: request line, Host, User-Agent, Connection, Content-Length, the caller's headers,
// then the transport's Accept-Encoding. Returns false (and leaves the connection unbound) when the
// socket refused the bytes.
bool HttpClient::Private::writeRequest(Connection* c, Exchange* ex)
{
    const HttpRequest& r = ex->request;
    const QByteArray& body = ex->sendBody ? r.body : QByteArray();
    QByteArray& w = m_scratch;
    w.resize(0);
    w.reserve(256 + ex->requestUri.size() + body.size() + r.headers.size() * 48);
    w += ex->method;
    w += ' ';
    w += ex->requestUri;
    w += " HTTP/1.1\r\nHost: ";
    w += ex->hostHeader;
    w += "\r\n";
    const QByteArray& ua = ex->hasCallerUserAgent ? ex->callerUserAgent : m_opt.userAgent;
    if (!ua.isEmpty()) {
        w += "User-Agent: ";
        w += ua;
        w += "\r\n";
    }
    if (r.closeConnection && !ex->callerConnectionClose)
        w += "Connection: close\r\n";
    if (!body.isEmpty()) {
        w += "Content-Length: ";
        w += QByteArray::number(body.size());
        w += "\r\n";
    } else if (ex->method == "POST" || ex->method == "PUT" || ex->method == "PATCH") {
        w += "Content-Length: 0\r\n"; // Go: many servers expect it for these methods
    }
    bool authorization = false;
    for (const auto& [name, value] : r.headers) {
        if (nameIs(name, "Host") || nameIs(name, "Content-Length") || nameIs(name, "Transfer-Encoding")
            || nameIs(name, "Trailer") || nameIs(name, "User-Agent"))
            continue;
        if (ex->stripSensitive && isSensitiveHeader(name))
            continue;
        if (!ex->referer.isEmpty() && nameIs(name, "Referer"))
            continue;
        authorization = authorization || nameIs(name, "Authorization");
        w += name;
        w += ": ";
        w += trimOws(value);
        w += "\r\n";
    }
    if (!ex->referer.isEmpty()) {
        w += "Referer: ";
        w += ex->referer;
        w += "\r\n";
    }
    if (ex->url.hasUser && !authorization) {
        // Go Client.send: URL userinfo becomes Basic auth unless an Authorization header is set.
        w += "Authorization: Basic ";
        w += (ex->url.username + ':' + ex->url.password).toBase64();
        w += "\r\n";
    }
    if (ex->addGzip)
        w += "Accept-Encoding: gzip\r\n";
    w += "\r\n";
    w += body;

    c->state = Connection::State::Busy;
    c->exchange = ex;
    c->reusedForThis = c->reused;
    c->requestBytes = w.size();
    c->parser.reset(ex->method == "HEAD", ex->addGzip, m_opt.maxResponseBytes);
    ex->conn = c;
    const qint64 written = c->socket->write(w);
    if (w.capacity() > (1 << 20))
        w = QByteArray(); // do not keep a large body's buffer around
    if (written < 0) {
        c->exchange = nullptr;
        ex->conn = nullptr;
        return false;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------------
// Socket events

void HttpClient::Private::onSocketEvent(Connection* c, int ev)
{
    if (m_processing) {
        deferService(c);
        return;
    }
    Dispatch dispatch(this, c->socket);
    Processing scope(this);
    handleSocketEvent(c, ev);
}

void HttpClient::Private::deferService(Connection* c)
{
    if (!c->deferred) {
        c->deferred = true;
        m_deferred.push_back(c);
    }
    if (!m_deferredPosted) {
        m_deferredPosted = true;
        QMetaObject::invokeMethod(q, [this] { runDeferred(); }, Qt::QueuedConnection);
    }
}

void HttpClient::Private::runDeferred()
{
    Dispatch dispatch(this, nullptr);
    Processing scope(this);
    m_deferredPosted = false;
    // Handle one "something happened" per connection, judged from the socket's state.
    while (!m_deferred.empty()) {
        Connection* c = m_deferred.back();
        m_deferred.pop_back();
        c->deferred = false;
        const bool connected = c->socket->state() == QAbstractSocket::ConnectedState;
        switch (c->state) {
        case Connection::State::Dialing:
            if (connected && (!c->tls || static_cast<QSslSocket*>(c->socket)->isEncrypted()))
                dialFinished(c);
            else if (c->socket->state() == QAbstractSocket::UnconnectedState)
                dialFailed(c, HttpErrorKind::Connect, dialError(c));
            break;
        case Connection::State::Idle:
            removeIdle(c);
            dispose(c);
            break;
        case Connection::State::Busy:
            serviceConnection(c, !connected);
            break;
        }
    }
}

void HttpClient::Private::handleSocketEvent(Connection* c, int ev)
{
    switch (c->state) {
    case Connection::State::Dialing:
        if (ev == EvConnected) {
            c->socket->setSocketOption(QAbstractSocket::LowDelayOption, 1); // Go sets TCP_NODELAY
            c->socket->setSocketOption(QAbstractSocket::KeepAliveOption, 1);
            if (c->tls)
                setDialDeadline(c, m_opt.tlsHandshakeTimeoutMs);
            else
                dialFinished(c);
        } else if (ev == EvEncrypted) {
            dialFinished(c);
        } else if (ev == EvError || ev == EvDisconnected) {
            dialFailed(c, HttpErrorKind::Connect, dialError(c));
        }
        return;
    case Connection::State::Idle:
        // The server closed a keep-alive connection, or sent bytes nobody asked for (Go: "Unsolicited
        // response received on idle HTTP channel"): either way it is no longer usable.
        removeIdle(c);
        dispose(c);
        return;
    case Connection::State::Busy:
        serviceConnection(c, ev == EvError || ev == EvDisconnected);
        return;
    }
}

// Reads into c->in. Returns bytes read, 0 if nothing was available, -1 at end of stream or error.
qint64 HttpClient::Private::readChunk(Connection* c, bool* filled)
{
    *filled = false;
    QByteArray& in = c->in;
    if (c->inPos == in.size()) {
        in.resize(0);
        c->inPos = 0;
    } else if (c->inPos > 0 && (c->inPos >= 65536 || in.capacity() - in.size() < 16384)) {
        in.remove(0, c->inPos);
        c->inPos = 0;
    }
    if (in.capacity() - in.size() < 16384)
        in.reserve(in.size() + std::max<qsizetype>(16384, std::min<qsizetype>(in.size(), 1 << 20)));
    const qsizetype old = in.size();
    const qsizetype room = in.capacity() - old;
    in.resize(in.capacity());
    const qint64 n = c->socket->read(in.data() + old, room);
    in.resize(old + std::max<qint64>(n, 0));
    *filled = n == room;
    return n;
}

void HttpClient::Private::serviceConnection(Connection* c, bool eof)
{
    HttpResponseParser& parser = c->parser;
    for (;;) {
        bool filled = false;
        const qint64 n = readChunk(c, &filled);
        if (n < 0)
            eof = true;
        if (c->inPos < c->in.size()) {
            c->inPos += parser.feed(c->in.constData() + c->inPos, c->in.size() - c->inPos);
            if (parser.state() == HttpResponseParser::State::Done) {
                responseDone(c);
                return;
            }
            if (parser.state() == HttpResponseParser::State::Failed) {
                Exchange* ex = c->exchange;
                Pool* pool = c->pool;
                const HttpErrorKind kind = parser.errorKind();
                QString message = parser.errorMessage(); // the parser dies with the connection
                c->exchange = nullptr;
                ex->conn = nullptr;
                dispose(c);
                pump(pool);
                fail(ex, kind, std::move(message));
                return;
            }
        }
        if (n <= 0 || !filled)
            break;
    }
    if (!eof)
        return;
    const bool clean = c->socket->error() == QAbstractSocket::RemoteHostClosedError
                       || c->socket->error() == QAbstractSocket::UnknownSocketError;
    if (clean) {
        parser.finishOnEof();
        if (parser.state() == HttpResponseParser::State::Done) {
            responseDone(c);
            return;
        }
    }
    connectionBroken(c, clean);
}

void HttpClient::Private::connectionBroken(Connection* c, bool cleanEof)
{
    Exchange* ex = c->exchange;
    Pool* pool = c->pool;
    HttpResponseParser& parser = c->parser;
    // Go persistConn.shouldRetryRequest: only on a reused connection where nothing came back, and only
    // if nothing was written or the request is replayable (idempotent method or Idempotency-Key).
    const bool nothingWritten = c->socket->bytesToWrite() >= c->requestBytes;
    const bool replayable = ex->method == "GET" || ex->method == "HEAD" || ex->method == "OPTIONS"
                            || ex->method == "TRACE" || ex->hasIdempotencyKey;
    const bool retry = c->reusedForThis && !parser.receivedAny() && (nothingWritten || replayable);

    HttpErrorKind kind = parser.headersComplete() ? HttpErrorKind::BodyRead : HttpErrorKind::Transport;
    QString message;
    if (parser.state() == HttpResponseParser::State::Failed) {
        kind = parser.errorKind();
        message = parser.errorMessage();
    } else if (cleanEof) {
        message = parser.headersComplete() ? QStringLiteral("unexpected EOF")
                                           : QStringLiteral("EOF: the server closed the connection without a response");
    } else {
        message = QStringLiteral("read %1: %2").arg(pool->label, c->socket->errorString());
    }
    c->exchange = nullptr;
    ex->conn = nullptr;
    dispose(c);
    if (retry) {
        assign(ex, true);
        return;
    }
    pump(pool);
    fail(ex, kind, message);
}

// The response is complete: release the connection, then follow a redirect or finish.
void HttpClient::Private::responseDone(Connection* c)
{
    Exchange* ex = c->exchange;
    Pool* pool = c->pool;
    HttpResponse response = c->parser.takeResponse();
    const bool reusable = c->parser.keepAlive() && !ex->request.closeConnection && !ex->callerConnectionClose
                          && c->inPos == c->in.size() && c->socket->bytesToWrite() == 0
                          && c->socket->state() == QAbstractSocket::ConnectedState;
    c->exchange = nullptr;
    ex->conn = nullptr;
    if (reusable) {
        c->reused = true;
        c->in.resize(0);
        c->inPos = 0;
        connectionAvailable(c);
    } else {
        dispose(c);
        pump(pool);
    }

    const int status = response.status;
    if (!ex->request.followRedirects || !isRedirectStatus(status)) {
        complete(ex, std::move(response));
        return;
    }
    // Go redirectBehavior and Client.do.
    QByteArray method = ex->method;
    bool includeBody = false;
    const QByteArray location = response.header("Location");
    if (status == 307 || status == 308) {
        if (location.isEmpty()) {
            complete(ex, std::move(response)); // Go returns such 307/308 responses as they are
            return;
        }
        includeBody = true;
    } else if (method != "GET" && method != "HEAD") {
        method = "GET";
    }
    if (location.isEmpty()) {
        fail(ex, HttpErrorKind::Transport, QStringLiteral("%1 response missing Location header").arg(status));
        return;
    }
    auto next = ex->url.resolve(location);
    if (!next) {
        fail(ex, HttpErrorKind::Transport, QStringLiteral("failed to parse Location header: %1").arg(next.error()));
        return;
    }
    if (ex->requests >= 10) {
        fail(ex, HttpErrorKind::Transport, QStringLiteral("stopped after 10 redirects"));
        return;
    }
    // Go refererForURL: no Referer from https to http; never the userinfo.
    const HttpUrl& prev = ex->url;
    ex->referer = (prev.scheme == "https" && next->scheme == "http") ? QByteArray() : prev.toString(false);
    // Credentials and cookies stay with the original host and its subdomains; once dropped they stay
    // dropped (Go >= 1.22, stricter than Go 1.19 which compared only consecutive hops).
    if (!ex->stripSensitive && ex->initialHost != next->host
        && !isDomainOrSubdomain(asciiHost(next->hostname()), ex->initialHostname))
        ex->stripSensitive = true;
    ex->method = std::move(method);
    ex->sendBody = includeBody;
    ex->url = std::move(*next);
    HttpError error;
    if (!prepareHop(ex, &error)) {
        fail(ex, error.kind, std::move(error.message));
        return;
    }
    assign(ex, false);
}

bool HttpClient::Private::wouldRedirect(const Exchange* ex, const HttpResponse& response) const
{
    if (!ex->request.followRedirects || !isRedirectStatus(response.status))
        return false;
    return response.status <= 303 || !response.header("Location").isEmpty();
}

void HttpClient::Private::complete(Exchange* ex, HttpResult result)
{
    Q_ASSERT(!ex->conn);
    m_deadlines.remove(ex);
    unbind(ex);
    m_exchanges.remove(ex);
    m_completions.push_back(Completion{std::move(ex->context), ex->hasContext, std::move(ex->done), std::move(result)});
    delete ex;
}

void HttpClient::Private::flushCompletions(Dispatch& dispatch)
{
    while (!dispatch.destroyed && !m_completions.empty()) {
        std::vector<Completion> batch;
        batch.swap(m_completions);
        // Only locals from here on: any callback may destroy the client.
        for (Completion& c : batch) {
            if (c.hasContext && !c.context)
                continue;
            if (c.done)
                c.done(std::move(c.result));
        }
    }
}

void HttpClient::Private::scheduleFlush()
{
    if (m_flushTimerFiring) {
        // A callback of the flush is waiting in a nested event loop: a timer never fires inside its
        // own timeout, so post instead.
        if (m_flushPosted)
            return;
        m_flushPosted = true;
        QMetaObject::invokeMethod(q, [this] {
            m_flushPosted = false;
            Dispatch dispatch(this, nullptr); // flushes on destruction
        }, Qt::QueuedConnection);
        return;
    }
    if (!m_flushTimer.isActive())
        m_flushTimer.start();
}

void HttpClient::Private::onFlushTimer()
{
    Dispatch dispatch(this, nullptr);
    m_flushTimerFiring = true;
    flushCompletions(dispatch);
    if (!dispatch.destroyed)
        m_flushTimerFiring = false;
}

// ---------------------------------------------------------------------------------------------------
// Pools and connections

void HttpClient::Private::pump(Pool* pool)
{
    const int limit = m_opt.maxConnsPerHost;
    while (qsizetype(pool->waiters.size()) > pool->dialing && (limit <= 0 || pool->open < limit))
        startDial(pool);
}

void HttpClient::Private::startDial(Pool* pool)
{
    auto* c = new Connection;
    c->pool = pool;
    c->tls = pool->tls;
    m_connections.pushBack(c);
    ++pool->open;
    ++pool->dialing;
    ++m_openCount;
    QAbstractSocket* s = c->tls ? new QSslSocket : static_cast<QAbstractSocket*>(new QTcpSocket);
    c->socket = s;
    s->setProxy(QNetworkProxy::NoProxy); // Go's ProxyFromEnvironment is not supported (see header)
    QObject::connect(s, &QAbstractSocket::connected, q, [this, c] { onSocketEvent(c, EvConnected); });
    QObject::connect(s, &QIODevice::readyRead, q, [this, c] { onSocketEvent(c, EvReadyRead); });
    QObject::connect(s, &QAbstractSocket::errorOccurred, q, [this, c](QAbstractSocket::SocketError) { onSocketEvent(c, EvError); });
    QObject::connect(s, &QAbstractSocket::disconnected, q, [this, c] { onSocketEvent(c, EvDisconnected); });
    if (c->tls) {
        auto* ssl = static_cast<QSslSocket*>(s);
        QObject::connect(ssl, &QSslSocket::encrypted, q, [this, c] { onSocketEvent(c, EvEncrypted); });
        QObject::connect(ssl, &QSslSocket::sslErrors, q, [c](const QList<QSslError>& errors) {
            for (const QSslError& e : errors)
                c->sslErrors += (c->sslErrors.isEmpty() ? QString() : QStringLiteral("; ")) + e.errorString();
        });
    }
    setDialDeadline(c, m_opt.connectTimeoutMs);
    c->inDialQueue = true;
    m_dialQueue.push_back(c);
    if (!m_dialsPosted) {
        m_dialsPosted = true;
        QMetaObject::invokeMethod(q, [this] { startQueuedDials(); }, Qt::QueuedConnection);
    }
}

void HttpClient::Private::startQueuedDials()
{
    Dispatch dispatch(this, nullptr);
    m_dialsPosted = false;
    std::vector<Connection*> batch;
    batch.swap(m_dialQueue);
    for (Connection* c : batch)
        c->inDialQueue = false;
    // connectToHost() may report success or failure synchronously; those signals are handled at once
    // (no Processing scope here) and may even run callbacks, hence the check after each call.
    for (Connection* c : batch) {
        const QString host = c->pool->dialHost;
        const quint16 port = c->pool->port;
        if (c->tls)
            static_cast<QSslSocket*>(c->socket)->connectToHostEncrypted(host, port);
        else
            c->socket->connectToHost(host, port, QIODevice::ReadWrite | QIODevice::Unbuffered);
        if (dispatch.destroyed)
            return;
    }
}

void HttpClient::Private::dialFinished(Connection* c)
{
    --c->pool->dialing;
    m_dialDeadlines.remove(c);
    c->state = Connection::State::Idle; // not yet in the idle list
    connectionAvailable(c);
}

QString HttpClient::Private::dialError(Connection* c) const
{
    QString reason = c->socket->errorString();
    if (!c->sslErrors.isEmpty() && !reason.contains(c->sslErrors))
        reason += QStringLiteral(" (") + c->sslErrors + QLatin1Char(')');
    return QStringLiteral("%1 %2: %3").arg(c->tls ? QStringLiteral("tls dial") : QStringLiteral("dial tcp"), c->pool->label, reason);
}

void HttpClient::Private::dialFailed(Connection* c, HttpErrorKind kind, const QString& message)
{
    Pool* pool = c->pool;
    dispose(c);
    // The dial was started for the oldest waiter (Go ties a dial to the request that wanted it).
    if (!pool->waiters.empty())
        fail(pool->waiters.front(), kind, message);
    pump(pool);
}

// A connection without an exchange: hand it to the first waiter or keep it idle.
void HttpClient::Private::connectionAvailable(Connection* c)
{
    Pool* pool = c->pool;
    if (pool->waiters.empty()) {
        makeIdle(c);
        return;
    }
    // The server may have closed right behind the previous response: check before handing it over.
    if (c->reused && !healthy(c)) {
        dispose(c);
        pump(pool);
        return;
    }
    Exchange* ex = pool->waiters.front();
    pool->waiters.pop_front();
    ex->waiting = false;
    --m_queuedCount;
    if (writeRequest(c, ex))
        return;
    const bool reused = c->reused;
    const QString reason = c->socket->errorString();
    dispose(c);
    if (reused) {
        assign(ex, true); // nothing written: Go retries
    } else {
        pump(pool);
        fail(ex, HttpErrorKind::Transport, QStringLiteral("write %1: %2").arg(pool->label, reason));
    }
}

HttpClient::Private::Connection* HttpClient::Private::takeIdle(Pool* pool)
{
    while (!pool->idle.empty()) {
        Connection* c = pool->idle.back();
        pool->idle.pop_back();
        m_idleLru.remove(c);
        --m_idleCount;
        if (healthy(c))
            return c;
        dispose(c);
    }
    return nullptr;
}

// Catches keep-alive connections the server closed while we were not looking (the event loop has not
// delivered the notification yet). Go's per-connection read loop notices the same thing earlier.
bool HttpClient::Private::healthy(Connection* c) const
{
    if (c->socket->state() != QAbstractSocket::ConnectedState)
        return false;
    if (c->tls)
        return c->socket->bytesAvailable() == 0;
#ifdef Q_OS_UNIX
    char byte;
    const ssize_t n = ::recv(int(c->socket->socketDescriptor()), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
#else
    return true;
#endif
}

void HttpClient::Private::makeIdle(Connection* c)
{
    Pool* pool = c->pool;
    const int perHost = m_opt.maxIdlePerHost == 0 ? 2 : m_opt.maxIdlePerHost; // Go DefaultMaxIdleConnsPerHost
    if (perHost < 0 || qsizetype(pool->idle.size()) >= perHost) {
        dispose(c);
        return;
    }
    c->state = Connection::State::Idle;
    c->idleSince = now();
    pool->idle.push_back(c);
    m_idleLru.pushBack(c);
    ++m_idleCount;
    if (m_opt.maxIdleTotal != 0 && m_idleCount > m_opt.maxIdleTotal) {
        Connection* oldest = m_idleLru.front(); // Go evicts the least recently used idle connection
        removeIdle(oldest);
        dispose(oldest);
    }
    if (!m_idleTimer.isActive())
        armIdleTimer();
}

void HttpClient::Private::removeIdle(Connection* c)
{
    auto& idle = c->pool->idle;
    for (auto it = idle.end(); it != idle.begin();) {
        --it;
        if (*it == c) {
            idle.erase(it);
            m_idleLru.remove(c);
            --m_idleCount;
            return;
        }
    }
}

// Closes the socket and frees the connection. The caller has detached any exchange and removed the
// connection from the idle structures.
void HttpClient::Private::dispose(Connection* c)
{
    Q_ASSERT(!c->exchange);
    Pool* pool = c->pool;
    if (c->state == Connection::State::Dialing)
        --pool->dialing;
    --pool->open;
    --m_openCount;
    if (c->inDialQueue)
        m_dialQueue.erase(std::find(m_dialQueue.begin(), m_dialQueue.end(), c));
    m_dialDeadlines.remove(c);
    if (c->deferred)
        m_deferred.erase(std::find(m_deferred.begin(), m_deferred.end(), c));
    m_connections.remove(c);
    disposeSocket(c->socket);
    delete c;
    if (pool->open == 0 && !m_idleTimer.isActive())
        armIdleTimer(); // collect the pool later
}

void HttpClient::Private::disposeSocket(QAbstractSocket* s)
{
    QObject::disconnect(s, nullptr, q, nullptr);
    s->abort();
    // A socket whose signal is being delivered further up the stack must outlive that delivery.
    for (Dispatch* d = m_dispatch; d; d = d->prev) {
        if (d->socket == s) {
            s->deleteLater();
            return;
        }
    }
    delete s;
}

void HttpClient::Private::collectPools()
{
    for (auto it = m_pools.begin(); it != m_pools.end();) {
        Pool* pool = it.value();
        if (pool->open == 0 && pool->waiters.empty() && pool->bound == 0) {
            delete pool;
            it = m_pools.erase(it);
        } else {
            ++it;
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Timers

void HttpClient::Private::addDeadline(Exchange* ex)
{
    // Deadlines mostly arrive in order: insert from the back.
    Exchange* pos = m_deadlines.back();
    while (pos && pos->deadline > ex->deadline)
        pos = decltype(m_deadlines)::prev(pos);
    m_deadlines.insertAfter(pos, ex);
    if (!m_deadlineTimer.isActive() || ex->deadline < m_deadlineArmedFor)
        armDeadlineTimer();
}

void HttpClient::Private::setDialDeadline(Connection* c, int timeoutMs)
{
    m_dialDeadlines.remove(c);
    if (timeoutMs <= 0)
        return;
    c->dialDeadline = now() + timeoutMs;
    Connection* pos = m_dialDeadlines.back();
    while (pos && pos->dialDeadline > c->dialDeadline)
        pos = decltype(m_dialDeadlines)::prev(pos);
    m_dialDeadlines.insertAfter(pos, c);
    if (!m_deadlineTimer.isActive() || c->dialDeadline < m_deadlineArmedFor)
        armDeadlineTimer();
}

void HttpClient::Private::armDeadlineTimer()
{
    Exchange* first = m_deadlines.front();
    Connection* dial = m_dialDeadlines.front();
    if (!first && !dial) {
        m_deadlineTimer.stop();
        return;
    }
    qint64 at = first ? first->deadline : dial->dialDeadline;
    if (first && dial)
        at = std::min(first->deadline, dial->dialDeadline);
    m_deadlineArmedFor = at;
    m_deadlineTimer.start(int(std::clamp<qint64>(at - now(), 0, 1 << 30)));
}

void HttpClient::Private::onDeadlineTimer()
{
    Dispatch dispatch(this, nullptr);
    Processing scope(this);
    const qint64 t = now();
    while (Exchange* ex = m_deadlines.front()) {
        if (ex->deadline > t)
            break;
        timeout(ex);
    }
    while (Connection* c = m_dialDeadlines.front()) {
        if (c->dialDeadline > t)
            break;
        // Go: "dial tcp ...: i/o timeout" and "net/http: TLS handshake timeout" are both timeouts.
        const bool handshake = c->tls && c->socket->state() == QAbstractSocket::ConnectedState;
        dialFailed(c, HttpErrorKind::Timeout,
                   handshake ? QStringLiteral("net/http: TLS handshake timeout (%1)").arg(c->pool->label)
                             : QStringLiteral("dial tcp %1: i/o timeout").arg(c->pool->label));
    }
    armDeadlineTimer();
}

// Go Client.Timeout: the connection carrying the request is closed, never reused.
void HttpClient::Private::timeout(Exchange* ex)
{
    HttpErrorKind kind = HttpErrorKind::Timeout;
    QString message = QStringLiteral("Client.Timeout exceeded while awaiting headers (%1 ms)").arg(ex->request.timeoutMs);
    if (Connection* c = ex->conn) {
        if (c->parser.headersComplete() && !wouldRedirect(ex, c->parser.response())) {
            // Go: the deadline hit io.ReadAll, not Client.Do (PROTOCOL §10.2 "response payload").
            kind = HttpErrorKind::BodyRead;
            message = QStringLiteral("context deadline exceeded (Client.Timeout or context cancellation while reading body)");
        }
        Pool* pool = c->pool;
        c->exchange = nullptr;
        ex->conn = nullptr;
        dispose(c);
        pump(pool);
    }
    fail(ex, kind, message);
}

void HttpClient::Private::armIdleTimer()
{
    qint64 wait = -1;
    if (Connection* oldest = m_idleLru.front(); oldest && m_opt.idleTimeoutMs > 0)
        wait = std::max<qint64>(0, oldest->idleSince + m_opt.idleTimeoutMs - now());
    else if (m_pools.size() > 0)
        wait = 60000; // only pools to collect
    if (wait >= 0)
        m_idleTimer.start(int(std::min<qint64>(wait, 60000)));
}

void HttpClient::Private::onIdleTimer()
{
    Dispatch dispatch(this, nullptr);
    Processing scope(this);
    if (m_opt.idleTimeoutMs > 0) {
        const qint64 t = now();
        while (Connection* c = m_idleLru.front()) {
            if (c->idleSince + m_opt.idleTimeoutMs > t)
                break;
            removeIdle(c);
            dispose(c);
        }
    }
    collectPools();
    if (m_idleLru.front() || !m_pools.isEmpty())
        armIdleTimer();
}

// ---------------------------------------------------------------------------------------------------

HttpClient::HttpClient(HttpClientOptions options, QObject* parent)
    : QObject(parent), d(std::make_unique<Private>(this, options)), m_options(std::move(options))
{
}

HttpClient::~HttpClient()
{
    d.reset();
}

void HttpClient::send(HttpRequest request, QObject* context, Callback done)
{
    Q_ASSERT_X(QThread::currentThread() == thread(), "HttpClient::send", "call from the client's own thread");
    d->send(std::move(request), context, std::move(done));
}

int HttpClient::activeConnections() const { return d->m_openCount - d->m_idleCount; }
int HttpClient::idleConnections() const { return d->m_idleCount; }
int HttpClient::queuedRequests() const { return d->m_queuedCount + int(d->m_toStart.size()); }

} // namespace pocket
