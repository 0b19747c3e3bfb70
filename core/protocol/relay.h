#pragma once
// The relay a client POSTs to /v1/client/relay (PROTOCOL §2.1), its Go-semantics decoder (§1.2) and
// its Go-JSON encodings and hashes (§3, §5.2.1).
#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <map>
#include <optional>

#include "util/result.h"

namespace pocket {

// All strings are UTF-8 as decoded by Go (invalid bytes already replaced by U+FFFD; may contain NUL).
using HeaderMap = std::map<QByteArray, QByteArray>; // byte-wise sorted like Go map keys

struct Payload
{
    QByteArray data;
    QByteArray method; // as received; "" stays "" (POST is applied only when calling the chain)
    QByteArray path;
    std::optional<HeaderMap> headers; // nullopt = null/absent, empty map = {}

    bool operator==(const Payload&) const = default;
};

struct RelayMeta
{
    qint64 blockHeight = 0;

    bool operator==(const RelayMeta&) const = default;
};

struct Aat
{
    QByteArray version;
    QByteArray appPubKey;
    QByteArray clientPubKey;
    QByteArray signature;

    bool operator==(const Aat&) const = default;
};

struct RelayProof
{
    QByteArray requestHash;
    qint64 entropy = 0;
    qint64 sessionBlockHeight = 0;
    QByteArray servicerPubKey;
    QByteArray blockchain;
    Aat aat;
    QByteArray signature;

    bool operator==(const RelayProof&) const = default;
};

struct Relay
{
    Payload payload;
    RelayMeta meta;
    RelayProof proof;

    bool operator==(const Relay&) const = default;
};

// Go json.Unmarshal into the Relay struct (PROTOCOL §1.2): case-insensitive keys, last duplicate wins,
// unknown keys ignored, null leaves a field as it is (headers: nil), a repeated object merges into the
// struct, int64 exact, wrong types rejected (first type error reported). An empty body yields a
// zero-valued relay. The error is Go's error text (e.g. "json: cannot unmarshal string into Go struct
// field RelayProof.proof.entropy of type int64").
std::expected<Relay, QString> decodeRelay(QByteArrayView json);

// Go-JSON of the relay in wire order: the notify body and outbox value (PROTOCOL §5.2.1, Appendix A.2).
QByteArray encodeRelay(const Relay& relay);

// §3.1 request hash input / hex; §3.2 AAT; §3.3 proof (token = AAT hash hex); §3.4 response; §3.5 session header.
QByteArray requestHashInput(const Payload& payload, const RelayMeta& meta);
QByteArray requestHashHex(const Payload& payload, const RelayMeta& meta);
QByteArray aatHashInput(const Aat& aat);
QByteArray aatHashHex(const Aat& aat);
QByteArray proofHashInput(const RelayProof& proof, QByteArrayView aatHashHex);
QByteArray proofHash(const RelayProof& proof); // raw 32 bytes (computes the AAT hash)
QByteArray responseHashInput(QByteArrayView response, QByteArrayView proofHashHex);
QByteArray sessionHeaderHashInput(QByteArrayView appPubKey, QByteArrayView chain, qint64 sessionHeight);
QByteArray sessionHeaderHashHex(QByteArrayView appPubKey, QByteArrayView chain, qint64 sessionHeight);

// Servicer signature over a response (§3.4): hex(ed25519(privateKey64, SHA3(responseHashInput))).
QByteArray signResponse(QByteArrayView privateKey64, QByteArrayView response, QByteArrayView proofHashHex);

// The success body of /v1/client/relay (§2.2, keys sorted, trailing newline).
QByteArray relaySuccessBody(QByteArrayView response, QByteArrayView signatureHex);
// The relay error body of DECISIONS 1: {"dispatch":<dispatch or null>,"error":{"code","codespace","message"}}\n.
// `dispatchJson` is an already encoded JSON value or empty for null.
QByteArray relayErrorBody(const PocketError& error, QByteArrayView dispatchJson = {});

} // namespace pocket
