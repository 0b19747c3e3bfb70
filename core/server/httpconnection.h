#pragma once
// Internal to core/server: one client connection of MeshHttpServer, and the per-thread state it uses.
//
// How the guard works. HttpConnection *is* the QTcpSocket that QHttpServer 6.4 reads. Its own readyRead
// slot is connected before the socket is handed to QHttpServer, so it runs first on every readyRead: it
// peeks (does not consume) the new bytes and runs HttpRequestFramer over them, which knows where every
// request ends and enforces the limits. QHttpServer then reads and de-chunks one complete request per
// readyRead emission (measured on 6.4.2; it re-emits readyRead for what is left) and calls
// HttpFront::handleRequest, which gives the request to onRequestParsed(); the request is matched with the
// head the framer queued for it. Bytes the server must not act on (after a refused request, after
// "Connection: close") are skipped before QHttpServer sees them. Answers are written by this class as raw
// bytes; QHttpServerResponder (raw socket pointer, QT64-NOTES) is never used.
//
// All members are owned by the server thread the connection lives in, except ConnectionLife::alive and
// ResponderState::answered (atomics, read anywhere) and ThreadMailbox::target (under its mutex).
#include <QAbstractHttpServer>
#include <QBasicTimer>
#include <QPointer>
#include <QSet>
#include <QTcpServer>
#include <QTcpSocket>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "server/httprequestframer.h"
#include "server/httprouter.h"
#include "server/meshhttpserver.h"

class QHttpServerRequest;

namespace pocket {

class HttpConnection;

namespace detail {

struct ConnectionLife
{
    std::atomic<bool> alive{true};
};

// Lets any thread post work to a server thread while that thread may be ending. The work travels in a
// MailboxEvent that Qt delivers and deletes in the server thread, so everything the work captured is used
// and freed there (annotated for ThreadSanitizer, which cannot see Qt's event queue).
struct ThreadMailbox
{
    std::mutex mutex;          // std::mutex: visible to ThreadSanitizer
    QObject* target = nullptr; // a MailboxReceiver; guarded by mutex; null once the thread is ending
    // False when the thread is gone (the work is dropped).
    bool post(std::function<void()> work);
};

// Runs MailboxEvents; lives in its server thread.
class MailboxReceiver final : public QObject
{
public:
    bool event(QEvent* event) override;
};

// Shared by all server threads of one MeshHttpServer.
struct ServerCounters
{
    std::atomic<int> inFlight{0};
    std::atomic<int> connections{0};
    std::atomic<int> waiters{0};
    std::atomic<bool> cutOff{false}; // a graceful stop had to close connections with work in progress
    std::mutex mutex; // with cv, for waitForIdle
    std::condition_variable cv;
    void requestStarted() { inFlight.fetch_add(1); }
    void requestDone();
};

// The shared state of all copies of one Responder.
struct ResponderState
{
    ResponderState(HttpConnection* connection, quint64 seq, std::shared_ptr<ConnectionLife> life,
                   std::shared_ptr<ThreadMailbox> mailbox);
    ~ResponderState(); // unanswered: answers 500
    // Hands the answer to the connection, in its thread. Call once, after setting `answered`.
    void deliver(int status, HttpHeaderList headers, QByteArray body);

    QPointer<HttpConnection> connection; // dereferenced only in ownerThread
    QThread* const ownerThread;
    const quint64 seq;
    const std::shared_ptr<ConnectionLife> life;
    const std::shared_ptr<ThreadMailbox> mailbox;
    std::atomic<bool> answered{false};
};

} // namespace detail

// Per server thread; owned by (and only touched in) that thread.
class ServerThreadState
{
public:
    ServerThreadState(const HttpServerOptions& options, int index, std::shared_ptr<detail::ServerCounters> counters)
        : options(options), index(index), counters(std::move(counters))
    {
    }
    const HttpServerOptions options;
    const int index;
    HttpRouter router;
    const std::shared_ptr<detail::ServerCounters> counters;
    const std::shared_ptr<detail::ThreadMailbox> mailbox = std::make_shared<detail::ThreadMailbox>();
    QSet<HttpConnection*> connections;
    QTcpServer* listener = nullptr;
    bool draining = false;
    std::function<void()> onAllConnectionsClosed; // set while draining
};

class HttpConnection final : public QTcpSocket
{
    Q_OBJECT
public:
    HttpConnection(ServerThreadState& thread, QObject* parent);
    ~HttpConnection() override;

