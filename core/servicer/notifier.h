#pragma once
// Notification of served relays to their servicer (PROTOCOL §8, DECISIONS 4, 6): one queue per servicer node
// with at most `maxInFlight` requests under way, exponential backoff (min·2^i capped at max, Retry-After
// honoured), retried for as long as the relay can still be claimed. A relay leaves the outbox only when the
// servicer accepted it, rejected it for good, or its session can no longer be claimed.
// Lives in the control thread; submit() may be called from any thread.
#include <QHash>
#include <QMap>
#include <QObject>
#include <QTimer>
#include <atomic>
#include <deque>
#include <functional>

#include "outbox/relayoutbox.h"
#include "servicer/keyring.h"
#include "servicer/nodestatus.h"
#include "servicer/servicerclient.h"
#include "session/sessioncache.h"

namespace pocket {

struct NotifierOptions
{
    int maxInFlightPerNode = 50; // servicer_max_workers
    int retryWaitMinMs = 10;     // servicer_retry_wait_min
    int retryWaitMaxMs = 1200;   // servicer_retry_wait_max
    int notReadyRecheckMs = 1000; // node unknown, or the relay's session is not reached yet (DECISIONS 6)
};

struct NodeQueueStats
{
    QString nodeUrl;
    qint64 queued = 0;   // ready to send
    qint64 waiting = 0;  // backing off, or waiting for the servicer to reach the session
    qint64 inFlight = 0;
    qint64 delivered = 0;
    qint64 retries = 0;
    qint64 deliveredWaitMsTotal = 0; // sum over delivered relays of (delivery time − createdMs)
    QHash<QString, qint64> removedByReason;
};

class Notifier : public QObject
{
    Q_OBJECT
public:
    Notifier(ServicerClient* client, SessionCache* sessions, NodeStatusTable* nodes, RelayOutbox* outbox,
             std::function<KeyRingPtr()> keys, NotifierOptions options, QObject* parent = nullptr);

    // Thread-safe: queues the relay for its node (the relay is already committed to the outbox). A relay
    // replayed after a restart also rejoins its session's duplicate set (SessionCache::restore).
    void submit(const OutboxRelay& relay);
    QList<NodeQueueStats> stats() const; // control thread
    qint64 pending() const;              // control thread: queued + waiting + in flight
    // Average time a delivered relay spent in the outbox (stored → accepted by the servicer). Thread-safe.
    double averageOutboxWaitMs() const;
    qint64 deliveredTotal() const { return m_deliveredTotal.load(); }

Q_SIGNALS:
    void relayFinished(const QByteArray& proofHash, const QString& outcome); // "delivered" or a removal reason

private:
    struct Job
    {
        OutboxRelay relay;
        int attempts = 0;
    };
    struct NodeQueue
    {
        std::deque<Job> ready;
        QMultiMap<qint64, Job> delayed; // due time (ms since epoch) -> job
        int inFlight = 0;
        bool recheckScheduled = false;
        NodeQueueStats stats;
    };
    void enqueue(const OutboxRelay& stored);
    void pump(const QString& nodeUrl);
    void start(const QString& nodeUrl, Job job);
    void finish(NodeQueue& q, const Job& job, RemovalReason reason, const QString& detail);
    void delay(NodeQueue& q, Job job, qint64 ms);
    void scheduleTimer();
    void onTimer();
    QByteArray sessionKeyOf(const OutboxRelay& relay) const;

    ServicerClient* m_client;
    SessionCache* m_sessions;
    NodeStatusTable* m_nodes;
    RelayOutbox* m_outbox;
    std::function<KeyRingPtr()> m_keys;
    NotifierOptions m_options;
    QHash<QString, NodeQueue> m_queues; // control thread only
    QTimer m_timer;
    std::atomic<qint64> m_deliveredTotal{0};  // read by other threads (health)
    std::atomic<qint64> m_deliveredWaitMs{0};
};

} // namespace pocket
