#pragma once
// NodeSessions (PROTOCOL §7): one per (session header, servicer key). Shared by the server threads, which
// admit relays, and the control thread, which validates sessions against the servicer and applies
// notification outcomes. One mutex guards the whole map (DECISIONS 10); every critical section is short.
#include <QByteArray>
#include <QHash>
#include <QMutex>
#include <QSet>
#include <QString>
#include <functional>
#include <optional>

#include "session/sessionheight.h"
#include "util/result.h"

namespace pocket {

enum class SessionState { Unvalidated, Validating, Valid, Invalid };
QString sessionStateName(SessionState s);

struct SessionInfo
{
    QByteArray key;            // sessionHeaderHashHex + "-" + servicer public key hex (lower case)
    QByteArray appPubKey;
    QByteArray chain;
    qint64 sessionHeight = 0;
    QByteArray servicerPubKeyHex;
    QByteArray servicerAddressHex;
    QString nodeUrl;
    qint64 firstMetaHeight = 0; // meta of the relay that created it, sent to /session (PROTOCOL §5.2.2)
    SessionState state = SessionState::Unvalidated;
    qint64 remainingRelays = -1; // −1: unknown (not validated yet)
    std::optional<PocketError> error;
    // The dispatch of the last /session or notify reply, for the 71/60/14/75 relay errors (DECISIONS 1). Sessions
    // of one session header usually get byte-identical dispatches (same nodes): they share one buffer.
    QByteArray dispatchJson;
    qint64 relaysAdmitted = 0;
    qint64 relaysInFlight = 0; // admitted, final notification outcome not known yet
    qint64 relaysDelivered = 0;
    int validationAttempts = 0;
    qint64 createdMs = 0;
};

// What the relay path needs to create or find a session.
struct SessionRequest
{
    QByteArray appPubKey;
    QByteArray chain;
    qint64 sessionHeight = 0;
    qint64 metaHeight = 0;
    QByteArray servicerPubKeyHex; // lower case
    QByteArray servicerAddressHex;
    QString nodeUrl;
};

class SessionCache
{
public:
    static QByteArray sessionKey(const QByteArray& appPubKey, const QByteArray& chain, qint64 height,
                                 const QByteArray& servicerPubKeyHexLower);

    struct Admission
    {
        QByteArray sessionKey;
        bool created = false; // the caller must schedule its validation
    };

    // §5.1 steps 7.7 and 9–11 for one relay whose proof was already verified: height check against the
    // node (60), session creation (current, tolerated or optimistic next session — DECISIONS 6),
    // exact duplicate check (37, DECISIONS 3), stored session error, remaining relays (71). On success
    // the proof hash is recorded and the relay counted in flight.
    Result<Admission> admit(const SessionRequest& request, const QByteArray& proofHash, const HeightView& node);
    // The height check alone (step 7.7), so it can run before the proof is verified, as in the reference order.
    static std::optional<PocketError> checkHeight(qint64 sessionHeight, const HeightView& node);
    // Undo an admission whose relay could not be persisted (the client gets an error and may retry).
    void release(const QByteArray& sessionKey, const QByteArray& proofHash);
    // A relay answered before a restart and replayed from the outbox: its proof joins the session's
    // duplicate set again and counts in flight, so the same relay sent again is a 37, not a second chain
    // call and a second notification (DECISIONS 3 across restarts). Creates the session if needed, without
    // height checks; its validation is then requested by the next relay admitted into it. False when the
    // proof was already known (a relay admitted in this process).
    bool restore(const SessionRequest& request, const QByteArray& proofHash);

    // Validation results (control thread).
    void markValidating(const QByteArray& key);
    void validated(const QByteArray& key, qint64 remainingRelays, const QByteArray& dispatchJson);
    void invalidate(const QByteArray& key, const PocketError& error, const QByteArray& dispatchJson = {});
    void validationRetry(const QByteArray& key); // back to Unvalidated, attempts++

    // Notification outcomes.
    void relayDelivered(const QByteArray& key);
    void relayDropped(const QByteArray& key);

    std::optional<SessionInfo> get(const QByteArray& key) const;
    QByteArray dispatchOf(const QByteArray& key) const;
    // Removes sessions whose relays can no longer be claimed and that have nothing in flight (PROTOCOL §7.6).
    int cleanup(const std::function<std::optional<HeightView>(const QString& nodeUrl)>& heightOf);
    int size() const;
    QList<SessionInfo> snapshot(int offset, int limit) const;
    // Forget the sessions of a node (key removed): nothing new is admitted for them.
    void removeNode(const QString& nodeUrl);
    // Distinct dispatch buffers held and their bytes (memory accounting, tests).
    struct DispatchStats
    {
        int buffers = 0;
        qint64 bytes = 0;
    };
    DispatchStats dispatchStats() const;

private:
    struct Entry
    {
        SessionInfo info;
        QSet<QByteArray> proofHashes; // exact duplicate detection, bounded by the relay allowance
        bool validationRequested = false; // an admission told its caller to schedule the validation
        qint64 deliveredAtRequest = 0;    // relaysDelivered when the last /session request was sent
    };
    // The stored copy of `dispatch` for session `key`: an identical buffer already held by a session of the
    // same header if there is one. A dispatch lists the session's nodes (the bench's emulator lists 500:
    // ~180 KB), and every servicer key of the mesh in that session gets the same bytes, so without this
    // 10 000 sessions held 1.8 GB. m_mutex held.
    QByteArray internDispatchLocked(const QByteArray& key, const QByteArray& dispatch);
    void pruneDispatchesLocked(); // drops buffers no session uses any more

    mutable QMutex m_mutex; // guards m_sessions and m_dispatches
    QHash<QByteArray, Entry> m_sessions;
    QHash<QByteArray, QList<QByteArray>> m_dispatches; // session header hash -> distinct dispatch buffers
};

} // namespace pocket
