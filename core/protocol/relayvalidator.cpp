#include "protocol/relayvalidator.h"

#include "protocol/crypto.h"

namespace pocket {

namespace {

// AAT.SupportedTokenVersions (PROTOCOL §2.1).
constexpr char kSupportedAatVersion[] = "0.0.1";
constexpr int kMaxNetworkIdBytes = 4; // NetworkIdentifierLength
constexpr int kHashBytes = 32;

// PubKeyVerification: hex of exactly 32 bytes, else 6 (decode) / 42 (length).
std::optional<PocketError> verifyPubKey(QByteArrayView hex)
{
    const auto raw = crypto::hexDecode(hex);
    if (!raw) return PocketError::pocketcore(6);
    if (raw->size() != crypto::kPublicKeySize) return PocketError::pocketcore(42);
    return std::nullopt;
}

// HashVerification / NetworkIdentifierVerification: 52 (hex, with Go's error text), 23 (empty), 62 (length).
std::optional<PocketError> verifyHexLength(QByteArrayView hex, int exact, int max)
{
    const auto raw = crypto::hexDecode(hex);
    if (!raw) return PocketError::pocketcore(52, crypto::hexDecodeError(hex));
    if (raw->isEmpty()) return PocketError::pocketcore(23);
    if ((exact > 0 && raw->size() != exact) || (max > 0 && raw->size() > max)) return PocketError::pocketcore(62);
    return std::nullopt;
}

// SignatureVerification(publicKey, msgHex, sigHex): 39 sig hex, 38 sig length, 6 key, 40 message, 41 verify.
std::optional<PocketError> verifySignature(QByteArrayView publicKeyHex, QByteArrayView messageHex,
                                           QByteArrayView signatureHex)
{
    const auto sig = crypto::hexDecode(signatureHex);
    if (!sig) return PocketError::pocketcore(39);
    if (sig->size() != crypto::kSignatureSize) return PocketError::pocketcore(38);
    const auto key = crypto::hexDecode(publicKeyHex);
    if (!key || key->size() != crypto::kPublicKeySize) return PocketError::pocketcore(6);
    const auto message = crypto::hexDecode(messageHex);
    if (!message) return PocketError::pocketcore(40);
    if (!crypto::verify(*key, *message, *sig)) return PocketError::pocketcore(41);
    return std::nullopt;
}

ValidatedRelay withHashes(Relay relay, QByteArray requestHash)
{
    ValidatedRelay v;
    v.requestHashHex = std::move(requestHash);
    v.aatHashHex = aatHashHex(relay.proof.aat);
    v.proofHash = crypto::sha3_256(proofHashInput(relay.proof, v.aatHashHex));
    v.proofHashHex = crypto::hexEncode(v.proofHash);
    v.relay = std::move(relay);
    return v;
}

} // namespace

AatSignatureCache::AatSignatureCache(qsizetype capacity) : m_capacity(capacity < 1 ? 1 : capacity) {}

bool AatSignatureCache::contains(const QByteArray& aatHashHex, QByteArrayView signatureHex)
{
    std::lock_guard lock(m_mutex);
    const auto it = m_index.constFind(aatHashHex);
    if (it == m_index.cend() || it.value()->signatureHex != signatureHex) {
        ++m_misses;
        return false;
    }
    m_lru.splice(m_lru.begin(), m_lru, it.value());
    ++m_hits;
    return true;
}

void AatSignatureCache::insert(const QByteArray& aatHashHex, const QByteArray& signatureHex)
{
    std::lock_guard lock(m_mutex);
    const auto it = m_index.find(aatHashHex);
    if (it != m_index.end()) {
        // Another valid signature of the same token (ed25519 signatures are deterministic, but a token
        // may be re-signed): keep the latest.
        it.value()->signatureHex = signatureHex;
        m_lru.splice(m_lru.begin(), m_lru, it.value());
        return;
    }
    m_lru.push_front(Entry{aatHashHex, signatureHex});
    m_index.insert(aatHashHex, m_lru.begin());
    while (m_lru.size() > size_t(m_capacity)) {
        m_index.remove(m_lru.back().aatHash);
        m_lru.pop_back();
    }
}

qsizetype AatSignatureCache::size() const
{
    std::lock_guard lock(m_mutex);
    return m_index.size();
}

quint64 AatSignatureCache::hits() const
{
    std::lock_guard lock(m_mutex);
    return m_hits;
}

quint64 AatSignatureCache::misses() const
{
    std::lock_guard lock(m_mutex);
    return m_misses;
}

std::optional<QString> validateAat(const Aat& aat, const QByteArray& aatHashHex, AatSignatureCache* cache)
{
    // AAT.Validate = ValidateVersion, ValidateMessage, ValidateSignature (geo-mesh:x/pocketcore/types/aat.go).
    // The texts are the reference's errors.New values, including its "applicaiton" typo.
    if (aat.version.isEmpty()) return QStringLiteral("the application authentication token version is missing");
    if (aat.version != kSupportedAatVersion)
        return QStringLiteral("the application authentication token version is not supported");
    if (aat.appPubKey.isEmpty()) return QStringLiteral("the applicaiton public key included in the AAT is not valid");
    if (auto e = verifyPubKey(aat.appPubKey)) return e->errorText();
    if (aat.clientPubKey.isEmpty()) return QStringLiteral("the client public key included in the AAT is not valid");
    if (auto e = verifyPubKey(aat.clientPubKey)) return e->errorText();
    if (cache && cache->contains(aatHashHex, aat.signature)) return std::nullopt;
    if (verifySignature(aat.appPubKey, aatHashHex, aat.signature))
        return QStringLiteral("the application signature on the AAT is not valid");
    if (cache) cache->insert(aatHashHex, aat.signature);
    return std::nullopt;
}

Result<ValidatedRelay> validatePayloadAndHash(Relay relay)
{
    const RelayProof& proof = relay.proof;
    // 7.1 Payload.Validate.
    if (relay.payload.data.isEmpty() && relay.payload.path.isEmpty()) return fail(PocketError::pocketcore(25));
    // 7.2 the app public key.
    if (auto e = verifyPubKey(proof.aat.appPubKey)) return fail(*e);
    // 7.3 the chain id: hex of 1..4 bytes; every failure is 8 (EmptyChainError).
    const auto chain = crypto::hexDecode(proof.blockchain);
    if (!chain || chain->isEmpty() || chain->size() > kMaxNetworkIdBytes) return fail(PocketError::pocketcore(8));
    // 7.4 the request hash, compared as strings: upper-case hex is a mismatch (PROTOCOL §3.1).
    QByteArray requestHash = requestHashHex(relay.payload, relay.meta);
    if (requestHash != proof.requestHash) return fail(PocketError::pocketcore(74));
    return withHashes(std::move(relay), std::move(requestHash));
}

ValidatedRelay hashRelay(Relay relay)
{
    QByteArray requestHash = requestHashHex(relay.payload, relay.meta);
    return withHashes(std::move(relay), std::move(requestHash));
}

Result<void> validateProof(const ValidatedRelay& validated, AatSignatureCache* cache)
{
    // RelayProof.ValidateBasic, in the reference order (PROTOCOL §5.1 step 7.8 a-g).
    const RelayProof& proof = validated.relay.proof;
    if (proof.sessionBlockHeight < 1) return fail(PocketError::pocketcore(60));
    if (auto e = verifyPubKey(proof.servicerPubKey)) return fail(*e);
    if (auto e = verifyHexLength(proof.blockchain, 0, kMaxNetworkIdBytes)) return fail(*e);
    if (auto e = verifyHexLength(proof.requestHash, kHashBytes, 0)) return fail(*e);
    if (proof.entropy < 0) return fail(PocketError::pocketcore(29));
    if (auto inner = validateAat(proof.aat, validated.aatHashHex, cache))
        return fail(PocketError::pocketcore(4, *inner));
    // The client signature covers this relay's proof hash: verified every time, never cached.
    if (auto e = verifySignature(proof.aat.clientPubKey, validated.proofHashHex, proof.signature)) return fail(*e);
    return {};
}

Result<ValidatedRelay> validateRelayStateless(Relay relay, AatSignatureCache* cache)
{
    auto v = validatePayloadAndHash(std::move(relay));
    if (!v) return v;
    if (auto ok = validateProof(*v, cache); !ok) return fail(ok.error());
    return v;
}

} // namespace pocket
