#include "outbox/outboxworker.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSqlError>
#include <QThread>
#include <QTimer>
#include <QVariant>
#include <atomic>
#include <ctime>

#include "outbox/outboxschema.h"
#include "outbox/tsanannotations.h"
#include "util/threadscheduling.h"

Q_LOGGING_CATEGORY(lcOutbox, "pocket.outbox")

namespace pocket {

namespace {

// SQLite page cache of the connection. The unique proof_hash index takes random inserts; 8 MB keeps
// its hot pages for a backlog of ~1M relays without holding the bodies (the OS page cache does that).
constexpr int kCacheKiB = 8192;
// After a checkpoint the WAL file is cut back to this size (it can grow during a burst).
constexpr qint64 kJournalSizeLimit = 64ll * 1024 * 1024;
// SQLite checkpoints inside a COMMIT once the WAL holds this many pages (default 1000 = 4 MB). A batch of
// 2000 relays dirties ~800 pages (bodies plus random proof_hash index pages), so the default meant a
// checkpoint (two fdatasync, ~13 ms each on a VM disk, + copying into the database file) every batch or
// two; 16 MB cuts that 4x and lets repeatedly dirtied index pages reach the database file once.
constexpr int kAutoCheckpointPages = 4000;
// A failed transaction is retried for its removals (not its stores: those were answered ok=false).
constexpr int kRemoveAttempts = 3;

qint64 threadCpuUs()
{
    timespec ts{};
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return qint64(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

QString newConnectionName()
{
    static std::atomic<quint64> counter{0};
    return QStringLiteral("pocket-outbox-%1").arg(counter.fetch_add(1) + 1);
}

// Qt binds a null QString/QByteArray as SQL NULL; the columns are NOT NULL.
QVariant text(const QString& s) { return s.isNull() ? QVariant(QStringLiteral("")) : QVariant(s); }
QVariant text(const QByteArray& b) { return QVariant(QString::fromLatin1(b.isNull() ? QByteArray("") : b)); }
QVariant blob(const QByteArray& b) { return QVariant(b.isNull() ? QByteArray("") : b); }

// Held by a replay page delivery: tells the worker when the page was consumed (or dropped with its
// context) so it can read the next one. Runs where its last reference goes: the context's thread when the
// delivery is destroyed, or wherever a consumer of replayLeased() drops the page's lease.
struct ReplayPageToken
{
    std::weak_ptr<OutboxShared> shared;
    quint64 replayId = 0;
    bool delivered = false;
    ~ReplayPageToken()
    {
        if (const auto s = shared.lock()) s->replayPageDone(replayId, delivered);
    }
};

// OutboxWorker::callBlocking: the task and how its caller learns that it ran.
class TaskEvent : public QEvent
{
public:
    explicit TaskEvent(std::function<void()> task) : QEvent(type()), m_task(std::move(task)) {}
    ~TaskEvent() override { finish(); } // also when the event is dropped (worker destroyed)
    static QEvent::Type type()
    {
        static const QEvent::Type t = QEvent::Type(QEvent::registerEventType());
        return t;
    }
    struct Completion
    {
        std::mutex mutex;
        std::condition_variable cv;
        bool done = false; // guarded by mutex
    };
    void run()
    {
        m_task();
        finish();
    }
    std::shared_ptr<Completion> completion = std::make_shared<Completion>();

private:
    void finish()
    {
        if (!completion) return;
        {
            std::lock_guard lock(completion->mutex);
            completion->done = true;
        }
        completion->cv.notify_all();
        completion.reset();
    }
    std::function<void()> m_task;
};

} // namespace

// ---------------------------------------------------------------------------------------------------
// OutboxBarrier

void OutboxBarrier::release()
{
    {
        std::lock_guard lock(m_mutex);
        m_released = true;
    }
    m_done.notify_all();
}

void OutboxBarrier::wait()
{
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [this] { return m_released; });
}

// ---------------------------------------------------------------------------------------------------
// OutboxShared

void OutboxShared::wakeAndUnlock(std::unique_lock<std::mutex>& lock)
{
    const bool post = !runPosted;
    runPosted = true;
    lock.unlock();
    if (!post) return;
    std::unique_lock workerLock(workerMutex);
    if (!worker) return;
    auto* e = new QEvent(OutboxWorker::runEventType());
    tsanRelease(e);
    QCoreApplication::postEvent(worker, e);
}

void OutboxShared::replayPageDone(quint64 replayId, bool delivered)
{
    std::unique_lock lock(mutex);
    const auto it = replayFlows.find(replayId);
    if (it == replayFlows.end()) return; // replay already finished
    --it->inFlight;
    if (!delivered) it->cancelled = true;
    wakeAndUnlock(lock);
}

void OutboxShared::addRowLocked(const QString& nodeUrl, qint64 createdMs)
{
    NodeDepth& node = nodeDepths[nodeUrl];
    ++node.depth;
    NodeDepth::Bucket& b = node.buckets[createdMs / 1000];
    b.minMs = b.count == 0 ? createdMs : std::min(b.minMs, createdMs);
    ++b.count;
    ++stats.depth;
}

void OutboxShared::removeRowLocked(const QString& nodeUrl, qint64 createdMs)
{
    --stats.depth;
    const auto it = nodeDepths.find(nodeUrl);
    if (it == nodeDepths.end()) return;
    const auto b = it->buckets.find(createdMs / 1000);
    if (b != it->buckets.end() && --b->second.count <= 0) it->buckets.erase(b);
    if (--it->depth <= 0) nodeDepths.erase(it);
}

OutboxStats OutboxShared::snapshot() const
{
    OutboxStats s;
    {
        std::unique_lock lock(statsMutex);
        s = stats;
        for (auto it = nodeDepths.cbegin(); it != nodeDepths.cend(); ++it) {
            OutboxNodeStats n;
            n.depth = it->depth;
            n.oldestCreatedMs = it->buckets.empty() ? 0 : it->buckets.begin()->second.minMs;
            s.nodes.insert(it.key(), n);
        }
    }
    std::unique_lock lock(mutex);
    s.queuedStores = queuedStores;
    s.queuedRemoves = queuedRemoves;
    s.open = phase == Phase::Open;
    return s;
}

// ---------------------------------------------------------------------------------------------------
// OutboxWorker

OutboxWorker::OutboxWorker(std::shared_ptr<OutboxShared> shared, std::shared_ptr<CallbackDispatcher> dispatcher,
                           RelayOutboxOptions options)
    : m_shared(std::move(shared)), m_dispatcher(std::move(dispatcher)), m_options(std::move(options)),
      m_connectionName(newConnectionName())
{
}

OutboxWorker::~OutboxWorker()
{
    // Normally closed by shutdown() in the worker thread; this only runs the same code if it was not
    // (the thread has finished by now, so nothing else uses the connection).
    closeDatabase();
}

QEvent::Type OutboxWorker::runEventType()
{
    static const QEvent::Type type = QEvent::Type(QEvent::registerEventType());
    return type;
}

void OutboxWorker::callBlocking(std::function<void()> task)
{
    auto* e = new TaskEvent(std::move(task));
    const std::shared_ptr<TaskEvent::Completion> completion = e->completion;
    tsanRelease(e);
    QCoreApplication::postEvent(this, e);
    std::unique_lock lock(completion->mutex);
    completion->cv.wait(lock, [&] { return completion->done; });
}

bool OutboxWorker::event(QEvent* e)
{
    tsanAcquire(e); // posted by another thread (see tsanannotations.h)
    if (e->type() == runEventType()) {
        run();
        return true;
    }
    if (e->type() == TaskEvent::type()) {
        static_cast<TaskEvent*>(e)->run();
        return true;
    }
    return QObject::event(e);
}

Result<void> OutboxWorker::openDatabase()
{
    // In the worker's thread: commits batch up behind the server threads instead of preempting them.
    if (const QString why = setCurrentThreadClass(ThreadClass::Background); !why.isEmpty())
        qCDebug(lcOutbox).noquote() << "outbox thread stays in the default scheduling class:" << why;
    const QString path = m_options.path;
    if (path.isEmpty()) return fail(outboxschema::sqlError(QStringLiteral("opening"), QStringLiteral("no path")));
    const QFileInfo info(path);
    if (info.isDir())
        return fail(outboxschema::sqlError(
            QStringLiteral("opening %1").arg(path),
            QStringLiteral("it is a folder (an old pogreb relay cache?); configure a file path")));
    const QString folder = info.absolutePath();
    if (!QDir().mkpath(folder))
        return fail(outboxschema::sqlError(QStringLiteral("opening %1").arg(path),
                                           QStringLiteral("cannot create the folder %1").arg(folder)));
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE")))
        return fail(outboxschema::sqlError(QStringLiteral("opening"),
                                           QStringLiteral("the Qt SQLite driver (QSQLITE) is not available")));

    m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    m_db.setDatabaseName(path);
    // Only another process can hold the lock (we take it exclusively); do not wait long for it.
    m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=1000"));
    auto failOpen = [this, &path](const QString& what, const QString& err) {
        closeDatabase();
        return fail(outboxschema::sqlError(QStringLiteral("%1 (%2)").arg(what, path), err));
    };
    if (!m_db.open()) return failOpen(QStringLiteral("opening"), outboxschema::errorText(m_db.lastError()));

    {
        QSqlQuery q(m_db);
        // EXCLUSIVE before the first access: the WAL index lives in heap memory (no -shm file) and no
        // other process can open the file while we run, so two meshes never notify the same relays.
        // journal_mode is the first statement that reads the file: "not a database" and "locked" show here.
        const QStringList pragmas = {
            QStringLiteral("PRAGMA locking_mode = EXCLUSIVE"),
            QStringLiteral("PRAGMA journal_mode = WAL"),
            // NORMAL in WAL mode: a commit is not fsynced but is in the OS page cache, so it survives a
            // crash of this process; checkpoints fsync (see syncNow()).
            QStringLiteral("PRAGMA synchronous = NORMAL"),
            QStringLiteral("PRAGMA cache_size = -%1").arg(kCacheKiB),
            // Debian builds SQLite with SECURE_DELETE: every delivered relay's row and each page freed by the
            // removals were zeroed and written once more. FAST zeroes only what costs no extra I/O.
            QStringLiteral("PRAGMA secure_delete = FAST"),
            QStringLiteral("PRAGMA journal_size_limit = %1").arg(kJournalSizeLimit),
            QStringLiteral("PRAGMA wal_autocheckpoint = %1").arg(kAutoCheckpointPages),
        };
        for (const QString& sql : pragmas) {
            if (!q.exec(sql)) return failOpen(sql, outboxschema::errorText(q.lastError()));
            if (sql.contains(QLatin1String("journal_mode")) &&
                (!q.next() || q.value(0).toString().compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0))
                return failOpen(sql, QStringLiteral("the database did not switch to WAL mode"));
            q.finish();
        }
        if (m_options.maxDatabaseBytes > 0) {
            if (!q.exec(QStringLiteral("PRAGMA page_size")) || !q.next())
                return failOpen(QStringLiteral("PRAGMA page_size"), outboxschema::errorText(q.lastError()));
            const qint64 pages = std::max<qint64>(1, m_options.maxDatabaseBytes / std::max(1, q.value(0).toInt()));
            q.finish();
            if (!q.exec(QStringLiteral("PRAGMA max_page_count = %1").arg(pages)))
                return failOpen(QStringLiteral("PRAGMA max_page_count"), outboxschema::errorText(q.lastError()));
        }
    }

    if (auto r = outboxschema::createOrMigrate(m_db); !r) {
        closeDatabase();
        return r;
    }
    if (auto r = outboxschema::verify(m_db); !r) {
        closeDatabase();
        return r;
    }

    // Prepared once, reused for every row of every batch.
    m_insert.emplace(m_db);
    if (!m_insert->prepare(QStringLiteral(
            "INSERT OR IGNORE INTO relays (proof_hash, node_url, servicer_address, chain, app_pub_key,"
            " session_height, created_ms, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")))
        return failOpen(QStringLiteral("preparing INSERT"), outboxschema::errorText(m_insert->lastError()));
    m_delete.emplace(m_db);
    // RETURNING tells which node and age the row had, so the in-memory depth stays exact.
    if (!m_delete->prepare(QStringLiteral("DELETE FROM relays WHERE proof_hash = ? RETURNING node_url, created_ms")))
        return failOpen(QStringLiteral("preparing DELETE"), outboxschema::errorText(m_delete->lastError()));
    m_page.emplace(m_db);
    m_page->setForwardOnly(true);
    if (!m_page->prepare(QStringLiteral(
            "SELECT seq, proof_hash, node_url, servicer_address, chain, app_pub_key, session_height,"
            " created_ms, body FROM relays WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?")))
        return failOpen(QStringLiteral("preparing SELECT"), outboxschema::errorText(m_page->lastError()));

    if (auto r = loadStats(); !r) {
        closeDatabase();
        return r;
    }

    m_cpuAtOpenUs = threadCpuUs();
    if (m_options.syncIntervalMs > 0) {
        m_syncTimer = new QTimer(this);
        m_syncTimer->setInterval(m_options.syncIntervalMs);
        connect(m_syncTimer, &QTimer::timeout, this, &OutboxWorker::syncNow);
        m_syncTimer->start();
    }
    return {};
}

Result<void> OutboxWorker::loadStats()
{
    // One GROUP BY at start so depth and ages are right after a restart (1M rows: well under a second).
    QSqlQuery q(m_db);
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT node_url, created_ms / 1000, COUNT(*), MIN(created_ms) FROM relays"
                               " GROUP BY node_url, created_ms / 1000")))
        return fail(outboxschema::sqlError(QStringLiteral("loading statistics"), outboxschema::errorText(q.lastError())));
    std::unique_lock lock(m_shared->statsMutex);
    m_shared->stats.depth = 0; // the counters keep what happened before open (refused stores)
    m_shared->nodeDepths.clear();
    while (q.next()) {
        NodeDepth& node = m_shared->nodeDepths[q.value(0).toString()];
        const qint64 count = q.value(2).toLongLong();
        node.depth += count;
        node.buckets[q.value(1).toLongLong()] = NodeDepth::Bucket{count, q.value(3).toLongLong()};
        m_shared->stats.depth += count;
    }
    return {};
}