    // Before QTcpServer::addPendingConnection (so our readyRead slot runs before QHttpServer's).
    void attachBeforeServer();
    // After addPendingConnection (this slot runs after QHttpServer's).
    void attachAfterServer();

    // QHttpServer completed the next request on this connection.
    void onRequestParsed(const QHttpServerRequest& request);
    // Writes the answer to request `seq` if it is the one being handled; false when it is stale.
    bool answer(quint64 seq, int status, const HttpHeaderList& headers, const QByteArray& body);
    // Graceful stop: close now when idle, else after the answer in progress.
    void beginDrain();
    bool hasWorkInProgress() const;

protected:
    void timerEvent(QTimerEvent* event) override;

private:
    struct ParsedHead
    {
        RequestHead head;
        qint64 bodyBytes = 0;
    };
    struct QueueEntry
    {
        ServerRequest request; // moved out when dispatched
        int minorVersion = 1;
        bool keepAlive = true;
        bool headRequest = false;
        bool dispatched = false;
        quint64 seq = 0;
        std::weak_ptr<detail::ResponderState> responder;
        QByteArray rawRefusal; // non-empty: written as is, then the connection closes
    };

    void onReadyReadFirst();
    void onReadyReadAfterServer();
    void onBytesWritten();
    void onDisconnected();

    void onHeadComplete();
    void onMessageComplete();
    void refuse(QByteArray rawAnswer);
    void refuseFraming();
    void stopInput();
    void discardInput();
    void protocolMismatch();

    void pump();
    void schedulePump();
    void dispatchFront();
    void handlerTimedOut();
    void writeOut(const QByteArray& bytes);
    void closeAfterWrite();
    void maybeSendContinue();
    void updateTimers();

    ServerThreadState& m_thread;
    const std::shared_ptr<detail::ConnectionLife> m_life = std::make_shared<detail::ConnectionLife>();
    HttpRequestFramer m_framer;
    QHostAddress m_peerAddress;
    quint16 m_peerPort = 0;

    qint64 m_seen = 0;           // bytes at the front of the read buffer the framer has already seen
    bool m_attached = false;     // registered in m_thread
    bool m_alive = true;         // connected and not being destroyed
    bool m_destroying = false;
    bool m_inputStopped = false; // no more requests are read from this connection
    bool m_closing = false;      // closing after the pending output
    bool m_fresh = true;         // no request completed yet (the header timeout runs from accept)
    bool m_continuePending = false;
    bool m_inFlight = false;     // the front of m_queue is being handled
    bool m_pumping = false;
    bool m_pumpScheduled = false;
    quint64 m_lastSeq = 0;

    QList<ParsedHead> m_parsedHeads;       // framed, QHttpServer has not delivered them yet
    std::optional<QueueEntry> m_pendingRefusal; // goes after m_parsedHeads
    std::deque<QueueEntry> m_queue;        // delivered, in request order; the front is handled first

    // Deadlines in ms of steadyMs(); 0 = none.
    qint64 m_readClockStart = 0;
    qint64 m_headerDeadline = 0;
    qint64 m_readDeadline = 0;
    qint64 m_idleDeadline = 0;
    qint64 m_handlerDeadline = 0;
    qint64 m_writeDeadline = 0;
    QBasicTimer m_timer;
    qint64 m_timerDue = 0;
};

// QHttpServer's front: hands each parsed request to its HttpConnection.
class HttpFront final : public QAbstractHttpServer
{
    Q_OBJECT
public:
    using QAbstractHttpServer::QAbstractHttpServer;

protected:
    bool handleRequest(const QHttpServerRequest& request, QTcpSocket* socket) override;
    void missingHandler(const QHttpServerRequest& request, QTcpSocket* socket) override;
};

// Creates an HttpConnection per accepted socket, guard attached before QHttpServer's slots.
class GuardedTcpServer final : public QTcpServer
{
    Q_OBJECT
public:
    GuardedTcpServer(ServerThreadState& thread, QObject* parent = nullptr) : QTcpServer(parent), m_thread(thread) {}

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    ServerThreadState& m_thread;
};

// Builds a complete HTTP/1.x answer (status line, headers, Content-Length, Date, Connection, body).
QByteArray buildHttpResponse(int minorVersion, int status, const HttpHeaderList& headers, const QByteArray& body,
                             bool headRequest, bool close);

} // namespace pocket
