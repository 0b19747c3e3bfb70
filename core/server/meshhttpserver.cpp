#include "server/meshhttpserver.h"

#include <QLoggingCategory>
#include <QThread>
#include <QTimer>
#include <chrono>
#include <future>
#include <vector>
#ifdef Q_OS_UNIX
#include <fcntl.h>
#include <unistd.h>
#endif

#include "server/httpconnection.h"
#include "util/threadscheduling.h"

Q_DECLARE_LOGGING_CATEGORY(lcHttpServer)

namespace pocket {

// ---- ServerThreadContext -----------------------------------------------------------------------------

int ServerThreadContext::threadIndex() const
{
    return m_state.index;
}

const HttpServerOptions& ServerThreadContext::options() const
{
    return m_state.options;
}

QObject* ServerThreadContext::owner() const
{
    return m_owner;
}

void ServerThreadContext::route(const QByteArray& method, const QByteArray& path, HttpHandler handler)
{
    m_state.router.add(method, path, std::move(handler));
}

void ServerThreadContext::routePrefix(const QByteArray& method, const QByteArray& prefix, HttpHandler handler)
{
    m_state.router.addPrefix(method, prefix, std::move(handler));
}

void ServerThreadContext::fallback(HttpHandler handler)
{
    m_state.router.setFallback(std::move(handler));
}

// ---- ServerThread ------------------------------------------------------------------------------------

// One server thread: its event loop, its QHttpServer front, its listening socket (a dup of thread 0's)
// and the objects setupThread created. m_state and m_owner are touched only inside the thread.
class ServerThread final : public QThread
{
public:
    struct Started
    {
        bool ok = false;
        QString error;
        quint16 port = 0;
        qintptr descriptor = -1;
    };

    ServerThread(int index, const HttpServerOptions& options, MeshHttpServer::SetupThread setup,
                 std::shared_ptr<detail::ServerCounters> counters, qintptr inheritedDescriptor)
        : m_index(index), m_options(options), m_setup(std::move(setup)), m_counters(std::move(counters)),
          m_inheritedDescriptor(inheritedDescriptor)
    {
    }

    Started waitStarted() { return m_started.get_future().get(); }

    // Runs `work` in this thread: directly when called from it, else posted; blocks until done when
    // `wait` is set. False when the thread no longer runs.
    bool runInThread(std::function<void(ServerThreadState&)> work, bool wait)
    {
        if (QThread::currentThread() == this) {
            if (m_state) work(*m_state);
            return m_state != nullptr;
        }
        auto done = std::make_shared<std::promise<void>>();
        std::future<void> finished = done->get_future();
        const bool posted = m_mailbox && m_mailbox->post([this, work = std::move(work), done] {
            if (m_state) work(*m_state);
            done->set_value();
        });
        if (posted && wait) finished.wait();
        return posted;
    }

    // Graceful stop of this thread (see MeshHttpServer::stop); runs in the thread.
    void beginShutdown(ServerThreadState& st, int graceMs)
    {
        st.draining = true;
        if (st.listener) st.listener->close();
        st.onAllConnectionsClosed = [this] { quit(); };
        const QList<HttpConnection*> connections(st.connections.begin(), st.connections.end());
        for (HttpConnection* c : connections) c->beginDrain();
        if (st.connections.isEmpty()) {
            quit();
            return;
        }
        QTimer::singleShot(qMax(0, graceMs), m_owner, [this, &st] {
            const QList<HttpConnection*> left(st.connections.begin(), st.connections.end());
            for (HttpConnection* c : left)
                if (c->hasWorkInProgress()) m_counters->cutOff.store(true);
            for (HttpConnection* c : left) c->abort();
            quit();
        });
    }

protected:
    void run() override
    {
        // Server threads answer clients: the default class, even if the creating thread is a background one
        // (threads inherit their creator's class).
        setCurrentThreadClass(ThreadClass::Interactive);
        ServerThreadState state(m_options, m_index, m_counters);
        m_mailbox = state.mailbox;
        QObject owner;
        detail::MailboxReceiver mailboxReceiver;
        ServerThreadContext ctx(state, &owner);
        try {
            if (m_setup) m_setup(ctx);
        } catch (const std::exception& e) {
            m_started.set_value({false, QStringLiteral("server thread setup failed: %1").arg(QString::fromUtf8(e.what()))});
            return;
        }

        auto* front = new HttpFront;
        auto* listener = new GuardedTcpServer(state);
        bool ok;
        if (m_inheritedDescriptor < 0) {
            ok = listener->listen(m_options.address, m_options.port);
        } else {
            ok = listener->setSocketDescriptor(m_inheritedDescriptor);
#ifdef Q_OS_UNIX
            if (!ok) ::close(int(m_inheritedDescriptor));
#endif
        }
        if (!ok) {
            const QString error = QStringLiteral("cannot listen on %1:%2: %3")
                                      .arg(m_options.address.toString())
                                      .arg(m_options.port)
                                      .arg(listener->errorString());
            delete listener;
            delete front;
            m_started.set_value({false, error});
            return;
        }
        front->bind(listener); // takes ownership
        state.listener = listener;
        {
            std::lock_guard lock(state.mailbox->mutex);
            state.mailbox->target = &mailboxReceiver;
        }
        m_state = &state;
        m_owner = &owner;
        m_started.set_value({true, {}, listener->serverPort(), listener->socketDescriptor()});

        exec();

        {
            std::lock_guard lock(state.mailbox->mutex);
            state.mailbox->target = nullptr;
        }
        state.onAllConnectionsClosed = nullptr;
        state.listener = nullptr;
        delete front; // the listener and every connection; then `owner` deletes the per-thread objects
        m_state = nullptr;
        m_owner = nullptr;
    }

private:
    const int m_index;
    const HttpServerOptions m_options;
    const MeshHttpServer::SetupThread m_setup;
    const std::shared_ptr<detail::ServerCounters> m_counters;
    const qintptr m_inheritedDescriptor;
    std::promise<Started> m_started;
    std::shared_ptr<detail::ThreadMailbox> m_mailbox; // set in run() before m_started is fulfilled
    ServerThreadState* m_state = nullptr;             // only in the thread
    QObject* m_owner = nullptr;                       // only in the thread
};

// ---- MeshHttpServer ----------------------------------------------------------------------------------

struct MeshHttpServer::Impl
{
    HttpServerOptions options;
    SetupThread setup;
    std::shared_ptr<detail::ServerCounters> counters = std::make_shared<detail::ServerCounters>();
    std::vector<std::unique_ptr<ServerThread>> threads; // owned by the creating thread
    quint16 port = 0;
    bool listening = false;

