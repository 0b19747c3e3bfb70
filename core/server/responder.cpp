#include "server/responder.h"

#include <QThread>

#include "server/httpconnection.h"

namespace pocket {

namespace detail {

bool ThreadMailbox::post(std::function<void()> work)
{
    QMutexLocker lock(&mutex);
    if (!target) return false;
    return QMetaObject::invokeMethod(target, std::move(work), Qt::QueuedConnection);
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
