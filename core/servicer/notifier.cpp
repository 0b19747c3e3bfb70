#include "servicer/notifier.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <algorithm>

#include "protocol/crypto.h"

Q_LOGGING_CATEGORY(lcNotify, "pocket.notify")

namespace pocket {

namespace {
qint64 nowMs() { return QDateTime::currentMSecsSinceEpoch(); }
} // namespace

Notifier::Notifier(ServicerClient* client, SessionCache* sessions, NodeStatusTable* nodes, RelayOutbox* outbox,
                   std::function<KeyRingPtr()> keys, NotifierOptions options, QObject* parent)
    : QObject(parent), m_client(client), m_sessions(sessions), m_nodes(nodes), m_outbox(outbox),
      m_keys(std::move(keys)), m_options(options)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &Notifier::onTimer);
}

void Notifier::submit(const OutboxRelay& relay)
{
    // A relay replayed from the outbox after a restart is back in its session's duplicate set before the
    // mesh answers anyone (a no-op for a relay admitted in this process). Here, not in enqueue(): in the
    // caller's thread, at once.
    restoreSession(m_keys(), relay);
    QMetaObject::invokeMethod(this, [this, relay] { enqueue(relay); }, Qt::AutoConnection);
}

void Notifier::restoreSession(const KeyRingPtr& keys, const OutboxRelay& relay)
{
    if (const ServicerIdentity* id = keys ? keys->findByAddress(relay.servicerAddress) : nullptr) {
        SessionRequest request{relay.appPubKey, relay.chain, relay.sessionHeight, 0, id->publicKeyHex,
                               id->addressHex, id->nodeUrl};
        m_sessions->restore(request, relay.proofHash);
    }
}

void Notifier::replay(std::function<void(const QList<OutboxRelay>&)> onPage, RelayOutbox::DoneCallback onDone)
{
    m_outbox->replayLeased(
        this,
        [this, onPage = std::move(onPage)](QList<OutboxRelay> page, RelayOutbox::ReplayLease lease) {
            if (onPage) onPage(page);
            // The lease goes in first: relays finishing at once (key removed) may already release it.
            m_leases.push_back(std::move(lease));
            m_replayHeld += page.size();
            const KeyRingPtr keys = m_keys();
            for (const OutboxRelay& relay : std::as_const(page)) {
                restoreSession(keys, relay); // before the mesh answers anyone with this proof (see submit())
                enqueue(relay, true);
            }
            releaseLeases();
        },
        std::move(onDone));
}

void Notifier::jobDone(const Job& job)
{
    if (!job.replayed) return;
    --m_replayHeld;
    releaseLeases();
}

void Notifier::releaseLeases()
{
    // Ask for the next page (by dropping the oldest lease) once the replayed relays held here run low.
    while (!m_leases.empty() && m_replayHeld <= m_options.replayLowWater) m_leases.pop_front();
}

void Notifier::enqueue(const OutboxRelay& stored, bool replayed)
{
    // A relay replayed after a restart may belong to a key that is no longer configured, or to a key whose
    // node has another URL now (the key file changed in between). Its old node is not followed any more, so
    // queued there it would wait for a status forever: drop it (PROTOCOL §8.1 start-up, "servicer key not
    // loaded → deleted") or send it to the key's current node.
    OutboxRelay relay = stored;
    const KeyRingPtr keys = m_keys();
    const ServicerIdentity* id = keys ? keys->findByAddress(relay.servicerAddress) : nullptr;
    if (!id) {
        NodeQueue& q = m_queues[relay.nodeUrl];
        q.stats.nodeUrl = relay.nodeUrl;
        q.hold(relay.createdMs);
        finish(q, Job{relay, 0, replayed}, RemovalReason::KeyRemoved,
               QStringLiteral("servicer %1 is no longer configured").arg(QString::fromLatin1(relay.servicerAddress)));
        return;
    }
    if (id->nodeUrl != relay.nodeUrl) {
        qCInfo(lcNotify).noquote() << "relay" << crypto::hexEncode(relay.proofHash).left(16) << "of servicer"
                                   << relay.servicerAddress << "goes to its node's current URL" << id->nodeUrl;
        relay.nodeUrl = id->nodeUrl;
    }
    NodeQueue& q = m_queues[relay.nodeUrl];
    q.stats.nodeUrl = relay.nodeUrl;
    q.hold(relay.createdMs);
    q.ready.push_back(Job{relay, 0, replayed});
    pump(relay.nodeUrl);
}