    bool calledFromServerThread() const
    {
        for (const auto& t : threads)
            if (QThread::currentThread() == t.get()) return true;
        return false;
    }
};

MeshHttpServer::MeshHttpServer(HttpServerOptions options, SetupThread setupThread) : d(std::make_unique<Impl>())
{
    if (options.maxBodyBytes <= 0) options.maxBodyBytes = 1048576; // PROTOCOL §12.2: 0 ⇒ 1048576
    if (options.maxHeaderBytes <= 0) options.maxHeaderBytes = 1048576;
    if (options.threads < 1) options.threads = 1;
    if (options.maxPipelinedRequests < 0) options.maxPipelinedRequests = 0;
#ifndef Q_OS_UNIX
    options.threads = 1; // the listening socket is shared with dup(), a POSIX call
#endif
    d->options = options;
    d->setup = std::move(setupThread);
}

MeshHttpServer::~MeshHttpServer()
{
    stop(0);
}

Result<void> MeshHttpServer::listen()
{
    if (d->listening) return {};
    d->counters->cutOff.store(false);
    qintptr descriptor = -1;
    for (int i = 0; i < d->options.threads; ++i) {
        qintptr inherited = -1;
        if (i > 0) {
#ifdef Q_OS_UNIX
            inherited = ::fcntl(int(descriptor), F_DUPFD_CLOEXEC, 0);
#endif
            if (inherited < 0) {
                stop(0);
                return fail(PocketError::internal(QStringLiteral("cannot share the listening socket with server thread %1").arg(i)));
            }
        }
        auto thread = std::make_unique<ServerThread>(i, d->options, d->setup, d->counters, inherited);
        thread->setObjectName(QStringLiteral("http-%1").arg(i));
        thread->start();
        const ServerThread::Started started = thread->waitStarted();
        if (!started.ok) {
            thread->wait();
            stop(0);
            return fail(PocketError::internal(started.error));
        }
        if (i == 0) {
            descriptor = started.descriptor;
            d->port = started.port;
        }
        d->threads.push_back(std::move(thread));
        d->listening = true; // from the first thread on: stop() cleans up
    }
    return {};
}

quint16 MeshHttpServer::port() const
{
    return d->port;
}

int MeshHttpServer::threadCount() const
{
    return int(d->threads.size());
}

bool MeshHttpServer::isListening() const
{
    return d->listening;
}

void MeshHttpServer::stopAccepting()
{
    // Blocking from outside so that no connection is accepted once this returns; from a server thread,
    // the other threads are only told (blocking there could deadlock).
    const bool wait = !d->calledFromServerThread();
    for (const auto& t : d->threads)
        t->runInThread(
            [](ServerThreadState& st) {
                if (st.listener) st.listener->close();
            },
            wait);
}

bool MeshHttpServer::waitForIdle(int timeoutMs)
{
    detail::ServerCounters& c = *d->counters;
    std::unique_lock lock(c.mutex);
    c.waiters.fetch_add(1);
    const bool idle = c.cv.wait_for(lock, std::chrono::milliseconds(qMax(0, timeoutMs)),
                                    [&c] { return c.inFlight.load() == 0; });
    c.waiters.fetch_sub(1);
    return idle;
}

bool MeshHttpServer::stop(int graceMs)
{
    if (d->threads.empty()) {
        d->listening = false;
        return true;
    }
    if (d->calledFromServerThread()) {
        qCWarning(lcHttpServer) << "MeshHttpServer::stop() called from a server thread; ignored";
        return false;
    }
    for (const auto& t : d->threads) {
        ServerThread* thread = t.get();
        thread->runInThread([thread, graceMs](ServerThreadState& st) { thread->beginShutdown(st, graceMs); }, false);
    }
    for (const auto& t : d->threads) t->wait();
    d->threads.clear();
    d->listening = false;
    return !d->counters->cutOff.load();
}

int MeshHttpServer::inFlightRequests() const
{
    return d->counters->inFlight.load();
}

int MeshHttpServer::openConnections() const
{
    return d->counters->connections.load();
}

} // namespace pocket
