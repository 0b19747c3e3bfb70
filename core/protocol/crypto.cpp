#include "protocol/crypto.h"

#include <QCryptographicHash>
#include <sodium.h>

namespace pocket::crypto {

bool init()
{
    static const bool ok = sodium_init() >= 0;
    return ok;
}

QByteArray sha3_256(QByteArrayView data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha3_256);
}

QByteArray sha256(QByteArrayView data)
{
    QByteArray out(crypto_hash_sha256_BYTES, Qt::Uninitialized);
    crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                       reinterpret_cast<const unsigned char*>(data.data()), quint64(data.size()));
    return out;
}

QByteArray hexEncode(QByteArrayView raw)
{
    static constexpr char digits[] = "0123456789abcdef";
    QByteArray out(raw.size() * 2, Qt::Uninitialized);
    char* o = out.data();
    for (const char c : raw) {
        const auto b = static_cast<unsigned char>(c);
        *o++ = digits[b >> 4];
        *o++ = digits[b & 0xf];
    }
    return out;
}

static int hexValue(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<QByteArray> hexDecode(QByteArrayView hex)
{
    // Go checks characters before length: "zz1" reports the invalid byte, "abc" the odd length.
    QByteArray out(hex.size() / 2, Qt::Uninitialized);
    qsizetype i = 0;
    for (; i + 1 < hex.size(); i += 2) {
        const int hi = hexValue(hex[i]);
        const int lo = hexValue(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out[i / 2] = char(hi << 4 | lo);
    }
    if (hex.size() % 2) return std::nullopt;
    return out;
}

static QString invalidByte(uchar b)
{
    // Go: fmt.Sprintf("encoding/hex: invalid byte: %#U", rune(b)); %#U adds the quoted rune when printable.
    QString text = QStringLiteral("encoding/hex: invalid byte: U+%1")
                       .arg(QString::number(b, 16).toUpper().rightJustified(4, QLatin1Char('0')));
    const QChar ch(b);
    if (ch.isPrint()) text += QStringLiteral(" '%1'").arg(ch);
    return text;
}

QString hexDecodeError(QByteArrayView hex)
{
    // Same scan as Go's encoding/hex.Decode: pairs first, then the trailing odd character.
    qsizetype j = 1;
    for (; j < hex.size(); j += 2) {
        if (hexValue(hex[j - 1]) < 0) return invalidByte(uchar(hex[j - 1]));
        if (hexValue(hex[j]) < 0) return invalidByte(uchar(hex[j]));
    }
    if (hex.size() % 2 == 1) {
        if (hexValue(hex[j - 1]) < 0) return invalidByte(uchar(hex[j - 1]));
        return QStringLiteral("encoding/hex: odd length hex string");
    }
    return {};
}

QByteArray publicKeyFromSeed(QByteArrayView seed32)
{
    if (seed32.size() != crypto_sign_SEEDBYTES) return {};
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const unsigned char*>(seed32.data()));
    sodium_memzero(sk, sizeof sk);
    return QByteArray(reinterpret_cast<const char*>(pk), sizeof pk);
}

QByteArray sign(QByteArrayView privateKey64, QByteArrayView message)
{
    if (privateKey64.size() != crypto_sign_SECRETKEYBYTES) return {};
    QByteArray sig(crypto_sign_BYTES, Qt::Uninitialized);
    // libsodium's detached signature with the 64-byte secret key uses bytes 32..63 as the public key,
    // exactly like Go's ed25519.Sign (PROTOCOL §15.5).
    crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                         reinterpret_cast<const unsigned char*>(message.data()), quint64(message.size()),
                         reinterpret_cast<const unsigned char*>(privateKey64.data()));
    return sig;
}

bool verify(QByteArrayView publicKey32, QByteArrayView message, QByteArrayView signature64)
{
    if (publicKey32.size() != crypto_sign_PUBLICKEYBYTES || signature64.size() != crypto_sign_BYTES)
        return false;
    return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature64.data()),
                                       reinterpret_cast<const unsigned char*>(message.data()),
                                       quint64(message.size()),
                                       reinterpret_cast<const unsigned char*>(publicKey32.data()))
           == 0;
}

QByteArray addressFromPublicKey(QByteArrayView publicKey32)
{
    return sha256(publicKey32).left(20);
}

} // namespace pocket::crypto
