#include "session/sessioncache.h"

#include <QDateTime>

#include "protocol/relay.h"

namespace pocket {

namespace {
// Without a known allowance the duplicate set of one session is still bounded (DECISIONS 3).
constexpr qsizetype kMaxUnvalidatedRelays = 1'000'000;
} // namespace

QString sessionStateName(SessionState s)
{
    switch (s) {
    case SessionState::Unvalidated: return QStringLiteral("unvalidated");
    case SessionState::Validating: return QStringLiteral("validating");
    case SessionState::Valid: return QStringLiteral("valid");
    case SessionState::Invalid: return QStringLiteral("invalid");
    }
    return {};
}

QByteArray SessionCache::sessionKey(const QByteArray& appPubKey, const QByteArray& chain, qint64 height,
                                    const QByteArray& servicerPubKeyHexLower)
{
    // PROTOCOL §7.1, except that the servicer key is normalised to lower case: the reference keys by the
    // string as sent, so two spellings of one key got two duplicate sets.
    return sessionHeaderHashHex(appPubKey, chain, height) + '-' + servicerPubKeyHexLower;
}

std::optional<PocketError> SessionCache::checkHeight(qint64 sessionHeight, const HeightView& node)
{
    const qint64 latest = latestSessionHeight(node.height, node.blocksPerSession);
    if (sessionHeight <= latest) {
        if (!meshCanServe(sessionHeight, node)) return PocketError::pocketcore(60);
        return std::nullopt;
    }
    // Ahead of the servicer: only the next session, and only on the last block of the current one.
    if (!optimisticNextSession(sessionHeight, node)) return PocketError::pocketcore(60);
    return std::nullopt;
}

namespace {
SessionInfo newSessionInfo(const QByteArray& key, const SessionRequest& request)
{
    SessionInfo info;
    info.key = key;
    info.appPubKey = request.appPubKey;
    info.chain = request.chain;
    info.sessionHeight = request.sessionHeight;
    info.servicerPubKeyHex = request.servicerPubKeyHex;
    info.servicerAddressHex = request.servicerAddressHex;
    info.nodeUrl = request.nodeUrl;
    info.firstMetaHeight = request.metaHeight;
    info.createdMs = QDateTime::currentMSecsSinceEpoch();
    return info;
}
} // namespace

Result<SessionCache::Admission> SessionCache::admit(const SessionRequest& request, const QByteArray& proofHash,
                                                    const HeightView& node)
{
    const QByteArray key =
        sessionKey(request.appPubKey, request.chain, request.sessionHeight, request.servicerPubKeyHex);
    QMutexLocker lock(&m_mutex);
    auto it = m_sessions.find(key);
    Admission admission{key, false};
    if (it == m_sessions.end()) {
        if (auto err = checkHeight(request.sessionHeight, node)) return fail(*err);
        Entry e;
        e.info = newSessionInfo(key, request);
        it = m_sessions.insert(key, std::move(e));
    }
    Entry& e = *it;
    // Duplicate before validity, like the reference (PROTOCOL §5.1 step 10).
    if (e.proofHashes.contains(proofHash)) return fail(PocketError::pocketcore(37));
    if (e.info.state == SessionState::Invalid)
        return fail(e.info.error.value_or(PocketError::pocketcore(90)));
    if (e.info.remainingRelays == 0) return fail(PocketError::pocketcore(71));
    if (e.info.remainingRelays < 0 && e.proofHashes.size() >= kMaxUnvalidatedRelays)
        return fail(PocketError::pocketcore(71));
    // A new session, or one restored from the outbox that no live relay reached yet: validate it now.
    if (!e.validationRequested) {
        e.validationRequested = true;
        admission.created = true;
        if (e.info.firstMetaHeight == 0) e.info.firstMetaHeight = request.metaHeight;
    }
    e.proofHashes.insert(proofHash);
    if (e.info.remainingRelays > 0) --e.info.remainingRelays;
    ++e.info.relaysAdmitted;
    ++e.info.relaysInFlight;
    return admission;
}

void SessionCache::release(const QByteArray& sessionKey, const QByteArray& proofHash)
{
    QMutexLocker lock(&m_mutex);
    auto it = m_sessions.find(sessionKey);
    if (it == m_sessions.end()) return;
    if (it->proofHashes.remove(proofHash)) {
        --it->info.relaysAdmitted;
        --it->info.relaysInFlight;
        if (it->info.remainingRelays >= 0) ++it->info.remainingRelays;
    }
}

bool SessionCache::restore(const SessionRequest& request, const QByteArray& proofHash)
{
    const QByteArray key =
        sessionKey(request.appPubKey, request.chain, request.sessionHeight, request.servicerPubKeyHex);
    QMutexLocker lock(&m_mutex);
    auto it = m_sessions.find(key);
    if (it == m_sessions.end()) {
        Entry e;
        e.info = newSessionInfo(key, request);
        it = m_sessions.insert(key, std::move(e));
    }
    if (it->proofHashes.contains(proofHash)) return false;
    it->proofHashes.insert(proofHash);
    ++it->info.relaysAdmitted;
    ++it->info.relaysInFlight;
    if (it->info.remainingRelays > 0) --it->info.remainingRelays;
    return true;
}

void SessionCache::markValidating(const QByteArray& key)
{
    QMutexLocker lock(&m_mutex);
    auto it = m_sessions.find(key);
    if (it == m_sessions.end()) return;
    it->deliveredAtRequest = it->info.relaysDelivered;
    if (it->info.state == SessionState::Unvalidated) it->info.state = SessionState::Validating;
}

void SessionCache::validated(const QByteArray& key, qint64 remainingRelays, const QByteArray& dispatchJson)
{
    QMutexLocker lock(&m_mutex);
    auto it = m_sessions.find(key);
    if (it == m_sessions.end() || it->info.state == SessionState::Invalid) return;
    it->info.state = SessionState::Valid;
    it->info.dispatchJson = internDispatchLocked(key, dispatchJson);
    // The servicer counts only relays already in its evidence; ours still in flight come off the allowance.
    // So do the ones delivered while the request was under way: the servicer may have answered before or after
    // counting them, and counting them twice can only serve fewer relays, never one it refuses with 71.
    if (remainingRelays >= 0) {
        const qint64 deliveredSince = std::max<qint64>(0, it->info.relaysDelivered - it->deliveredAtRequest);
        it->info.remainingRelays = std::max<qint64>(0, remainingRelays - it->info.relaysInFlight - deliveredSince);
    }
}

void SessionCache::invalidate(const QByteArray& key, const PocketError& error, const QByteArray& dispatchJson)
{
    QMutexLocker lock(&m_mutex);
    auto it = m_sessions.find(key);
    if (it == m_sessions.end()) return;
    it->info.state = SessionState::Invalid;
    it->info.error = error;
    if (!dispatchJson.isEmpty()) it->info.dispatchJson = internDispatchLocked(key, dispatchJson);
}

void SessionCache::validationRetry(const QByteArray& key)
{
    QMutexLocker lock(&m_mutex);
    auto it = m_sessions.find(key);
    if (it == m_sessions.end() || it->info.state == SessionState::Invalid) return;
    it->info.state = SessionState::Unvalidated;
    ++it->info.validationAttempts;
}

void SessionCache::relayDelivered(const QByteArray& key)
{
    QMutexLocker lock(&m_mutex);
    auto it = m_sessions.find(key);
    if (it == m_sessions.end()) return;
    ++it->info.relaysDelivered;
    if (it->info.relaysInFlight > 0) --it->info.relaysInFlight;
}

void SessionCache::relayDropped(const QByteArray& key)
{
    QMutexLocker lock(&m_mutex);
    auto it = m_sessions.find(key);
    if (it != m_sessions.end() && it->info.relaysInFlight > 0) --it->info.relaysInFlight;
}

std::optional<SessionInfo> SessionCache::get(const QByteArray& key) const
{
    QMutexLocker lock(&m_mutex);
    auto it = m_sessions.constFind(key);
    if (it == m_sessions.constEnd()) return std::nullopt;
    return it->info;
}

QByteArray SessionCache::dispatchOf(const QByteArray& key) const
{
    QMutexLocker lock(&m_mutex);
    auto it = m_sessions.constFind(key);
    return it == m_sessions.constEnd() ? QByteArray() : it->info.dispatchJson;
}

int SessionCache::cleanup(const std::function<std::optional<HeightView>(const QString&)>& heightOf)
{
    QMutexLocker lock(&m_mutex);
    int removed = 0;
    for (auto it = m_sessions.begin(); it != m_sessions.end();) {
        // A node without status is skipped, never dereferenced (the reference crashed here, §7.6).
        const auto view = heightOf(it->info.nodeUrl);
        if (view && it->info.relaysInFlight == 0 && sessionExpired(it->info.sessionHeight, *view)) {
            it = m_sessions.erase(it);
            ++removed;
        } else {
            ++it;
        }
    }
    if (removed) pruneDispatchesLocked();
    return removed;
}

int SessionCache::size() const
{
    QMutexLocker lock(&m_mutex);
    return int(m_sessions.size());
}

QList<SessionInfo> SessionCache::snapshot(int offset, int limit) const
{
    QMutexLocker lock(&m_mutex);
    QList<SessionInfo> out;
    int i = 0;
    for (auto it = m_sessions.constBegin(); it != m_sessions.constEnd(); ++it, ++i) {
        if (i < offset) continue;
        if (int(out.size()) >= limit) break;
        out.append(it->info);
    }
    return out;
}

void SessionCache::removeNode(const QString& nodeUrl)
{
    QMutexLocker lock(&m_mutex);
    for (auto it = m_sessions.begin(); it != m_sessions.end();) {
        if (it->info.nodeUrl == nodeUrl && it->info.relaysInFlight == 0) it = m_sessions.erase(it);
        else ++it;
    }
    pruneDispatchesLocked();
}

QByteArray SessionCache::internDispatchLocked(const QByteArray& key, const QByteArray& dispatch)
{
    if (dispatch.isEmpty()) return dispatch;
    const qsizetype dash = key.indexOf('-');
    QList<QByteArray>& held = m_dispatches[dash < 0 ? key : key.left(dash)];
    for (qsizetype i = 0; i < held.size();) {
        // isDetached(): only this list refers to the buffer (its sessions are gone or hold another one).
        if (held[i].isDetached()) {
            held.removeAt(i);
            continue;
        }
        if (held[i] == dispatch) return held[i];
        ++i;
    }
    held.append(dispatch);
    return dispatch;
}

void SessionCache::pruneDispatchesLocked()
{
    for (auto it = m_dispatches.begin(); it != m_dispatches.end();) {
        it->removeIf([](const QByteArray& d) { return d.isDetached(); });
        if (it->isEmpty()) it = m_dispatches.erase(it);
        else ++it;
    }
}

SessionCache::DispatchStats SessionCache::dispatchStats() const
{
    QMutexLocker lock(&m_mutex);
    DispatchStats out;
    for (const auto& held : m_dispatches)
        for (const QByteArray& d : held) {
            ++out.buffers;
            out.bytes += d.size();
        }
    return out;
}

} // namespace pocket
