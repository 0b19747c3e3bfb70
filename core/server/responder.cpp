#include "server/responder.h"

#include <QCoreApplication>
#include <QEvent>
#include <QThread>

#include "server/httpconnection.h"

namespace pocket {

namespace detail {

namespace {

// ThreadSanitizer does not see the synchronisation of Qt's posted-event queue (libQt6Core is not
// instrumented); the hand-over of a MailboxEvent is declared explicitly.
#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
void tsanRelease(void* p) { __tsan_release(p); }
void tsanAcquire(void* p) { __tsan_acquire(p); }
#else
void tsanRelease(void*) {}
void tsanAcquire(void*) {}
#endif

class MailboxEvent final : public QEvent
{
public:
    explicit MailboxEvent(std::function<void()> work) : QEvent(type()), m_work(std::move(work)) {}
    ~MailboxEvent() override { tsanAcquire(this); } // deleted in the server thread, delivered or not
    static QEvent::Type type()
    {
        static const auto t = QEvent::Type(QEvent::registerEventType());
        return t;
    }
    void run()
    {
        tsanAcquire(this);
        m_work();
    }

private:
    std::function<void()> m_work;
};

} // namespace

bool ThreadMailbox::post(std::function<void()> work)
{
    std::lock_guard lock(mutex);
    if (!target) return false;
    auto* event = new MailboxEvent(std::move(work));
    tsanRelease(event);
    QCoreApplication::postEvent(target, event);
    return true;
}

bool MailboxReceiver::event(QEvent* event)
{
    tsanAcquire(event); // before the first read of a MailboxEvent (harmless on any other event)
    if (event->type() != MailboxEvent::type()) return QObject::event(event);
    static_cast<MailboxEvent*>(event)->run();
    return true;
}

void ServerCounters::requestDone()
{
    // Notify only when someone waits (waitForIdle); the lock pairs with the waiter's predicate check.
    if (inFlight.fetch_sub(1) == 1 && waiters.load() > 0) {
        std::lock_guard lock(mutex);
        cv.notify_all();
    }
}

ResponderState::ResponderState(HttpConnection* connection, quint64 seq, std::shared_ptr<ConnectionLife> life,
                               std::shared_ptr<ThreadMailbox> mailbox)
    : connection(connection), ownerThread(QThread::currentThread()), seq(seq), life(std::move(life)),
      mailbox(std::move(mailbox))
{
}

ResponderState::~ResponderState()
{
    // DECISIONS 2: a request whose every Responder copy is gone without an answer gets a 500.
    if (answered.exchange(true)) return;
    if (!life->alive.load()) return;
    deliver(500, {{"Content-Type", "application/json; charset=UTF-8"}},
            "{\"code\":500,\"message\":\"the request was not answered\"}\n");
}

void ResponderState::deliver(int status, HttpHeaderList headers, QByteArray body)
{
    if (QThread::currentThread() == ownerThread) {
        if (HttpConnection* c = connection.data()) c->answer(seq, status, headers, body);
        return;
    }
    mailbox->post([connection = connection, seq = seq, status, headers = std::move(headers), body = std::move(body)] {
        if (HttpConnection* c = connection.data()) c->answer(seq, status, headers, body);
    });
}

} // namespace detail

void Responder::send(int status, HttpHeaderList headers, QByteArray body) const
{
    if (!m_state || m_state->answered.exchange(true)) return;
    m_state->deliver(status, std::move(headers), std::move(body));
}

bool Responder::isAlive() const
{
    return m_state && !m_state->answered.load() && m_state->life->alive.load();
}

} // namespace pocket
