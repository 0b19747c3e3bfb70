// bench-cryptobench: the crypto ceiling of one core — ed25519 sign/s and verify/s with libsodium directly
// and through core/protocol/crypto (what the mesh calls), plus SHA3-256/s of a proof-sized input. The
// benchmark relates the mesh's relay rate to these: per relay the mesh verifies the client signature once
// and signs the response once (PROTOCOL §3.3, §3.4); the AAT signature is verified once per token.
// Run it pinned to one core (taskset). Prints one JSON line.
#include <QByteArray>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <cstdio>
#include <functional>
#include <sodium.h>

#include "protocol/crypto.h"

using namespace pocket;

namespace {

// Runs `op` in batches until `ms` elapsed; operations per second.
double rate(int ms, const std::function<void(int)>& op)
{
    QElapsedTimer t;
    t.start();
    qint64 n = 0;
    int i = 0;
    while (t.elapsed() < ms) {
        for (int k = 0; k < 64; ++k) op(i++);
        n += 64;
    }
    return double(n) * 1e9 / double(t.nsecsElapsed());
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (!crypto::init()) return 2;
    int ms = 1000;
    for (int i = 1; i + 1 < argc; ++i)
        if (QByteArray(argv[i]) == "--ms") ms = std::max(50, QByteArray(argv[i + 1]).toInt());

    const QByteArray seed = crypto::sha256("pocket-mesh-bench/crypto");
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const unsigned char*>(seed.constData()));
    const QByteArray privateKey(reinterpret_cast<const char*>(sk), crypto_sign_SECRETKEYBYTES);
    const QByteArray publicKey(reinterpret_cast<const char*>(pk), crypto_sign_PUBLICKEYBYTES);

    // 32-byte messages: the mesh signs and verifies SHA3 digests.
    std::vector<QByteArray> messages, signatures;
    for (int i = 0; i < 256; ++i) {
        messages.push_back(crypto::sha3_256(QByteArray::number(i)));
        signatures.push_back(crypto::sign(privateKey, messages.back()));
    }
    unsigned char sig[crypto_sign_BYTES];
    volatile int sink = 0;

    const double signRaw = rate(ms, [&](int i) {
        const QByteArray& m = messages[size_t(i & 255)];
        crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(m.constData()), size_t(m.size()), sk);
        sink = sink + sig[0];
    });
    const double verifyRaw = rate(ms, [&](int i) {
        const QByteArray& m = messages[size_t(i & 255)];
        const QByteArray& s = signatures[size_t(i & 255)];
        sink = sink + crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(s.constData()),
                                                  reinterpret_cast<const unsigned char*>(m.constData()),
                                                  size_t(m.size()), pk);
    });
    const double signCore = rate(ms, [&](int i) { sink = sink + crypto::sign(privateKey, messages[size_t(i & 255)]).at(0); });
    const double verifyCore = rate(ms, [&](int i) {
        sink = sink + int(crypto::verify(publicKey, messages[size_t(i & 255)], signatures[size_t(i & 255)]));
    });
    const QByteArray proofInput(400, 'x');
    const double sha3 = rate(ms, [&](int) { sink = sink + crypto::sha3_256(proofInput).at(0); });

    // Per relay: one verify + one sign on the same core.
    const double perRelay = 1.0 / (1.0 / verifyCore + 1.0 / signCore);
    std::printf("{\"ms_per_measure\":%d,\"relay_ceiling_per_s\":%.0f,\"sha3_400B_per_s\":%.0f,\"sign_core_per_s\":%.0f,"
                "\"sign_libsodium_per_s\":%.0f,\"sodium_version\":\"%s\",\"verify_core_per_s\":%.0f,"
                "\"verify_libsodium_per_s\":%.0f}\n",
                ms, perRelay, sha3, signCore, signRaw, sodium_version_string(), verifyCore, verifyRaw);
    return sink == 42 ? 1 : 0; // keeps the work observable; practically always 0
}
