#pragma once
// The durable relay outbox (DECISIONS 4, PROTOCOL §8.1): every relay the mesh answers is committed to an
// SQLite database before the client gets its answer, and stays there until its notification to the
// servicer ends (delivered, rejected, session invalid, no longer claimable). Replayed at start.
//
// Thread rules
// - RelayOutbox may be constructed in any thread; every public method may be called from any thread.
//   None of them touches the disk in the calling thread except open(), flush() and close(), which block
//   (start-up and graceful stop only). store() and remove() only append to an in-memory queue (one short
//   mutex section), so they never block an HTTP thread on I/O.
// - A private QThread owns the QSqlDatabase connection and runs every statement (OutboxWorker).
// - Callbacks (store's `committed`, replay's `onPage`/`onDone`) run in the thread `context` lives in,
//   which must run a Qt event loop. They are dropped (never called, destroyed in that thread) if
//   `context` was destroyed first. `context` must be destroyed in its own thread and must not change
//   threads while a callback for it is pending (the usual rules for a QObject).
// - Signals are emitted from the worker thread (connect with the default AutoConnection).
//
// Guarantees (details and numbers: docs/outbox.md)
// - `committed(true, …)` runs only after the COMMIT that contains the relay returned: from then on the
//   relay survives a crash or SIGKILL of this process (WAL, synchronous=NORMAL: the commit is in the OS
//   page cache).
// - An operating-system crash or power loss can lose at most the relays committed since the last WAL
//   checkpoint, which runs every `syncIntervalMs` (and whenever the WAL reaches ~4 MB): the checkpoint
//   fdatasync()s the WAL and the database file. The database itself is never corrupted (WAL checksums:
//   recovery keeps a prefix of the committed transactions).
// - Group commit: everything queued while one transaction runs goes into the next one (at most
//   `maxBatch` operations), with no timer in between, so a lone relay is committed at once.
#include <QByteArray>
#include <QHash>
#include <QList>
#include <QMap>
#include <QObject>
#include <QString>
#include <array>
#include <functional>
#include <memory>
#include <optional>

#include "util/result.h"

class QThread;

namespace pocket {

class OutboxShared;
class OutboxWorker;
class CallbackDispatcher;

// One relay waiting for its notification (PROTOCOL §5.2.1 body, §8.1).
struct OutboxRelay
{
    QByteArray proofHash;       // 32 raw bytes, the relay proof hash (PROTOCOL §3.3); the primary key
    QString nodeUrl;            // servicer node URL: where the notification goes
    QByteArray servicerAddress; // hex
    QByteArray chain;           // relay chain id, e.g. "0021"
    QByteArray appPubKey;       // hex
    qint64 sessionHeight = 0;
    QByteArray body;            // the exact Go-JSON notify body (PROTOCOL §5.2.1)
    qint64 createdMs = 0;       // ms since the epoch, when the mesh accepted the relay

    bool operator==(const OutboxRelay&) const = default;
};

// Why a relay left the outbox (DECISIONS 4). The names are stable: metric labels and log words.
enum class RemovalReason : quint8 {
    Delivered,      // "delivered": the servicer accepted the notification (HTTP 200)
    Rejected,       // "rejected": the servicer answered a non-retryable error code (detail: the code)
    SessionInvalid, // "session_invalid": the session was invalidated (e.g. 90, 45, 71, 75)
    Expired,        // "expired": the session can no longer be claimed (outside the servicer's tolerance)
    KeyRemoved,     // "key_removed": the servicer's key or node is no longer configured
    Undecodable,    // "undecodable": the stored row cannot be turned back into a notification
};
inline constexpr int kRemovalReasonCount = 6;

// "delivered", "rejected", "session_invalid", "expired", "key_removed", "undecodable".
QString removalReasonName(RemovalReason reason);
std::optional<RemovalReason> removalReasonFromName(QStringView name);

struct OutboxNodeStats
{
    qint64 depth = 0;           // relays stored for this node
    qint64 oldestCreatedMs = 0; // createdMs of the oldest one, to within 1 s (may be up to 1 s too old)
};

// A snapshot; counters count since open() except depth/nodes, which reflect the whole database.
struct OutboxStats
{
    bool open = false;
    qint64 depth = 0;                      // relays in the database (committed)
    QMap<QString, OutboxNodeStats> nodes;  // per nodeUrl, only nodes with depth > 0
    qint64 queuedStores = 0;               // store() calls waiting for a commit
    qint64 queuedRemoves = 0;              // remove() calls waiting for a commit
    quint64 stored = 0;                    // new rows committed
    quint64 duplicates = 0;                // stores of a proof hash that was already stored (ok, no new row)
    quint64 removed = 0;                   // rows deleted
    quint64 removeMisses = 0;              // remove() of a proof hash that was not stored
    std::array<quint64, kRemovalReasonCount> removedByReason{}; // index: int(RemovalReason)
    quint64 rejectedStores = 0;            // store() refused or failed (closed, queue full, bad hash, disk)
    quint64 batches = 0;                   // transactions committed
    quint64 batchedOperations = 0;         // stores + removes in those transactions
    quint64 failedBatches = 0;
    QString lastError;                     // last commit error, empty if none
    qint64 lastCommitUs = 0;               // duration of the last transaction (BEGIN..COMMIT)
    qint64 maxCommitUs = 0;
    quint64 replayedRelays = 0;            // relays read by replay() and handed to onPage
    qint64 workerCpuUs = 0;                // CPU time used by the outbox thread since open (capacity)
    quint64 syncs = 0;                     // periodic WAL checkpoints (fsync) done
    qint64 lastSyncMs = 0;                 // wall clock of the last one, 0 if none yet