void OutboxWorker::run()
{
    std::vector<OutboxOp> batch;
    {
        std::unique_lock lock(m_shared->mutex);
        takeBatchLocked(batch);
    }
    if (!batch.empty()) process(batch);
    stepReplays();
    {
        const qint64 cpu = threadCpuUs();
        std::unique_lock lock(m_shared->statsMutex);
        m_shared->stats.workerCpuUs = cpu - m_cpuAtOpenUs;
    }

    std::unique_lock lock(m_shared->mutex);
    m_shared->runPosted = false;
    // Group commit: whatever arrived during this transaction is the next batch. Posting instead of
    // looping lets the sync timer and replay acknowledgements in between.
    if (!m_shared->ops.empty() || replayReadyLocked()) m_shared->wakeAndUnlock(lock);
}

void OutboxWorker::takeBatchLocked(std::vector<OutboxOp>& batch)
{
    auto& ops = m_shared->ops;
    int data = 0;
    const int maxBatch = std::max(1, m_options.maxBatch);
    while (!ops.empty()) {
        OutboxOp& op = ops.front();
        const bool control = op.kind == OutboxOp::Kind::Barrier || op.kind == OutboxOp::Kind::Replay;
        if (control && !batch.empty()) break;
        if (!control && data >= maxBatch) break;
        if (op.kind == OutboxOp::Kind::Store) --m_shared->queuedStores;
        if (op.kind == OutboxOp::Kind::Remove) --m_shared->queuedRemoves;
        batch.push_back(std::move(op));
        ops.pop_front();
        if (control) break;
        ++data;
    }
}

