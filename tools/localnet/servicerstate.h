#pragma once
// The world state of the servicer emulator: block height and session arithmetic, hosted servicer keys
// (lean mode) and chains, staked apps with their relay allowance, the evidence store (what the servicer
// would claim) and the counters tests read. Validation follows the POKTscan servicer in the reference
// order (PROTOCOL §5.2.1, §5.2.2). Threading: owned by the emulator's thread, no locks.
#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QSet>
#include <map>

#include "protocol/relay.h"
#include "protocol/relayvalidator.h"
#include "servicerkeys.h"
#include "util/result.h"

namespace pocket::localnet {

struct EmulatorSettings
{
    qint64 height = 105843;        // initial block height (the vectors' dispatch sample height)
    int msPerBlock = 60000;        // 0 = the height only moves through the admin route
    int blocksPerSession = 4;
    int sessionSyncAllowance = 1;  // pocket_config.client_session_sync_allowance
    int blockSyncAllowance = 10;   // pocket_config.client_block_sync_allowance
    int sessionNodes = 0;          // servicers per session; 0 = every hosted key is in every session
    QByteArray serviceUrl;         // service_url of the session nodes (the mesh, or the emulator itself)
    QByteArray version = "RC-0.12.0";
};

struct StakedApp
{
    QByteArray publicKeyHex; // lower-case hex
    qint64 maxRelays = 0;    // relays one servicer may serve for this app in one session (MaxPossibleRelays)
    QList<QByteArray> chains; // chains the app is staked for; empty = every hosted chain
};

// A relay that passed validation, ready to be stored as evidence.
struct AcceptedRelay
{
    int keyIndex = -1;
    QByteArray appHex;
    QByteArray chain;
    qint64 sessionHeight = 0;
    QByteArray proofHashHex;
};

// A successful /session validation.
struct SessionGrant
{
    int keyIndex = -1;
    QByteArray appHex;
    QByteArray chain;
    qint64 remainingRelays = 0;
};

enum class EvidenceSource { Notify, ClientRelay };

// The three JSON shapes a session dispatch appears in.
enum class DispatchStyle {
    ClientDispatch, // /v1/client/dispatch: the vectors' e2e sample (field order, base64 key, raw public key)
    RelayError,     // pocket DispatchResponse in a /relay error: keys sorted, base64 key, raw public key
    MeshSession,    // /session success: keys sorted, hex key, amino public key, no reward_delegators
};

class ServicerState
{
public:
    ServicerState(EmulatorSettings settings, QList<ServicerKey> keys, QList<QByteArray> chains);

    const EmulatorSettings& settings() const { return m_settings; }
    void setServiceUrl(const QByteArray& url) { m_settings.serviceUrl = url; }

    // Heights (PROTOCOL §7.3, the servicer's own tolerance: allowance not reduced).
    qint64 height() const { return m_height; }
    void setHeight(qint64 h) { m_height = qMax<qint64>(1, h); }
    void advanceBlock() { ++m_height; }
    qint64 latestSessionHeight() const;
    bool sessionWithinTolerance(qint64 sessionHeight) const;

    // Node status reported by /check; a starting or catching-up node refuses relays and sessions.
    bool isStarting() const { return m_isStarting; }
    bool isCatchingUp() const { return m_isCatchingUp; }
    void setStatus(bool starting, bool catchingUp);

    // Keys and chains.
    int keyCount() const { return int(m_keys.size()); }
    const ServicerKey& key(int i) const { return m_keys.at(i); }
    int keyIndexByPublicKey(const QByteArray& publicKey32) const;
    int keyIndexByAddressHex(const QByteArray& addressHex) const;
    const QList<QByteArray>& chains() const { return m_chains; }
    bool hostsChain(const QByteArray& chain) const;

    // Apps.
    void stakeApp(const StakedApp& app);
    bool unstakeApp(const QByteArray& publicKeyHex);
    const StakedApp* app(const QByteArray& publicKeyHex) const;
    QList<StakedApp> apps() const;

