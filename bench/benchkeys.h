#pragma once
// Deterministic keys and signed relays for the benchmark tools (issue 6). App i and its client are derived
// from fixed labels, servicer keys are the local network's (tools/localnet/servicerkeys.cpp, compiled in
// so both sides always agree), so the launcher can stake the apps with `pocket-localnet --app HEX:N`.
#include <QByteArray>
#include <QList>

#include "protocol/relay.h"

namespace pocket::bench {

struct BenchKey
{
    QByteArray privateKey;   // 64 raw bytes: seed || public key (PROTOCOL §4.1)
    QByteArray publicKeyHex; // 64 lower-case hex chars
    QByteArray addressHex;   // 40 lower-case hex chars
};

// App i: seed sha256("pocket-mesh-bench/app/<i>"); its client: sha256("pocket-mesh-bench/client/<i>").
BenchKey appKey(int index);
BenchKey clientKey(int index);
// The local network's servicer keys 0..count-1 (key 0 = the golden vectors' servicer).
QList<BenchKey> servicerKeys(int count);

// One app with its client and its AAT, signed once (PROTOCOL §3.2): every relay of the app reuses it.
struct BenchApp
{
    BenchKey app;
    BenchKey client;
    Aat aat;
    QByteArray aatHashHex;
};
BenchApp makeApp(int index);

struct RelayParams
{
    QByteArray chain = "0021";
    qint64 sessionHeight = 0;
    qint64 blockHeight = 0;
    qint64 entropy = 0; // also the JSON-RPC id of the payload: distinct payload, request hash and proof
};

// A relay the way a client builds it (PROTOCOL §2.1, §3): request hash, then the proof signed by the
// app's client. `sign` false leaves the client signature as 64 zero bytes (outbox backlog: the sink does
// not verify, and 1 000 000 signatures would dominate the fill time).
Relay makeRelay(const BenchApp& app, const QByteArray& servicerPubKeyHex, const RelayParams& params, bool sign = true);

} // namespace pocket::bench