void OutboxWorker::process(std::vector<OutboxOp>& batch)
{
    const OutboxOp& first = batch.front();
    if (first.kind == OutboxOp::Kind::Barrier) {
        first.barrier->release();
        return;
    }
    if (first.kind == OutboxOp::Kind::Replay) {
        startReplay(first.replay);
        return;
    }
    commitBatch(batch);
}

void OutboxWorker::commitBatch(std::vector<OutboxOp>& batch)
{
    struct RowChange
    {
        QString nodeUrl;
        qint64 createdMs;
        bool added;
    };
    struct RemovalLog
    {
        int count = 0;
        QByteArray firstHash;
    };
    std::vector<RowChange> changes;
    changes.reserve(batch.size());
    quint64 duplicates = 0, misses = 0;
    std::array<quint64, kRemovalReasonCount> byReason{};
    QHash<QPair<int, QString>, RemovalLog> removalLog; // non-delivered removals, logged once per batch
    int stores = 0, removes = 0;

    QElapsedTimer timer;
    timer.start();
    QString error;
    if (!m_db.isOpen()) {
        error = QStringLiteral("the database is not open");
    } else if (!m_db.transaction()) {
        error = outboxschema::errorText(m_db.lastError());
    } else {
        for (OutboxOp& op : batch) {
            if (op.kind == OutboxOp::Kind::Store) {
                ++stores;
                const OutboxRelay& r = op.relay;
                QSqlQuery& q = *m_insert;
                q.bindValue(0, blob(r.proofHash));
                q.bindValue(1, text(r.nodeUrl));
                q.bindValue(2, text(r.servicerAddress));
                q.bindValue(3, text(r.chain));
                q.bindValue(4, text(r.appPubKey));
                q.bindValue(5, r.sessionHeight);
                q.bindValue(6, r.createdMs);
                q.bindValue(7, blob(r.body));
                if (!q.exec()) {
                    error = outboxschema::errorText(q.lastError());
                    break;
                }
                if (q.numRowsAffected() > 0)
                    changes.push_back({r.nodeUrl, r.createdMs, true});
                else
                    ++duplicates; // INSERT OR IGNORE: the same relay was already stored
            } else {
                ++removes;
                QSqlQuery& q = *m_delete;
                q.bindValue(0, blob(op.proofHash));
                if (!q.exec()) {
                    error = outboxschema::errorText(q.lastError());
                    break;
                }
                if (q.next()) {
                    changes.push_back({q.value(0).toString(), q.value(1).toLongLong(), false});
                    ++byReason[size_t(op.reason)];
                    if (op.reason != RemovalReason::Delivered) {
                        RemovalLog& log = removalLog[qMakePair(int(op.reason), op.detail)];
                        if (log.count++ == 0) log.firstHash = op.proofHash;
                    }
                } else {
                    ++misses;
                }
                q.finish(); // reset the statement before COMMIT
            }
        }
        if (error.isEmpty() && !m_db.commit()) error = outboxschema::errorText(m_db.lastError());
        if (!error.isEmpty()) m_db.rollback();
    }
    const qint64 latencyUs = timer.nsecsElapsed() / 1000;
    const bool ok = error.isEmpty();
    const QString message =
        ok ? QString() : outboxschema::sqlError(QStringLiteral("committing %1 relays").arg(stores), error).message;

    {
        std::unique_lock lock(m_shared->statsMutex);
        OutboxStats& s = m_shared->stats;
        s.lastCommitUs = latencyUs;
        s.maxCommitUs = std::max(s.maxCommitUs, latencyUs);
        if (ok) {
            for (const RowChange& c : changes) {
                if (c.added) {
                    m_shared->addRowLocked(c.nodeUrl, c.createdMs);
                    ++s.stored;
                } else {
                    m_shared->removeRowLocked(c.nodeUrl, c.createdMs);
                    ++s.removed;
                }
            }
            s.duplicates += duplicates;
            s.removeMisses += misses;
            for (int i = 0; i < kRemovalReasonCount; ++i) s.removedByReason[i] += byReason[i];
            ++s.batches;
            s.batchedOperations += quint64(stores + removes);
        } else {
            ++s.failedBatches;
            s.rejectedStores += quint64(stores);
            s.lastError = message;
        }
    }
    if (ok) m_dirtySinceSync = true;

    // Answer the stores: one event per target thread.
    QHash<quint64, std::vector<Delivery>> deliveries;
    std::vector<OutboxOp> retryRemoves;
    for (OutboxOp& op : batch) {
        if (op.kind == OutboxOp::Kind::Store) {
            if (op.sinkId == 0 || !op.committed) continue;
            deliveries[op.sinkId].push_back(
                Delivery{op.context, [cb = std::move(op.committed), ok, message] { cb(ok, message); }});
        } else if (!ok && ++op.attempts < kRemoveAttempts) {
            retryRemoves.push_back(std::move(op));
        } else if (!ok) {
            qCWarning(lcOutbox) << "relay outbox: giving up removing relay" << op.proofHash.toHex()
                                << "after" << kRemoveAttempts << "failed transactions; it stays stored and"
                                << "is replayed at the next start";
        }
    }
    for (auto it = deliveries.begin(); it != deliveries.end(); ++it)
        m_dispatcher->post(it.key(), std::move(it.value()));

    if (!retryRemoves.empty()) {
        std::unique_lock lock(m_shared->mutex);
        for (auto it = retryRemoves.rbegin(); it != retryRemoves.rend(); ++it) {
            m_shared->ops.push_front(std::move(*it));
            ++m_shared->queuedRemoves;
        }
    }

    if (ok) {
        // DECISIONS 4: the notifier logs every removal that is not a success as it decides it; this is the
        // committed side, at debug level and aggregated so a session invalidation of thousands is one line.
        for (auto it = removalLog.cbegin(); it != removalLog.cend(); ++it) {
            const QString reason = removalReasonName(RemovalReason(it.key().first));
            if (it->count == 1)
                qCDebug(lcOutbox).noquote() << "relay" << it->firstHash.toHex() << "removed from the outbox:"
                                           << reason << it.key().second;
            else
                qCDebug(lcOutbox).noquote() << it->count << "relays (first" << it->firstHash.toHex()
                                           << ") removed from the outbox:" << reason << it.key().second;
        }
        Q_EMIT committedBatch(stores, removes);
    } else {
        qCWarning(lcOutbox).noquote() << message;
        Q_EMIT commitFailed(message);
    }
}

