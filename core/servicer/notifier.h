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
#include <map>
#include <optional>

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
    int notReadyRecheckMs = 1000; // the relay's session is not reached yet by its node (DECISIONS 6)
    // The node has no /check reply yet (start-up): looked at again this often, so a replay starts as soon as
    // the first check lands (a lookup per node and turn; 1 s cost every replay a second).
    int unknownNodeRecheckMs = 50;
    // Replay (pull-based): the next outbox page is asked for once no more than this many replayed relays are
    // still held here (queued, waiting or in flight). Replay memory ≤ this + replayPagesInFlight pages.
    int replayLowWater = 2500;
};

// Per servicer node, for the admin API and metrics. Counters are totals since start; queued/waiting/inFlight/
// oldestCreatedMs are a snapshot taken by stats().
struct NodeQueueStats
{
    QString nodeUrl;
    qint64 queued = 0;   // ready to send
    qint64 waiting = 0;  // backing off, or waiting for the servicer to reach the session
    qint64 inFlight = 0;
    qint64 delivered = 0;
    qint64 retries = 0;  // attempts that ended in a retry
    qint64 deliveredWaitMsTotal = 0; // sum over delivered relays of (delivery time − createdMs)
    qint64 oldestCreatedMs = 0;      // createdMs of the oldest relay queued, waiting or in flight; 0 if none
    QHash<QString, qint64> removedByReason; // removalReasonName() -> count
};

// One outcome of a notification (geo-mesh metrics: relay count/time with is_notify, errors by status type/code).
// Emitted on the control thread once per attempt that got an answer or a transport error, and once for a relay
// removed without an attempt (expired, key_removed; attempted = false, durationMs = 0).
struct NotifyEvent
{
    QByteArray chain;
    QByteArray servicerAddressHex;
    QString nodeUrl;
    qint64 durationMs = 0;  // request sent → reply (or transport error)
    bool delivered = false; // the servicer accepted the relay (HTTP 200)
    int httpStatus = 0;     // 0 = transport error or no attempt
    std::optional<PocketError> error; // the servicer's pocket error, if its reply carried one
    QString removalReason;  // removalReasonName() if the relay left the outbox undelivered; empty if retried/delivered
    bool attempted = true;
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
    // Control thread, once at start-up: notifies every relay stored in the outbox (PROTOCOL §8.1 start-up),
    // pulling pages as the queues drain (RelayOutbox::replayLeased), so a backlog of any size is never all in
    // memory. onPage(page) runs before the page's relays are queued (e.g. to adopt the keys they need),
    // onDone(total, error) once the last page was read (its relays may still be under way). Both are dropped
    // if the notifier is destroyed first.
    // Limitation: replayed relays of a node that is down hold the replay until they are delivered or dropped.
    void replay(std::function<void(const QList<OutboxRelay>& page)> onPage, RelayOutbox::DoneCallback onDone);
    QList<NodeQueueStats> stats() const; // control thread: one entry per node that ever had a relay
    // Control thread. Called synchronously after each outcome (see NotifyEvent); must not call back into the
    // notifier. Replaces any previous observer.
    void setObserver(std::function<void(const NotifyEvent&)> observer) { m_observer = std::move(observer); }
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
        bool replayed = false; // read from the outbox by replay(): counted in m_replayHeld
    };
    struct NodeQueue
    {
        std::deque<Job> ready;
        QMultiMap<qint64, Job> delayed; // due time (ms since epoch) -> job
        int inFlight = 0;
        bool recheckScheduled = false;
        NodeQueueStats stats;
        std::map<qint64, int> created; // createdMs -> count of this node's relays held here (oldest relay age)
        qint64 oldestCreatedMs() const { return created.empty() ? 0 : created.begin()->first; }
        void hold(qint64 createdMs) { ++created[createdMs]; }
        void release(qint64 createdMs)
        {
            auto it = created.find(createdMs);
            if (it != created.end() && --it->second == 0) created.erase(it);
        }
    };
    void enqueue(const OutboxRelay& stored, bool replayed = false);
    void restoreSession(const KeyRingPtr& keys, const OutboxRelay& relay);
    void jobDone(const Job& job); // the job left the notifier (delivered or removed)
    void releaseLeases();
    void pump(const QString& nodeUrl);
    void start(const QString& nodeUrl, Job job);
    void finish(NodeQueue& q, const Job& job, RemovalReason reason, const QString& detail,
                const NotifyOutcome* outcome = nullptr, qint64 durationMs = 0);
    void observe(const QString& nodeUrl, const Job& job, const NotifyOutcome* outcome, qint64 durationMs,
                 const QString& removalReason);
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
    std::function<void(const NotifyEvent&)> m_observer; // control thread
    std::deque<RelayOutbox::ReplayLease> m_leases; // control thread: replay pages held, oldest first
    qint64 m_replayHeld = 0;                        // control thread: replayed relays not done yet
};

} // namespace pocket