QByteArray Notifier::sessionKeyOf(const OutboxRelay& relay) const
{
    const KeyRingPtr keys = m_keys();
    const ServicerIdentity* id = keys ? keys->findByAddress(relay.servicerAddress) : nullptr;
    if (!id) return {};
    return SessionCache::sessionKey(relay.appPubKey, relay.chain, relay.sessionHeight, id->publicKeyHex);
}

void Notifier::pump(const QString& nodeUrl)
{
    auto it = m_queues.find(nodeUrl);
    if (it == m_queues.end()) return;
    NodeQueue& q = *it;
    const auto status = m_nodes->get(nodeUrl);
    if (!status || !status->checked) {
        // No height yet: nothing can be decided. The queue stays as it is and is looked at again later.
        if (!q.recheckScheduled && !q.ready.empty()) {
            q.recheckScheduled = true;
            QTimer::singleShot(m_options.unknownNodeRecheckMs, this, [this, nodeUrl] {
                m_queues[nodeUrl].recheckScheduled = false;
                pump(nodeUrl);
            });
        }
        q.stats.queued = qint64(q.ready.size());
        return;
    }
    const HeightView view = status->heights;
    while (q.inFlight < m_options.maxInFlightPerNode && !q.ready.empty()) {
        Job job = std::move(q.ready.front());
        q.ready.pop_front();
        if (sessionExpired(job.relay.sessionHeight, view)) {
            finish(q, job, RemovalReason::Expired,
                   QStringLiteral("session %1 is older than the servicer's tolerance at height %2")
                       .arg(job.relay.sessionHeight)
                       .arg(view.height));
            continue;
        }
        if (job.relay.sessionHeight > latestSessionHeight(view.height, view.blocksPerSession)) {
            // An optimistic next-session relay waits until the servicer reaches that session (DECISIONS 6).
            delay(q, std::move(job), m_options.notReadyRecheckMs);
            continue;
        }
        start(nodeUrl, std::move(job));
    }
    q.stats.queued = qint64(q.ready.size());
    q.stats.waiting = qint64(q.delayed.size());
    q.stats.inFlight = q.inFlight;
}

void Notifier::start(const QString& nodeUrl, Job job)
{
    NodeQueue& q = m_queues[nodeUrl];
    ++q.inFlight;
    ++job.attempts;
    const OutboxRelay relay = job.relay;
    QElapsedTimer clock;
    clock.start();
    m_client->notify(nodeUrl, relay.servicerAddress, relay.chain, relay.appPubKey, relay.body, this,
                     [this, nodeUrl, job, clock](NotifyOutcome outcome) {
                         NodeQueue& q = m_queues[nodeUrl];
                         --q.inFlight;
                         const qint64 durationMs = clock.elapsed();
                         if (outcome.dispatchHeight > 0) m_nodes->raiseHeight(nodeUrl, outcome.dispatchHeight);
                         const QByteArray key = sessionKeyOf(job.relay);
                         switch (outcome.verdict) {
                         case NotifyVerdict::Delivered:
                             ++q.stats.delivered;
                             {
                                 const qint64 waited = std::max<qint64>(0, nowMs() - job.relay.createdMs);
                                 q.stats.deliveredWaitMsTotal += waited;
                                 m_deliveredWaitMs += waited;
                                 ++m_deliveredTotal;
                             }
                             q.release(job.relay.createdMs);
                             if (!key.isEmpty()) m_sessions->relayDelivered(key);
                             m_outbox->remove(job.relay.proofHash, RemovalReason::Delivered, {});
                             observe(nodeUrl, job, &outcome, durationMs, {});
                             Q_EMIT relayFinished(job.relay.proofHash, QStringLiteral("delivered"));
                             jobDone(job);
                             break;
                         case NotifyVerdict::RejectedInvalidate:
                             if (!key.isEmpty() && outcome.error)
                                 m_sessions->invalidate(key, *outcome.error, outcome.dispatchJson);
                             finish(q, job, RemovalReason::SessionInvalid, outcome.detail, &outcome, durationMs);
                             break;
                         case NotifyVerdict::Rejected:
                             finish(q, job, RemovalReason::Rejected, outcome.detail, &outcome, durationMs);
                             break;
                         case NotifyVerdict::Retry: {
                             // The servicer already refused the whole session (its /session answer) with the code
                             // this notification got, e.g. 14 (servicer not in the session): no retry until the
                             // session expires can succeed, the session cannot be claimed (DECISIONS 4 c).
                             if (outcome.error && !key.isEmpty()) {
                                 const auto session = m_sessions->get(key);
                                 if (session && session->state == SessionState::Invalid && session->error
                                     && session->error->code == outcome.error->code
                                     && session->error->codespace == outcome.error->codespace) {
                                     finish(q, job, RemovalReason::SessionInvalid,
                                            QStringLiteral("the servicer refused the session: ") + outcome.detail,
                                            &outcome, durationMs);
                                     break;
                                 }
                             }
                             ++q.stats.retries;
                             observe(nodeUrl, job, &outcome, durationMs, {});
                             // min·2^i capped at max; Retry-After of a 429/503 wins (PROTOCOL §8.3). Never dropped
                             // while claimable (DECISIONS 4): pump() checks that before every attempt.
                             const int shift = std::min(job.attempts - 1, 30);
                             qint64 wait = std::min<qint64>(qint64(m_options.retryWaitMinMs) << shift,
                                                            m_options.retryWaitMaxMs);
                             if (outcome.retryAfterSeconds >= 0) wait = qint64(outcome.retryAfterSeconds) * 1000;
                             qCDebug(lcNotify).noquote() << "notify retry" << job.attempts << "in" << wait << "ms:"
                                                         << outcome.detail;
                             delay(q, job, wait);
                             break;
                         }
                         }
                         pump(nodeUrl);
                     });
}

