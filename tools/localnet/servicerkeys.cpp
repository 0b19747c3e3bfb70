#include "servicerkeys.h"

#include "protocol/crypto.h"

namespace pocket::localnet {

QByteArray seedFromLabel(QByteArrayView label)
{
    return crypto::sha256(label);
}

ServicerKey keyFromSeed(QByteArrayView seed32)
{
    ServicerKey k;
    k.publicKey = crypto::publicKeyFromSeed(seed32);
    k.privateKey = seed32.toByteArray() + k.publicKey;
    k.privateKeyHex = crypto::hexEncode(k.privateKey);
    k.publicKeyHex = crypto::hexEncode(k.publicKey);
    k.addressHex = crypto::hexEncode(crypto::addressFromPublicKey(k.publicKey));
    return k;
}

QList<ServicerKey> makeServicerKeys(int count)
{
    QList<ServicerKey> keys;
    keys.reserve(count);
    for (int i = 0; i < count; ++i) {
        const QByteArray label = i == 0 ? QByteArray("pokt-golden-vectors/servicer")
                                        : "pocket-localnet/servicer/" + QByteArray::number(i);
        keys.append(keyFromSeed(seedFromLabel(label)));
    }
    return keys;
}

ServicerKey vectorsAppKey()
{
    return keyFromSeed(seedFromLabel("pokt-golden-vectors/app"));
}

ServicerKey vectorsClientKey()
{
    return keyFromSeed(seedFromLabel("pokt-golden-vectors/client"));
}

} // namespace pocket::localnet