    double averageBatchSize() const { return batches ? double(batchedOperations) / double(batches) : 0.0; }
    quint64 removedFor(RemovalReason r) const { return removedByReason[size_t(r)]; }
};

struct RelayOutboxOptions
{
    QString path;                // the SQLite file (see RelayOutbox::databasePathFor)
    int syncIntervalMs = 3600;   // relay_cache_background_sync_interval: periodic checkpoint + fsync
    int maxBatch = 2000;         // stores + removes per transaction
    int replayPageSize = 5000;   // relays per onPage call
    int replayPagesInFlight = 2; // pages handed to onPage and not yet returned (or leased); bounds replay memory
    qint64 maxQueuedStores = 100000; // more waiting stores fail at once: memory bound if the disk stalls
    qint64 maxDatabaseBytes = 0;     // 0 = unlimited; else SQLite max_page_count (tests; a size cap)
};

class RelayOutbox : public QObject
{
    Q_OBJECT
public:
    using CommitCallback = std::function<void(bool ok, const QString& error)>;
    using PageCallback = std::function<void(QList<OutboxRelay> page)>;
    // A lease keeps its page counted against replayPagesInFlight until every copy of it is destroyed.
    using ReplayLease = std::shared_ptr<void>;
    using LeasedPageCallback = std::function<void(QList<OutboxRelay> page, ReplayLease lease)>;
    using DoneCallback = std::function<void(qint64 total, const QString& error)>;

    explicit RelayOutbox(RelayOutboxOptions options, QObject* parent = nullptr);
    ~RelayOutbox() override; // close()s

    // relay_cache_file → the SQLite file: "x.pkt" (the reference's pogreb cache, PROTOCOL §4.2) becomes
    // "x.sqlite" so an old pogreb cache is never opened as SQLite; any other path is used as given.
    static QString databasePathFor(const QString& configuredPath);

    // Blocking, once, at start-up: creates the folder, opens the database (WAL, synchronous=NORMAL,
    // exclusive lock: a second process on the same file fails here), creates or migrates the schema,
    // checks it, loads the statistics. Errors: unwritable path, not a database, an outbox written by a
    // newer version, locked by another process.
    Result<void> open();

    // Queues the relay for the next transaction. `committed(ok, error)` runs in `context`'s thread after
    // the COMMIT returned (ok), or with ok=false and a message if the relay could not be persisted (disk
    // full, I/O error, closed, queue full, proof hash not 32 bytes): then nothing was stored. A proof hash
    // that is already stored is the same relay: ok. `context` may be null (no callback).
    void store(OutboxRelay relay, QObject* context, CommitCallback committed);

    // Queues the deletion (same transactions as stores). Unknown hashes are counted, not an error.
    // Counted per reason in stats(); logged at debug level, aggregated per transaction (the caller logs
    // each non-delivered removal when it decides it).
    void remove(const QByteArray& proofHash, RemovalReason reason, const QString& detail = {});

    // Streams every relay committed before this call (and not removed before its page is read) in pages
    // of at most replayPageSize, oldest first (commit order, which is createdMs order unless the clock
    // jumped). At most replayPagesInFlight pages are waiting in `context`'s event queue or in onPage at
    // a time, so a large backlog is never loaded at once. Then onDone(total, error) (error empty if all
    // went well). Stores and removes keep being committed between pages.
    void replay(QObject* context, PageCallback onPage, DoneCallback onDone);
    // Pull-based replay: the same, but a page stays "in flight" for as long as the consumer keeps its lease
    // (a page is consumed when its lease is destroyed, in any thread), so a consumer that holds the relays
    // until they are done bounds the memory of the whole replay to replayPagesInFlight pages, and asks for
    // the next page by dropping a lease. Leases outliving the outbox are harmless.
    void replayLeased(QObject* context, LeasedPageCallback onPage, DoneCallback onDone);

    OutboxStats stats() const;

    // Blocks until every store/remove queued before the call is committed (or failed).
    void flush();
    // Graceful stop: refuses new work, commits what is queued, ends replays (onDone with an error),
    // checkpoints the WAL into the database file, closes. Idempotent.
    Result<void> close();

    QString path() const { return m_options.path; }

Q_SIGNALS:
    // Emitted from the worker thread after each successful transaction.
    void committedBatch(int stored, int removed);
    // Emitted from the worker thread when a transaction failed (its stores were answered ok=false).
    void commitFailed(const QString& error);

private:
    const RelayOutboxOptions m_options;
    std::shared_ptr<OutboxShared> m_shared;          // thread-safe (own mutexes)
    std::shared_ptr<CallbackDispatcher> m_dispatcher; // thread-safe (own mutex)
    QThread* m_thread = nullptr;   // owned; set in the constructor, deleted in the destructor
    OutboxWorker* m_worker = nullptr; // lives in m_thread; deleted after m_thread finished
};

} // namespace pocket
