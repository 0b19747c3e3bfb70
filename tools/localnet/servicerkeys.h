#pragma once
// Deterministic servicer keys for the local network: fast to generate (500 in a few ms) and the same on
// every run. Key 0 is the golden vectors' servicer key, so the SDK client's default keys line up with it.
#include <QByteArray>
#include <QList>

namespace pocket::localnet {

struct ServicerKey
{
    QByteArray privateKey;    // 64 raw bytes: seed || public key (PROTOCOL §4.1)
    QByteArray publicKey;     // 32 raw bytes
    QByteArray privateKeyHex; // 128 lower-case hex chars (key file format)
    QByteArray publicKeyHex;  // 64 lower-case hex chars
    QByteArray addressHex;    // 40 lower-case hex chars
};

// The ed25519 key of a 32-byte seed.
ServicerKey keyFromSeed(QByteArrayView seed32);
// The seed of a label the way the golden vectors derive theirs: sha256(label).
QByteArray seedFromLabel(QByteArrayView label);

// Key 0: seed sha256("pokt-golden-vectors/servicer"); key i ≥ 1: seed sha256("pocket-localnet/servicer/<i>").
QList<ServicerKey> makeServicerKeys(int count);

// The golden vectors' app and client keys (seeds sha256("pokt-golden-vectors/app" | ".../client")): the
// SDK client uses them by default, so the launcher stakes this app.
ServicerKey vectorsAppKey();
ServicerKey vectorsClientKey();

} // namespace pocket::localnet
