#pragma once
// The stateless part of relay validation, PROTOCOL §5.1 step 7 (geo-mesh:app/cmd/rpc/mesh/relay.go `validate`,
// x/pocketcore/types/proof.go `ValidateBasic`). The caller slots the stateful checks in between, in §5.1 order:
//
//   auto v = validatePayloadAndHash(std::move(relay));   // 7.1 payload 25, 7.2 app key 6/42, 7.3 chain 8, 7.4 hash 74
//   ... 7.5 chain hosted (26), 7.6 servicer lookup, 7.7 stale session / tolerance (60) ...
//   validateProof(*v, &aatCache);                        // 7.8 ValidateBasic: 60, 6/42, 52/23/62, 29, 4, 39/38/6/41
//
// validateRelayStateless() runs both back to back (for callers and tests without session state).
#include <QByteArray>
#include <QHash>
#include <list>
#include <mutex>

#include "protocol/relay.h"
#include "util/result.h"

namespace pocket {

// A relay that passed steps 7.1-7.4, with the hashes every later stage needs (computed once).
struct ValidatedRelay
{
    Relay relay;
    QByteArray requestHashHex; // §3.1, equal to relay.proof.requestHash
    QByteArray aatHashHex;     // §3.2 (the proof's "token")
    QByteArray proofHash;      // §3.3 raw 32 bytes: what the client signed, the duplicate key (§7.5)
    QByteArray proofHashHex;   // hex of proofHash: the "Proof" of the response hash (§3.4), outbox key
};

// Remembers AAT signatures that verified, so an app's token costs one ed25519 verification, not one per relay.
// Keyed by the AAT hash (hex); a hit also requires the same signature (the AAT hash does not cover it).
// Only successes are cached. Thread-safe: every member is guarded by m_mutex. Bounded LRU.
class AatSignatureCache
{
public:
    explicit AatSignatureCache(qsizetype capacity = 100'000);

    // True when (aatHashHex, signatureHex) verified before; refreshes the entry.
    bool contains(const QByteArray& aatHashHex, QByteArrayView signatureHex);
    void insert(const QByteArray& aatHashHex, const QByteArray& signatureHex);

    qsizetype size() const;
    qsizetype capacity() const { return m_capacity; }
    quint64 hits() const;
    quint64 misses() const;

private:
    struct Entry
    {
        QByteArray aatHash;
        QByteArray signatureHex;
    };
    const qsizetype m_capacity;
    mutable std::mutex m_mutex;                                  // guards everything below
    std::list<Entry> m_lru;                                      // most recently used first
    QHash<QByteArray, std::list<Entry>::iterator> m_index;       // aatHashHex -> entry in m_lru
    quint64 m_hits = 0;
    quint64 m_misses = 0;
};

// The hashes of a relay without any check (what validatePayloadAndHash fills in after its checks pass).
ValidatedRelay hashRelay(Relay relay);

// §5.1 steps 7.1-7.4, in that order. Computes all hashes of the relay.
Result<ValidatedRelay> validatePayloadAndHash(Relay relay);

// §5.1 step 7.8 (RelayProof.ValidateBasic), in the reference order. `cache` may be null. The client signature is
// verified on every call; the AAT signature only when the cache has not seen this token verify.
Result<void> validateProof(const ValidatedRelay& validated, AatSignatureCache* cache = nullptr);

// Steps 7.1-7.4 then 7.8 (no chain, tolerance or session checks).
Result<ValidatedRelay> validateRelayStateless(Relay relay, AatSignatureCache* cache = nullptr);

// The AAT check alone (AAT.Validate, §5.1 step 7.8.f): the inner error text of code 4, or nullopt when valid.
// Exposed for the mesh's own diagnostics and tests.
std::optional<QString> validateAat(const Aat& aat, const QByteArray& aatHashHex, AatSignatureCache* cache = nullptr);

} // namespace pocket
