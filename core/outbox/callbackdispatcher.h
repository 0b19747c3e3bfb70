#pragma once
// Delivers callbacks from the outbox worker thread to the thread of a caller's context object, safely
// even when that object dies meanwhile (RelayOutbox thread rules).
//
// Why not QMetaObject::invokeMethod(context, …) from the worker: the worker would need `context` alive at
// the moment it posts, and a QPointer checked in the worker thread races with the context being destroyed
// in its own thread. Instead, one CallbackSink per target thread receives the callbacks of a whole batch in
// one event (one wake-up of that thread per batch, not per relay), and checks each context's QPointer in
// that thread, where the context lives and dies. Sinks are looked up and posted to under m_mutex, and a
// sink is only deleted after it was removed from the maps under m_mutex, so a post never reaches a
// deleted sink; events still queued when a sink dies are destroyed with it, in its thread.
#include <QEvent>
#include <QHash>
#include <mutex>
#include <QObject>
#include <QPointer>
#include <functional>
#include <memory>
#include <vector>

class QThread;

namespace pocket {

// One callback for one context.
struct Delivery
{
    QPointer<QObject> context;
    std::function<void()> call; // runs in context's thread if context is still alive
};

class CallbackSink;

class CallbackDispatcher : public std::enable_shared_from_this<CallbackDispatcher>
{
public:
    CallbackDispatcher() = default;
    ~CallbackDispatcher();
    CallbackDispatcher(const CallbackDispatcher&) = delete;
    CallbackDispatcher& operator=(const CallbackDispatcher&) = delete;

    // Any thread; `context` must be alive. The id of the sink of context's thread (created on first use),
    // 0 if context is null.
    quint64 sinkFor(QObject* context);
    // Any thread. Posts the deliveries to the sink's thread in one event; if the sink is gone (its thread
    // finished), they are destroyed here without being called.
    void post(quint64 sinkId, std::vector<Delivery> deliveries);
    // Any thread, once, when the owner goes away: deletes the sinks (each in its own thread).
    void shutdown();

private:
    friend class CallbackSink;
    bool detach(quint64 sinkId); // true if the caller now owns the sink and must delete it

    std::mutex m_mutex;
    QHash<QThread*, quint64> m_idByThread;   // guarded by m_mutex
    QHash<quint64, CallbackSink*> m_sinks;   // guarded by m_mutex
    quint64 m_nextId = 1;                    // guarded by m_mutex
    bool m_shutDown = false;                 // guarded by m_mutex
};

// Lives in one target thread; runs the deliveries posted to it.
class CallbackSink : public QObject
{
    Q_OBJECT
public:
    explicit CallbackSink(quint64 id) : m_id(id) {}
    bool event(QEvent* e) override;
    // Only meaningful in the sink's own thread.
    bool isDelivering() const { return m_delivering; }

private:
    const quint64 m_id;
    bool m_delivering = false; // owned by the sink's thread
};

} // namespace pocket
