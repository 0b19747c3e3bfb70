#pragma once
// Internals of RelayOutbox: the queue shared with the callers' threads and the worker that owns the
// database connection. Not for use outside core/outbox/.
#include <QElapsedTimer>
#include <QHash>
#include <QLoggingCategory>
#include <mutex>
#include <QObject>
#include <QPointer>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "outbox/callbackdispatcher.h"
#include "outbox/relayoutbox.h"

class QTimer;

Q_DECLARE_LOGGING_CATEGORY(lcOutbox) // "pocket.outbox"

namespace pocket {

// flush(): released by the worker once everything queued before it was committed (or failed).
class OutboxBarrier
{
public:
    void release();
    void wait();

private:
    std::mutex m_mutex;
    std::condition_variable m_done;
    bool m_released = false; // guarded by m_mutex
};

struct ReplayRequest
{
    quint64 id = 0;
    quint64 sinkId = 0;
    QPointer<QObject> context;
    std::shared_ptr<RelayOutbox::LeasedPageCallback> onPage; // shared by every page delivery
    RelayOutbox::DoneCallback onDone;
};

// One queued request. Store/Remove are data operations (batched); Barrier and Replay are control
// operations (each handled alone, in queue order, after everything queued before it).
struct OutboxOp
{
    enum class Kind : quint8 { Store, Remove, Barrier, Replay };
    Kind kind = Kind::Store;
    // Store
    OutboxRelay relay;
    quint64 sinkId = 0;
    QPointer<QObject> context;
    RelayOutbox::CommitCallback committed;
    // Remove
    QByteArray proofHash;
    RemovalReason reason = RemovalReason::Delivered;
    QString detail;
    int attempts = 0;
    // Barrier: released once everything before it is committed
    std::shared_ptr<OutboxBarrier> barrier;
    // Replay
    std::shared_ptr<ReplayRequest> replay;
};

struct ReplayFlow
{
    int inFlight = 0;       // pages posted and not yet consumed (or dropped)
    bool cancelled = false; // the replay's context died: stop reading pages
};

// Per-node depth with the oldest createdMs kept in 1-second buckets, so removals (which only tell the
// row's node and createdMs) keep "oldest" right without holding every relay in memory.
struct NodeDepth
{
    struct Bucket
    {
        qint64 count = 0;
        qint64 minMs = 0;
    };
    qint64 depth = 0;
    std::map<qint64, Bucket> buckets; // createdMs / 1000 → bucket
};

// State shared by RelayOutbox (any thread), the worker, and replay page tokens (any thread).
class OutboxShared
{
public:
    enum class Phase { New, Open, Closed };

    mutable std::mutex mutex;
    Phase phase = Phase::New;                // guarded by mutex
    std::deque<OutboxOp> ops;                // guarded by mutex
    qint64 queuedStores = 0;                 // guarded by mutex
    qint64 queuedRemoves = 0;                // guarded by mutex
    bool runPosted = false;                  // guarded by mutex: a RunEvent is queued for the worker
    QHash<quint64, ReplayFlow> replayFlows;  // guarded by mutex
    quint64 nextReplayId = 1;                // guarded by mutex

    // `lock` holds `mutex`: releases it, then makes sure the worker runs (one RunEvent at a time). The event is
    // posted after the release: it wakes the worker thread, which takes `mutex` first thing, so posted with
    // `mutex` held the woken worker would block on it at once and hand the CPU straight back (two context
    // switches per store on a busy core).
    void wakeAndUnlock(std::unique_lock<std::mutex>& lock);

    std::mutex workerMutex;                  // guards worker (the worker's lifetime against wakeAndUnlock)
    QObject* worker = nullptr;               // guarded by workerMutex: null once the worker is gone
    // Any thread: a replay page was handed to onPage (delivered) or dropped with its dead context.
    void replayPageDone(quint64 replayId, bool delivered);

    mutable std::mutex statsMutex;
    OutboxStats stats;                       // guarded by statsMutex (its `nodes` is filled by snapshot())
    QHash<QString, NodeDepth> nodeDepths;    // guarded by statsMutex

    // statsMutex held.
    void addRowLocked(const QString& nodeUrl, qint64 createdMs);
    void removeRowLocked(const QString& nodeUrl, qint64 createdMs);
    OutboxStats snapshot() const; // takes both mutexes (one after the other)
};

// Lives in the outbox's private thread and owns the QSqlDatabase connection and its prepared statements.
class OutboxWorker : public QObject
{
    Q_OBJECT
public:
    OutboxWorker(std::shared_ptr<OutboxShared> shared, std::shared_ptr<CallbackDispatcher> dispatcher,
                 RelayOutboxOptions options);
    ~OutboxWorker() override;

    static QEvent::Type runEventType();

    // Any thread but the worker's: runs `task` in the worker thread and returns when it has run
    // (open/close only). Our own event and a std::condition_variable rather than a
    // BlockingQueuedConnection, so ThreadSanitizer sees the hand-over.
    void callBlocking(std::function<void()> task);

    // Worker thread (blocking invoke from RelayOutbox::open/close).
    Result<void> openDatabase();
    Result<void> shutdown();

    bool event(QEvent* e) override;

Q_SIGNALS:
    void committedBatch(int stored, int removed);
    void commitFailed(const QString& error);

private:
    struct ReplayJob
    {
        std::shared_ptr<ReplayRequest> request;
        qint64 lastSeq = 0; // snapshot: rows committed before the replay started
        qint64 cursor = 0;  // last seq handed out
        qint64 total = 0;
    };

    void run();
    void takeBatchLocked(std::vector<OutboxOp>& batch);
    void process(std::vector<OutboxOp>& batch);
    void commitBatch(std::vector<OutboxOp>& batch);
    void startReplay(const std::shared_ptr<ReplayRequest>& request);
    void stepReplays();
    bool replayReadyLocked() const;
    void finishReplay(const ReplayJob& job, const QString& error);
    void syncNow();
    Result<void> loadStats();
    void closeDatabase();

    const std::shared_ptr<OutboxShared> m_shared;
    const std::shared_ptr<CallbackDispatcher> m_dispatcher;
    const RelayOutboxOptions m_options;
    const QString m_connectionName; // unique per instance

    // All below: owned by the worker thread.
    QSqlDatabase m_db;
    std::optional<QSqlQuery> m_insert;
    std::optional<QSqlQuery> m_delete;
    std::optional<QSqlQuery> m_page;
    QTimer* m_syncTimer = nullptr;
    bool m_dirtySinceSync = false;
    qint64 m_cpuAtOpenUs = 0; // thread CPU clock at open, for stats.workerCpuUs
    std::vector<ReplayJob> m_replays;
};

} // namespace pocket
