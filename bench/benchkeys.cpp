#include "benchkeys.h"

#include "protocol/crypto.h"
#include "servicerkeys.h"

namespace pocket::bench {

namespace {

BenchKey fromSeed(QByteArrayView seed32)
{
    const QByteArray pub = crypto::publicKeyFromSeed(seed32);
    return BenchKey{seed32.toByteArray() + pub, crypto::hexEncode(pub),
                    crypto::hexEncode(crypto::addressFromPublicKey(pub))};
}

} // namespace

BenchKey appKey(int index)
{
    return fromSeed(crypto::sha256("pocket-mesh-bench/app/" + QByteArray::number(index)));
}

BenchKey clientKey(int index)
{
    return fromSeed(crypto::sha256("pocket-mesh-bench/client/" + QByteArray::number(index)));
}

QList<BenchKey> servicerKeys(int count)
{
    QList<BenchKey> out;
    out.reserve(count);
    for (const localnet::ServicerKey& k : localnet::makeServicerKeys(count))
        out.append(BenchKey{k.privateKey, k.publicKeyHex, k.addressHex});
    return out;
}

BenchApp makeApp(int index)
{
    BenchApp a;
    a.app = appKey(index);
    a.client = clientKey(index);
    a.aat.version = "0.0.1";
    a.aat.appPubKey = a.app.publicKeyHex;
    a.aat.clientPubKey = a.client.publicKeyHex;
    // PROTOCOL §3.2: the app signs SHA3 of the AAT with an empty signature.
    a.aat.signature = crypto::hexEncode(crypto::sign(a.app.privateKey, crypto::sha3_256(aatHashInput(a.aat))));
    a.aatHashHex = aatHashHex(a.aat);
    return a;
}

Relay makeRelay(const BenchApp& app, const QByteArray& servicerPubKeyHex, const RelayParams& params, bool sign)
{
    Relay r;
    r.payload.data = R"({"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":)" + QByteArray::number(params.entropy)
        + '}';
    r.payload.method = "POST";
    r.meta.blockHeight = params.blockHeight;
    r.proof.entropy = params.entropy;
    r.proof.sessionBlockHeight = params.sessionHeight;
    r.proof.servicerPubKey = servicerPubKeyHex;
    r.proof.blockchain = params.chain;
    r.proof.aat = app.aat;
    r.proof.requestHash = requestHashHex(r.payload, r.meta);
    // PROTOCOL §3.3: the client signs SHA3 of the proof bytes (token = AAT hash hex, signature "").
    r.proof.signature = sign ? crypto::hexEncode(crypto::sign(
                                   app.client.privateKey, crypto::sha3_256(proofHashInput(r.proof, app.aatHashHex))))
                             : QByteArray(128, '0');
    return r;
}

} // namespace pocket::bench
