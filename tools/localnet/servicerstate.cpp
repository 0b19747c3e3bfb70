#include "servicerstate.h"

#include <QJsonArray>
#include <algorithm>
#include <numeric>

#include "protocol/crypto.h"
#include "protocol/gojson.h"
#include "protocol/relayvalidator.h"
#include "session/sessionheight.h"

namespace pocket::localnet {

namespace {

// Texts of the servicer's plain and sdk errors (PROTOCOL §5.2.1, §5.2.2).
const QString kStartingText = QStringLiteral(
    "pocket node is unable to retrieve synced status from tendermint node, cannot service in this state");
const QString kCatchingUpText =
    QStringLiteral("pocket node is currently syncing to the blockchain, cannot service in this state");

PocketError plainError(const QString& text)
{
    // A Go error that is not an sdk.Error: the servicer serialises it as "error":{} (code read as 0).
    return PocketError{QString(), 0, text};
}

QByteArray lowerHex(const QByteArray& hex)
{
    const auto raw = crypto::hexDecode(hex);
    return raw ? crypto::hexEncode(*raw) : hex;
}

} // namespace

ServicerState::ServicerState(EmulatorSettings settings, QList<ServicerKey> keys, QList<QByteArray> chains)
    : m_settings(std::move(settings))
    , m_height(qMax<qint64>(1, m_settings.height))
    , m_keys(std::move(keys))
    , m_chains(std::move(chains))
{
    if (m_settings.blocksPerSession < 1) m_settings.blocksPerSession = 1;
    for (int i = 0; i < m_keys.size(); ++i) {
        m_keyByPublicKey.insert(m_keys[i].publicKey, i);
        m_keyByAddress.insert(m_keys[i].addressHex, i);
    }
}

qint64 ServicerState::latestSessionHeight() const
{
    return pocket::latestSessionHeight(m_height, m_settings.blocksPerSession);
}

bool ServicerState::sessionWithinTolerance(qint64 sessionHeight) const
{
    const HeightView v{m_height, m_settings.blocksPerSession, m_settings.sessionSyncAllowance};
    return pocket::withinTolerance(sessionHeight, v, m_settings.sessionSyncAllowance);
}

void ServicerState::setStatus(bool starting, bool catchingUp)
{
    m_isStarting = starting;
    m_isCatchingUp = catchingUp;
}

int ServicerState::keyIndexByPublicKey(const QByteArray& publicKey32) const
{
    return m_keyByPublicKey.value(publicKey32, -1);
}

int ServicerState::keyIndexByAddressHex(const QByteArray& addressHex) const
{
    return m_keyByAddress.value(addressHex.toLower(), -1);
}

bool ServicerState::hostsChain(const QByteArray& chain) const
{
    return m_chains.contains(chain);
}

void ServicerState::stakeApp(const StakedApp& app)
{
    StakedApp a = app;
    a.publicKeyHex = lowerHex(a.publicKeyHex);
    m_apps[a.publicKeyHex] = a;
}

bool ServicerState::unstakeApp(const QByteArray& publicKeyHex)
{
    return m_apps.erase(lowerHex(publicKeyHex)) > 0;
}

const StakedApp* ServicerState::app(const QByteArray& publicKeyHex) const
{
    const auto it = m_apps.find(lowerHex(publicKeyHex));
    return it == m_apps.end() ? nullptr : &it->second;
}

QList<StakedApp> ServicerState::apps() const
{
    QList<StakedApp> out;
    for (const auto& [k, a] : m_apps) out.append(a);
    return out;
}

QList<int> ServicerState::sessionNodes(const QByteArray& appHex, const QByteArray& chain, qint64 sessionHeight) const
{
    const int n = keyCount();
    if (m_settings.sessionNodes <= 0 || m_settings.sessionNodes >= n) {
        QList<int> all(n);
        std::iota(all.begin(), all.end(), 0);
        return all;
    }
    const QByteArray id = sessionId(lowerHex(appHex), chain, sessionHeight);
    const auto cached = m_sessionNodesCache.constFind(id);
    if (cached != m_sessionNodesCache.constEnd()) return *cached;
    // A deterministic pseudo-random choice per session, like the chain's session generation.
    const QByteArray header = sessionHeaderHashHex(lowerHex(appHex), chain, sessionHeight);
    QList<QPair<QByteArray, int>> ranked;
    ranked.reserve(n);
    for (int i = 0; i < n; ++i) ranked.append({crypto::sha3_256(header + m_keys[i].publicKeyHex), i});
    std::sort(ranked.begin(), ranked.end());
    QList<int> chosen;
    for (int i = 0; i < m_settings.sessionNodes; ++i) chosen.append(ranked[i].second);
    std::sort(chosen.begin(), chosen.end());
    if (m_sessionNodesCache.size() > 10000) m_sessionNodesCache.clear();
    m_sessionNodesCache.insert(id, chosen);
    return chosen;
}

bool ServicerState::inSession(int keyIndex, const QByteArray& appHex, const QByteArray& chain,
                              qint64 sessionHeight) const
{
    if (m_settings.sessionNodes <= 0 || m_settings.sessionNodes >= keyCount()) return keyIndex >= 0;
    return sessionNodes(appHex, chain, sessionHeight).contains(keyIndex);
}

QByteArray ServicerState::dispatchJson(const QByteArray& appHexIn, const QByteArray& chain, DispatchStyle style) const
{
    const QByteArray appHex = lowerHex(appHexIn);
    const qint64 sessionHeight = latestSessionHeight();
    const QByteArray sessionKey = crypto::sha3_256(sessionHeaderHashInput(appHex, chain, sessionHeight));
    const QList<int> nodes = sessionNodes(appHex, chain, sessionHeight);
    const bool sorted = style != DispatchStyle::ClientDispatch;

    GoJsonWriter w;
    w.beginObject().key("block_height").integer(m_height).key("session").beginObject();
    w.key("header").beginObject();
    w.key("app_public_key").string(appHex).key("chain").string(chain).key("session_height").integer(sessionHeight);
    w.endObject();
    w.key("key").string(style == DispatchStyle::MeshSession ? crypto::hexEncode(sessionKey) : sessionKey.toBase64());
    w.key("nodes").beginArray();
    for (int i : nodes) {
        const ServicerKey& k = m_keys[i];
        auto chains = [&] {
            w.key("chains").beginArray();
            for (const QByteArray& c : m_chains) w.string(c);
            w.endArray();
        };
        w.beginObject();
        if (sorted) {
            w.key("address").string(k.addressHex);
            chains();
            w.key("jailed").boolean(false);
            w.key("output_address").string(k.addressHex);
            // The /session reply carries the amino encoding of the key (PROTOCOL §5.2.2).
            w.key("public_key").string(style == DispatchStyle::MeshSession ? "1624de6420" + k.publicKeyHex : k.publicKeyHex);
            if (style == DispatchStyle::RelayError) w.key("reward_delegators").null();
            w.key("service_url").string(m_settings.serviceUrl);
            w.key("status").integer(2);
            w.key("tokens").string("15000000000");
            w.key("unstaking_time").string("0001-01-01T00:00:00Z");
        } else {
            // Field order of the vectors' dispatch sample (what the SDK parses).
            w.key("address").string(k.addressHex);
            w.key("public_key").string(k.publicKeyHex);
            w.key("jailed").boolean(false);
            w.key("status").integer(2);
            chains();
            w.key("service_url").string(m_settings.serviceUrl);
            w.key("tokens").string("15000000000");
            w.key("unstaking_time").string("0001-01-01T00:00:00Z");
            w.key("output_address").string("");
            w.key("reward_delegators").null();
        }
        w.endObject();
    }
    w.endArray().endObject().endObject();
    return w.take();
}

Result<int> ServicerState::leanKey(const QByteArray& servicerPubKeyHex) const
{
    // Lean mode: the proof's servicer key selects the hosted node (PROTOCOL §5.2.1/§5.2.2, HandleRelay).
    const auto raw = crypto::hexDecode(servicerPubKeyHex);
    if (!raw || raw->size() != crypto::kPublicKeySize) {
        return fail(PocketError::internal(QStringLiteral("Could not convert servicer hex to public key")));
    }
    const int i = keyIndexByPublicKey(*raw);
    if (i < 0) return fail(PocketError::internal(QStringLiteral("Failed to find correct servicer PK")));
    return i;
}

Result<AcceptedRelay> ServicerState::validateRelay(const Relay& relay) const
{
    if (m_isStarting) return fail(plainError(kStartingText));
    if (m_isCatchingUp) return fail(plainError(kCatchingUpText));
    const RelayProof& proof = relay.proof;
    const auto key = leanKey(proof.servicerPubKey);
    if (!key) return fail(key.error());
    // The servicer's session tolerance comes first (PROTOCOL §5.2.1).
    if (!sessionWithinTolerance(proof.sessionBlockHeight)) return fail(PocketError::pocketcore(60));
    // Relay.Validate: payload, meta, request hash, hosted chain.
    if (relay.payload.data.isEmpty() && relay.payload.path.isEmpty()) return fail(PocketError::pocketcore(25));
    if (relay.meta.blockHeight > m_height + m_settings.blockSyncAllowance
        || relay.meta.blockHeight < m_height - m_settings.blockSyncAllowance) {
        return fail(PocketError::pocketcore(75));
    }
    if (proof.requestHash != requestHashHex(relay.payload, relay.meta)) return fail(PocketError::pocketcore(74));
    if (!hostsChain(proof.blockchain)) return fail(PocketError::pocketcore(26));
    const StakedApp* staked = app(proof.aat.appPubKey);
    if (!staked) return fail(PocketError::pocketcore(45));
    const QByteArray appHex = staked->publicKeyHex;
    if (isSealed(appHex, proof.blockchain, proof.sessionBlockHeight)) return fail(PocketError::pocketcore(90));
    // The hashes of the relay, computed once (validateProof needs them too).
    ValidatedRelay v;
    v.relay = relay;
    v.requestHashHex = proof.requestHash;
    v.aatHashHex = aatHashHex(proof.aat);
    v.proofHash = crypto::sha3_256(proofHashInput(proof, v.aatHashHex));
    v.proofHashHex = crypto::hexEncode(v.proofHash);
    const QByteArray& proofHashHex = v.proofHashHex;
    const ServicerEvidence* ev = evidence(appHex, proof.blockchain, proof.sessionBlockHeight, *key);
    if (ev && ev->seen.contains(proofHashHex)) return fail(PocketError::pocketcore(37));
    if ((ev ? ev->proofHashes.size() : 0) >= staked->maxRelays) return fail(PocketError::pocketcore(71));
    // RelayProof.ValidateBasic: session height, key/chain/hash formats, entropy 29, AAT 4, client signature.
    if (const auto basic = validateProof(v, &m_aatCache); !basic) return fail(basic.error());
    if (!staked->chains.isEmpty() && !staked->chains.contains(proof.blockchain)) return fail(PocketError::pocketcore(13));
    if (!inSession(*key, appHex, proof.blockchain, proof.sessionBlockHeight)) return fail(PocketError::pocketcore(14));
    return AcceptedRelay{*key, appHex, proof.blockchain, proof.sessionBlockHeight, proofHashHex};
}

void ServicerState::storeEvidence(const AcceptedRelay& r, EvidenceSource source)
{
    SessionEvidence& s = m_evidence[sessionId(r.appHex, r.chain, r.sessionHeight)];
    s.appHex = r.appHex;
    s.chain = r.chain;
    s.sessionHeight = r.sessionHeight;
    ServicerEvidence& e = s.byServicer[r.keyIndex];
    if (e.seen.contains(r.proofHashHex)) return;
    e.seen.insert(r.proofHashHex);
    e.proofHashes.append(r.proofHashHex);
    ++m_acceptedTotal;
    if (source == EvidenceSource::Notify) {
        ++e.fromNotify;
        ++m_acceptedNotify;
    } else {
        ++e.fromClientRelay;
        ++m_acceptedClientRelay;
    }
}

Result<SessionGrant> ServicerState::validateSession(const QByteArray& appHexIn, const QByteArray& chain,
                                                    qint64 sessionBlockHeight,
                                                    const QByteArray& servicerPubKeyHex) const
{
    if (m_isStarting) return fail(PocketError::internal(kStartingText));
    if (m_isCatchingUp) return fail(PocketError::internal(kCatchingUpText));
    const auto key = leanKey(servicerPubKeyHex);
    if (!key) return fail(key.error());
    if (!hostsChain(chain)) return fail(PocketError::pocketcore(26));
    // Only the servicer's latest session is accepted here, even one still within tolerance (§5.2.2).
    if (sessionBlockHeight != latestSessionHeight()) return fail(PocketError::pocketcore(60));
    const StakedApp* staked = app(appHexIn);
    if (!staked) return fail(PocketError::pocketcore(45));
    const QByteArray appHex = staked->publicKeyHex;
    if (isSealed(appHex, chain, sessionBlockHeight)) return fail(PocketError::pocketcore(90));
    const qint64 remaining = remainingRelays(appHex, chain, sessionBlockHeight, *key);
    if (remaining <= 0) return fail(PocketError::pocketcore(71));
    if (!staked->chains.isEmpty() && !staked->chains.contains(chain)) return fail(PocketError::pocketcore(13));
    if (!inSession(*key, appHex, chain, sessionBlockHeight)) return fail(PocketError::pocketcore(14));
    return SessionGrant{*key, appHex, chain, remaining};
}

QByteArray ServicerState::sessionId(const QByteArray& appHex, const QByteArray& chain, qint64 sessionHeight)
{
    return appHex + '/' + chain + '/' + QByteArray::number(sessionHeight);
}

const ServicerState::ServicerEvidence* ServicerState::evidence(const QByteArray& appHex, const QByteArray& chain,
                                                               qint64 sessionHeight, int keyIndex) const
{
    const auto s = m_evidence.find(sessionId(appHex, chain, sessionHeight));
    if (s == m_evidence.end()) return nullptr;
    const auto e = s->second.byServicer.find(keyIndex);
    return e == s->second.byServicer.end() ? nullptr : &e->second;
}

qint64 ServicerState::evidenceCount(const QByteArray& appHex, const QByteArray& chain, qint64 sessionHeight,
                                    int keyIndex) const
{
    const ServicerEvidence* e = evidence(lowerHex(appHex), chain, sessionHeight, keyIndex);
    return e ? e->proofHashes.size() : 0;
}

qint64 ServicerState::remainingRelays(const QByteArray& appHex, const QByteArray& chain, qint64 sessionHeight,
                                      int keyIndex) const
{
    const StakedApp* a = app(appHex);
    if (!a) return 0;
    return qMax<qint64>(0, a->maxRelays - evidenceCount(appHex, chain, sessionHeight, keyIndex));
}

void ServicerState::seal(const QByteArray& appHex, const QByteArray& chain, qint64 sessionHeight)
{
    m_seals.append(SealFilter{appHex.isEmpty() ? QByteArray() : lowerHex(appHex), chain, sessionHeight});
}

bool ServicerState::isSealed(const QByteArray& appHex, const QByteArray& chain, qint64 sessionHeight) const
{
    return std::any_of(m_seals.begin(), m_seals.end(), [&](const SealFilter& f) {
        return (f.appHex.isEmpty() || f.appHex == appHex) && (f.chain.isEmpty() || f.chain == chain)
            && (f.sessionHeight == 0 || f.sessionHeight == sessionHeight);
    });
}

void ServicerState::clearEvidence()
{
    m_evidence.clear();
    m_seals.clear();
    m_rejected.clear();
    m_acceptedTotal = m_acceptedNotify = m_acceptedClientRelay = 0;
}

void ServicerState::countRejected(const PocketError& error)
{
    QString key;
    if (error.code == 0) {
        key = QStringLiteral("plain");
    } else if (error.codespace == QLatin1String(kCodespaceSdk)) {
        key = QStringLiteral("sdk/%1").arg(error.code);
    } else {
        key = QString::number(error.code);
    }
    ++m_rejected[key];
}

QJsonObject ServicerState::evidenceJson() const
{
    QJsonArray sessions;
    std::map<QByteArray, qint64> perServicer;
    for (const auto& [id, s] : m_evidence) {
        QJsonObject servicers;
        qint64 count = 0;
        for (const auto& [idx, e] : s.byServicer) {
            QJsonArray hashes;
            for (const QByteArray& h : e.proofHashes) hashes.append(QString::fromLatin1(h));
            servicers.insert(QString::fromLatin1(m_keys[idx].addressHex),
                             QJsonObject{{"count", double(e.proofHashes.size())},
                                         {"from_notify", double(e.fromNotify)},
                                         {"from_client_relay", double(e.fromClientRelay)},
                                         {"public_key", QString::fromLatin1(m_keys[idx].publicKeyHex)},
                                         {"proof_hashes", hashes}});
            count += e.proofHashes.size();
            perServicer[m_keys[idx].addressHex] += e.proofHashes.size();
        }
        sessions.append(QJsonObject{{"app_public_key", QString::fromLatin1(s.appHex)},
                                    {"chain", QString::fromLatin1(s.chain)},
                                    {"session_height", double(s.sessionHeight)},
                                    {"session_header_hash",
                                     QString::fromLatin1(sessionHeaderHashHex(s.appHex, s.chain, s.sessionHeight))},
                                    {"count", double(count)},
                                    {"servicers", servicers}});
    }
    QJsonObject per;
    for (const auto& [addr, n] : perServicer) per.insert(QString::fromLatin1(addr), double(n));
    QJsonObject rejected;
    qint64 rejectedTotal = 0;
    for (const auto& [code, n] : m_rejected) {
        rejected.insert(code, double(n));
        rejectedTotal += n;
    }
    return QJsonObject{{"total_accepted", double(m_acceptedTotal)},
                       {"accepted_from_notify", double(m_acceptedNotify)},
                       {"accepted_from_client_relay", double(m_acceptedClientRelay)},
                       {"total_rejected", double(rejectedTotal)},
                       {"rejected_by_code", rejected},
                       {"per_servicer", per},
                       {"sessions", sessions}};
}

QJsonObject ServicerState::stateJson() const
{
    QJsonArray chains;
    for (const QByteArray& c : m_chains) chains.append(QString::fromLatin1(c));
    QJsonArray apps;
    for (const auto& [k, a] : m_apps) {
        QJsonArray appChains;
        for (const QByteArray& c : a.chains) appChains.append(QString::fromLatin1(c));
        apps.append(QJsonObject{{"public_key", QString::fromLatin1(a.publicKeyHex)},
                                {"max_relays", double(a.maxRelays)},
                                {"chains", appChains}});
    }
    return QJsonObject{{"height", double(m_height)},
                       {"latest_session_height", double(latestSessionHeight())},
                       {"blocks_per_session", m_settings.blocksPerSession},
                       {"ms_per_block", m_settings.msPerBlock},
                       {"client_session_sync_allowance", m_settings.sessionSyncAllowance},
                       {"client_block_sync_allowance", m_settings.blockSyncAllowance},
                       {"session_nodes", m_settings.sessionNodes},
                       {"service_url", QString::fromUtf8(m_settings.serviceUrl)},
                       {"is_starting", m_isStarting},
                       {"is_catching_up", m_isCatchingUp},
                       {"servicers", keyCount()},
                       {"chains", chains},
                       {"apps", apps}};
}

} // namespace pocket::localnet