void Notifier::finish(NodeQueue& q, const Job& job, RemovalReason reason, const QString& detail,
                      const NotifyOutcome* outcome, qint64 durationMs)
{
    const QString name = removalReasonName(reason);
    q.release(job.relay.createdMs);
    observe(q.stats.nodeUrl, job, outcome, durationMs, name);
    ++q.stats.removedByReason[name];
    const QByteArray key = sessionKeyOf(job.relay);
    if (!key.isEmpty()) m_sessions->relayDropped(key);
    qCWarning(lcNotify).noquote() << "relay" << crypto::hexEncode(job.relay.proofHash) << "removed without delivery ("
                                  << name << "):" << detail;
    m_outbox->remove(job.relay.proofHash, reason, detail);
    Q_EMIT relayFinished(job.relay.proofHash, name);
    jobDone(job);
}

void Notifier::observe(const QString& nodeUrl, const Job& job, const NotifyOutcome* outcome, qint64 durationMs,
                       const QString& removalReason)
{
    if (!m_observer) return;
    NotifyEvent e;
    e.chain = job.relay.chain;
    e.servicerAddressHex = job.relay.servicerAddress;
    e.nodeUrl = nodeUrl;
    e.durationMs = durationMs;
    e.attempted = outcome != nullptr;
    if (outcome) {
        e.delivered = outcome->verdict == NotifyVerdict::Delivered;
        e.httpStatus = outcome->httpStatus;
        e.error = outcome->error;
    }
    e.removalReason = removalReason;
    m_observer(e);
}

void Notifier::delay(NodeQueue& q, Job job, qint64 ms)
{
    q.delayed.insert(nowMs() + std::max<qint64>(0, ms), std::move(job));
    q.stats.waiting = qint64(q.delayed.size());
    scheduleTimer();
}

void Notifier::scheduleTimer()
{
    qint64 earliest = std::numeric_limits<qint64>::max();
    for (const auto& q : std::as_const(m_queues))
        if (!q.delayed.isEmpty()) earliest = std::min(earliest, q.delayed.firstKey());
    if (earliest == std::numeric_limits<qint64>::max()) return;
    const qint64 wait = std::max<qint64>(0, earliest - nowMs());
    if (!m_timer.isActive() || m_timer.remainingTime() > wait) m_timer.start(int(std::min<qint64>(wait, 60'000)));
}

void Notifier::onTimer()
{
    const qint64 now = nowMs();
    for (auto it = m_queues.begin(); it != m_queues.end(); ++it) {
        NodeQueue& q = *it;
        while (!q.delayed.isEmpty() && q.delayed.firstKey() <= now) {
            q.ready.push_back(q.delayed.first());
            q.delayed.erase(q.delayed.begin());
        }
        pump(it.key());
    }
    scheduleTimer();
}

QList<NodeQueueStats> Notifier::stats() const
{
    QList<NodeQueueStats> out;
    for (const auto& q : m_queues) {
        NodeQueueStats s = q.stats;
        s.queued = qint64(q.ready.size());
        s.waiting = q.delayed.size();
        s.inFlight = q.inFlight;
        s.oldestCreatedMs = q.oldestCreatedMs();
        out.append(s);
    }
    return out;
}

double Notifier::averageOutboxWaitMs() const
{
    const qint64 n = m_deliveredTotal.load();
    return n ? double(m_deliveredWaitMs.load()) / double(n) : 0.0;
}

qint64 Notifier::pending() const
{
    qint64 n = 0;
    for (const auto& q : m_queues) n += qint64(q.ready.size()) + q.delayed.size() + q.inFlight;
    return n;
}

} // namespace pocket
