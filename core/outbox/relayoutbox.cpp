#include "outbox/relayoutbox.h"

#include <QThread>

#include "outbox/callbackdispatcher.h"
#include "outbox/outboxschema.h"
#include "outbox/outboxworker.h"

namespace pocket {

namespace {

constexpr qsizetype kProofHashSize = 32; // SHA3-256 (PROTOCOL §1.3)

const std::array<const char*, kRemovalReasonCount>& reasonNames()
{
    static const std::array<const char*, kRemovalReasonCount> names = {
        "delivered", "rejected", "session_invalid", "expired", "key_removed", "undecodable"};
    return names;
}

} // namespace

QString removalReasonName(RemovalReason reason)
{
    const auto i = size_t(reason);
    return i < reasonNames().size() ? QString::fromLatin1(reasonNames()[i]) : QStringLiteral("unknown");
}

std::optional<RemovalReason> removalReasonFromName(QStringView name)
{
    for (size_t i = 0; i < reasonNames().size(); ++i)
        if (name == QLatin1String(reasonNames()[i])) return RemovalReason(i);
    return std::nullopt;
}

RelayOutbox::RelayOutbox(RelayOutboxOptions options, QObject* parent)
    : QObject(parent), m_options(std::move(options)), m_shared(std::make_shared<OutboxShared>()),
      m_dispatcher(std::make_shared<CallbackDispatcher>())
{
    m_thread = new QThread();
    m_thread->setObjectName(QStringLiteral("relay-outbox"));
    m_worker = new OutboxWorker(m_shared, m_dispatcher, m_options);
    m_worker->moveToThread(m_thread);
    // Re-emitted from the worker thread; receivers get them queued unless they ask otherwise.
    connect(m_worker, &OutboxWorker::committedBatch, this, &RelayOutbox::committedBatch, Qt::DirectConnection);
    connect(m_worker, &OutboxWorker::commitFailed, this, &RelayOutbox::commitFailed, Qt::DirectConnection);
    {
        std::unique_lock lock(m_shared->workerMutex);
        m_shared->worker = m_worker;
    }
    m_thread->start();
}

RelayOutbox::~RelayOutbox()
{
    if (auto r = close(); !r) qCWarning(lcOutbox).noquote() << r.error().message;
    {
        std::unique_lock lock(m_shared->workerMutex);
        m_shared->worker = nullptr; // no RunEvent after this
    }
    m_thread->quit();
    m_thread->wait();
    delete m_worker; // its thread has finished: safe from here
    delete m_thread;
    m_dispatcher->shutdown();
}

QString RelayOutbox::databasePathFor(const QString& configuredPath)
{
    static const QLatin1String pkt(".pkt");
    if (configuredPath.endsWith(pkt, Qt::CaseInsensitive))
        return configuredPath.chopped(pkt.size()) + QStringLiteral(".sqlite");
    return configuredPath;
}

Result<void> RelayOutbox::open()
{
    {
        std::unique_lock lock(m_shared->mutex);
        if (m_shared->phase != OutboxShared::Phase::New)
            return fail(outboxschema::sqlError(QStringLiteral("opening"),
                                               m_shared->phase == OutboxShared::Phase::Open
                                                   ? QStringLiteral("already open")
                                                   : QStringLiteral("already closed")));
    }
    Result<void> result;
    OutboxWorker* const worker = m_worker;
    worker->callBlocking([&result, worker] { result = worker->openDatabase(); });
    if (result) {
        std::unique_lock lock(m_shared->mutex);
        m_shared->phase = OutboxShared::Phase::Open;
    }
    return result;
}

void RelayOutbox::store(OutboxRelay relay, QObject* context, CommitCallback committed)
{
    const quint64 sinkId = committed ? m_dispatcher->sinkFor(context) : 0;
    QString refusal;
    if (relay.proofHash.size() != kProofHashSize) {
        refusal = QStringLiteral("relay outbox: the proof hash must be %1 bytes, got %2")
                      .arg(kProofHashSize)
                      .arg(relay.proofHash.size());
    } else {
        std::unique_lock lock(m_shared->mutex);
        if (m_shared->phase != OutboxShared::Phase::Open) {
            refusal = QStringLiteral("relay outbox: not open");
        } else if (m_shared->queuedStores >= m_options.maxQueuedStores) {
            refusal = QStringLiteral("relay outbox: %1 relays are already waiting for the disk")
                          .arg(m_shared->queuedStores);
        } else {
            OutboxOp op;
            op.kind = OutboxOp::Kind::Store;
            op.relay = std::move(relay);
            op.sinkId = sinkId;
            op.context = context;
            op.committed = std::move(committed);
            m_shared->ops.push_back(std::move(op));
            ++m_shared->queuedStores;
            m_shared->wakeAndUnlock(lock);
            return;
        }
    }
    {
        std::unique_lock lock(m_shared->statsMutex);
        ++m_shared->stats.rejectedStores;
    }
    if (sinkId == 0) return;
    // Answered like a commit: later, in context's thread (never re-entering the caller).
    std::vector<Delivery> d;
    d.push_back(Delivery{context, [cb = std::move(committed), refusal] { cb(false, refusal); }});
    m_dispatcher->post(sinkId, std::move(d));
}

void RelayOutbox::remove(const QByteArray& proofHash, RemovalReason reason, const QString& detail)
{
    if (proofHash.size() != kProofHashSize) {
        qCWarning(lcOutbox) << "relay outbox: remove() with a proof hash of" << proofHash.size()
                            << "bytes ignored";
        return;
    }
    std::unique_lock lock(m_shared->mutex);
    if (m_shared->phase != OutboxShared::Phase::Open) {
        // Not an error for the relay: it stays stored and is replayed (and decided again) at next start.
        return;
    }
    OutboxOp op;
    op.kind = OutboxOp::Kind::Remove;
    op.proofHash = proofHash;
    op.reason = reason;
    op.detail = detail;
    m_shared->ops.push_back(std::move(op));
    ++m_shared->queuedRemoves;
    m_shared->wakeAndUnlock(lock);
}

void RelayOutbox::replay(QObject* context, PageCallback onPage, DoneCallback onDone)
{
    // The lease is dropped when onPage returns: the page counts as consumed then.
    replayLeased(
        context, [onPage = std::move(onPage)](QList<OutboxRelay> page, ReplayLease) { onPage(std::move(page)); },
        std::move(onDone));
}

void RelayOutbox::replayLeased(QObject* context, LeasedPageCallback onPage, DoneCallback onDone)
{
    auto request = std::make_shared<ReplayRequest>();
    request->sinkId = m_dispatcher->sinkFor(context);
    request->context = context;
    request->onPage = std::make_shared<LeasedPageCallback>(std::move(onPage));
    request->onDone = std::move(onDone);
    std::unique_lock lock(m_shared->mutex);
    if (m_shared->phase != OutboxShared::Phase::Open || request->sinkId == 0) {
        lock.unlock();
        if (request->sinkId == 0 || !request->onDone) return;
        std::vector<Delivery> d;
        d.push_back(Delivery{context, [onDone = request->onDone] { onDone(0, QStringLiteral("relay outbox: not open")); }});
        m_dispatcher->post(request->sinkId, std::move(d));
        return;
    }
    request->id = m_shared->nextReplayId++;
    OutboxOp op;
    op.kind = OutboxOp::Kind::Replay;
    op.replay = std::move(request);
    m_shared->ops.push_back(std::move(op));
    m_shared->wakeAndUnlock(lock);
}

OutboxStats RelayOutbox::stats() const
{
    return m_shared->snapshot();
}

void RelayOutbox::flush()
{
    auto barrier = std::make_shared<OutboxBarrier>();
    {
        std::unique_lock lock(m_shared->mutex);
        if (m_shared->phase != OutboxShared::Phase::Open) return;
        OutboxOp op;
        op.kind = OutboxOp::Kind::Barrier;
        op.barrier = barrier;
        m_shared->ops.push_back(std::move(op));
        m_shared->wakeAndUnlock(lock);
    }
    barrier->wait();
}

Result<void> RelayOutbox::close()
{
    {
        std::unique_lock lock(m_shared->mutex);
        const OutboxShared::Phase was = m_shared->phase;
        m_shared->phase = OutboxShared::Phase::Closed;
        if (was != OutboxShared::Phase::Open) return {};
    }
    Result<void> result;
    OutboxWorker* const worker = m_worker;
    worker->callBlocking([&result, worker] { result = worker->shutdown(); });
    return result;
}

} // namespace pocket