void OutboxWorker::startReplay(const std::shared_ptr<ReplayRequest>& request)
{
    ReplayJob job;
    job.request = request;
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("SELECT COALESCE(MAX(seq), 0) FROM relays")) || !q.next()) {
        finishReplay(job, outboxschema::sqlError(QStringLiteral("replay"), outboxschema::errorText(q.lastError())).message);
        return;
    }
    job.lastSeq = q.value(0).toLongLong();
    {
        std::unique_lock lock(m_shared->mutex);
        m_shared->replayFlows.insert(request->id, ReplayFlow{});
    }
    m_replays.push_back(std::move(job));
}

bool OutboxWorker::replayReadyLocked() const
{
    const int window = std::max(1, m_options.replayPagesInFlight);
    for (const ReplayJob& job : m_replays) {
        const ReplayFlow flow = m_shared->replayFlows.value(job.request->id);
        if (flow.cancelled || flow.inFlight < window) return true;
    }
    return false;
}

void OutboxWorker::stepReplays()
{
    const int window = std::max(1, m_options.replayPagesInFlight);
    const int pageSize = std::max(1, m_options.replayPageSize);
    for (size_t i = 0; i < m_replays.size();) {
        ReplayJob& job = m_replays[i];
        ReplayFlow flow;
        {
            std::unique_lock lock(m_shared->mutex);
            flow = m_shared->replayFlows.value(job.request->id);
            if (flow.cancelled) m_shared->replayFlows.remove(job.request->id);
        }
        if (flow.cancelled) { // context died: nobody to hand pages to
            m_replays.erase(m_replays.begin() + qsizetype(i));
            continue;
        }
        if (flow.inFlight >= window) {
            ++i;
            continue;
        }

        QSqlQuery& q = *m_page;
        q.bindValue(0, job.cursor);
        q.bindValue(1, job.lastSeq);
        q.bindValue(2, pageSize);
        QString error;
        QList<OutboxRelay> page;
        if (!q.exec()) {
            error = outboxschema::sqlError(QStringLiteral("replay"), outboxschema::errorText(q.lastError())).message;
        } else {
            page.reserve(pageSize);
            while (q.next()) {
                job.cursor = q.value(0).toLongLong();
                OutboxRelay r;
                r.proofHash = q.value(1).toByteArray();
                r.nodeUrl = q.value(2).toString();
                r.servicerAddress = q.value(3).toString().toLatin1();
                r.chain = q.value(4).toString().toLatin1();
                r.appPubKey = q.value(5).toString().toLatin1();
                r.sessionHeight = q.value(6).toLongLong();
                r.createdMs = q.value(7).toLongLong();
                r.body = q.value(8).toByteArray();
                page.push_back(std::move(r));
            }
            if (q.lastError().isValid())
                error = outboxschema::sqlError(QStringLiteral("replay"), outboxschema::errorText(q.lastError())).message;
        }
        q.finish();

        const bool last = !error.isEmpty() || page.size() < pageSize;
        if (!page.isEmpty()) {
            job.total += page.size();
            {
                std::unique_lock lock(m_shared->mutex);
                ++m_shared->replayFlows[job.request->id].inFlight;
            }
            {
                std::unique_lock lock(m_shared->statsMutex);
                m_shared->stats.replayedRelays += quint64(page.size());
            }
            auto token = std::make_shared<ReplayPageToken>();
            token->shared = m_shared;
            token->replayId = job.request->id;
            std::vector<Delivery> d;
            d.push_back(Delivery{job.request->context,
                                 [onPage = job.request->onPage, page = std::move(page), token]() mutable {
                                     token->delivered = true;
                                     (*onPage)(std::move(page), token);
                                 }});
            m_dispatcher->post(job.request->sinkId, std::move(d));
        }
        if (last) {
            finishReplay(job, error);
            m_replays.erase(m_replays.begin() + qsizetype(i));
            continue;
        }
        ++i;
    }
}