    // Sessions: the hosted keys serving (app, chain, session height).
    QList<int> sessionNodes(const QByteArray& appHex, const QByteArray& chain, qint64 sessionHeight) const;
    bool inSession(int keyIndex, const QByteArray& appHex, const QByteArray& chain, qint64 sessionHeight) const;
    QByteArray dispatchJson(const QByteArray& appHex, const QByteArray& chain, DispatchStyle style) const;

    // Servicer relay processing (HandleRelay, PROTOCOL §5.2.1): status, lean key, tolerance 60, 25, 75,
    // 74, 26, 45, 90, 37, 71, proof basics (29, 4, 39/38/6/41), 13, 14. A plain Go error (status) has
    // code 0. Does not store anything.
    Result<AcceptedRelay> validateRelay(const Relay& relay) const;
    void storeEvidence(const AcceptedRelay& relay, EvidenceSource source);

    // MeshSession validation (PROTOCOL §5.2.2): status/lean key (sdk 1), 26, 60 (not the latest
    // session), 45, 90, 71, 13, 14.
    Result<SessionGrant> validateSession(const QByteArray& appHex, const QByteArray& chain, qint64 sessionBlockHeight,
                                         const QByteArray& servicerPubKeyHex) const;

    // Evidence.
    qint64 evidenceCount(const QByteArray& appHex, const QByteArray& chain, qint64 sessionHeight, int keyIndex) const;
    qint64 remainingRelays(const QByteArray& appHex, const QByteArray& chain, qint64 sessionHeight, int keyIndex) const;
    // Seals evidence matching the filter (empty app/chain, height 0 = any), also for sessions not seen yet.
    void seal(const QByteArray& appHex, const QByteArray& chain, qint64 sessionHeight);
    bool isSealed(const QByteArray& appHex, const QByteArray& chain, qint64 sessionHeight) const;
    void clearEvidence();

    // Counters.
    void countRejected(const PocketError& error);
    qint64 acceptedTotal() const { return m_acceptedTotal; }

    QJsonObject evidenceJson() const;
    QJsonObject stateJson() const;

private:
    struct ServicerEvidence
    {
        QList<QByteArray> proofHashes; // in arrival order
        QSet<QByteArray> seen;
        qint64 fromNotify = 0;
        qint64 fromClientRelay = 0;
    };
    struct SessionEvidence
    {
        QByteArray appHex;
        QByteArray chain;
        qint64 sessionHeight = 0;
        std::map<int, ServicerEvidence> byServicer;
    };
    struct SealFilter
    {
        QByteArray appHex;
        QByteArray chain;
        qint64 sessionHeight = 0;
    };

    static QByteArray sessionId(const QByteArray& appHex, const QByteArray& chain, qint64 sessionHeight);
    const ServicerEvidence* evidence(const QByteArray& appHex, const QByteArray& chain, qint64 sessionHeight,
                                     int keyIndex) const;
    Result<int> leanKey(const QByteArray& servicerPubKeyHex) const;

    EmulatorSettings m_settings;
    qint64 m_height = 1;
    bool m_isStarting = false;
    bool m_isCatchingUp = false;
    QList<ServicerKey> m_keys;
    QHash<QByteArray, int> m_keyByPublicKey; // raw 32 bytes -> index
    QHash<QByteArray, int> m_keyByAddress;   // lower-case hex -> index
    QList<QByteArray> m_chains;
    std::map<QByteArray, StakedApp> m_apps; // by lower-case public key hex
    std::map<QByteArray, SessionEvidence> m_evidence;
    QList<SealFilter> m_seals;
    mutable QHash<QByteArray, QList<int>> m_sessionNodesCache;
    mutable AatSignatureCache m_aatCache; // thread-safe itself; an app token costs one verification
    qint64 m_acceptedTotal = 0;
    qint64 m_acceptedNotify = 0;
    qint64 m_acceptedClientRelay = 0;
    std::map<QString, qint64> m_rejected; // "74", "sdk/1", "plain" -> count
};

} // namespace pocket::localnet
