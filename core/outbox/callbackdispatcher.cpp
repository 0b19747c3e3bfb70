#include "outbox/callbackdispatcher.h"

#include <QCoreApplication>
#include <QThread>

#include "outbox/tsanannotations.h"

namespace pocket {

namespace {

class DeliveryEvent : public QEvent
{
public:
    explicit DeliveryEvent(std::vector<Delivery> deliveries)
        : QEvent(eventType()), m_deliveries(std::move(deliveries))
    {
    }
    static QEvent::Type eventType()
    {
        static const QEvent::Type type = QEvent::Type(QEvent::registerEventType());
        return type;
    }
    ~DeliveryEvent() override { tsanAcquire(this); } // destroyed uncalled when its sink died
    std::vector<Delivery>& deliveries() { return m_deliveries; }

private:
    std::vector<Delivery> m_deliveries; // destroyed with the event, in the sink's thread
};

} // namespace

CallbackDispatcher::~CallbackDispatcher()
{
    shutdown();
}

quint64 CallbackDispatcher::sinkFor(QObject* context)
{
    if (!context) return 0;
    QThread* const thread = context->thread();
    std::unique_lock lock(m_mutex);
    if (m_shutDown || !thread) return 0;
    if (const auto it = m_idByThread.constFind(thread); it != m_idByThread.constEnd()) return it.value();

    const quint64 id = m_nextId++;
    auto* sink = new CallbackSink(id);
    if (thread != QThread::currentThread()) sink->moveToThread(thread);
    m_sinks.insert(id, sink);
    m_idByThread.insert(thread, id);
    // A finished thread runs no more events: drop its sink there (finished is emitted in that thread).
    std::weak_ptr<CallbackDispatcher> weak = weak_from_this();
    QObject::connect(
        thread, &QThread::finished, sink,
        [weak, id, sink] {
            const auto self = weak.lock();
            if (self && self->detach(id)) delete sink;
        },
        Qt::DirectConnection);
    return id;
}

bool CallbackDispatcher::detach(quint64 sinkId)
{
    std::unique_lock lock(m_mutex);
    CallbackSink* const sink = m_sinks.take(sinkId);
    if (!sink) return false;
    for (auto it = m_idByThread.begin(); it != m_idByThread.end(); ++it) {
        if (it.value() == sinkId) {
            m_idByThread.erase(it);
            break;
        }
    }
    return true;
}

void CallbackDispatcher::post(quint64 sinkId, std::vector<Delivery> deliveries)
{
    if (deliveries.empty()) return;
    std::unique_lock lock(m_mutex);
    if (CallbackSink* const sink = m_sinks.value(sinkId)) {
        // Under m_mutex: the sink cannot be deleted before the event is queued; if it is deleted later,
        // ~QObject removes (deletes) the queued event in the sink's thread.
        auto* e = new DeliveryEvent(std::move(deliveries));
        tsanRelease(e);
        QCoreApplication::postEvent(sink, e);
        return;
    }
    lock.unlock();
    // Sink gone (its thread finished): the callbacks are destroyed here, uncalled.
}

void CallbackDispatcher::shutdown()
{
    QHash<quint64, CallbackSink*> sinks;
    {
        std::unique_lock lock(m_mutex);
        m_shutDown = true;
        sinks.swap(m_sinks);
        m_idByThread.clear();
    }
    for (CallbackSink* sink : std::as_const(sinks)) {
        // A sink of this thread goes now (a later deleteLater might never run at exit), unless one of its
        // callbacks is running right now (the outbox destroyed from inside a callback). Others are deleted
        // in their own thread.
        if (sink->thread() == QThread::currentThread() && !sink->isDelivering())
            delete sink;
        else
            sink->deleteLater();
    }
}

bool CallbackSink::event(QEvent* e)
{
    tsanAcquire(e); // posted by the outbox worker (see tsanannotations.h)
    if (e->type() != DeliveryEvent::eventType()) return QObject::event(e);
    const bool outer = !m_delivering; // a callback may spin a nested event loop
    m_delivering = true;
    for (Delivery& d : static_cast<DeliveryEvent*>(e)->deliveries()) {
        // Checked here, in the context's own thread: it cannot die between the check and the call.
        if (d.context) d.call();
    }
    if (outer) m_delivering = false;
    return true;
}

} // namespace pocket