void OutboxWorker::finishReplay(const ReplayJob& job, const QString& error)
{
    {
        std::unique_lock lock(m_shared->mutex);
        m_shared->replayFlows.remove(job.request->id);
    }
    if (!error.isEmpty()) qCWarning(lcOutbox).noquote() << error;
    if (!job.request->onDone) return;
    std::vector<Delivery> d;
    // Same sink as the pages, posted after them: onDone runs after the last onPage.
    d.push_back(Delivery{job.request->context,
                         [onDone = job.request->onDone, total = job.total, error] { onDone(total, error); }});
    m_dispatcher->post(job.request->sinkId, std::move(d));
}

void OutboxWorker::syncNow()
{
    if (!m_dirtySinceSync || !m_db.isOpen()) return;
    // Verified with strace (docs/outbox.md): with synchronous=NORMAL a checkpoint fdatasync()s the WAL,
    // copies it into the database file and fdatasync()s that. No other connection reads the file
    // (exclusive lock), so PASSIVE checkpoints every frame. From here on, everything committed so far
    // survives an OS crash or power loss.
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)")) || !q.next()) {
        qCWarning(lcOutbox).noquote()
            << outboxschema::sqlError(QStringLiteral("periodic checkpoint"), outboxschema::errorText(q.lastError())).message;
        return;
    }
    m_dirtySinceSync = false;
    std::unique_lock lock(m_shared->statsMutex);
    ++m_shared->stats.syncs;
    m_shared->stats.lastSyncMs = QDateTime::currentMSecsSinceEpoch();
}

Result<void> OutboxWorker::shutdown()
{
    // RelayOutbox::close() set the phase to Closed first: nothing new is queued. Drain what is there.
    for (;;) {
        std::vector<OutboxOp> batch;
        {
            std::unique_lock lock(m_shared->mutex);
            takeBatchLocked(batch);
        }
        if (batch.empty()) break;
        process(batch);
    }
    for (const ReplayJob& job : m_replays) finishReplay(job, QStringLiteral("relay outbox closed"));
    m_replays.clear();
    if (m_syncTimer) {
        m_syncTimer->stop();
        delete m_syncTimer;
        m_syncTimer = nullptr;
    }

    Result<void> result;
    if (m_db.isOpen()) {
        QSqlQuery q(m_db);
        // Everything into the database file and fsynced; the WAL is then removed by close.
        if (!q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")))
            result = fail(outboxschema::sqlError(QStringLiteral("final checkpoint"), outboxschema::errorText(q.lastError())));
    }
    closeDatabase();
    return result;
}

void OutboxWorker::closeDatabase()
{
    m_insert.reset();
    m_delete.reset();
    m_page.reset();
    if (m_db.isValid()) {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_connectionName);
    }
}

} // namespace pocket
