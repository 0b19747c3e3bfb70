#pragma once
// Hashes, hex and ed25519 exactly as pocket-core uses them (PROTOCOL §1.3, §4.1).
#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <optional>

namespace pocket::crypto {

// Must be called once before any signing/verification (idempotent, thread-safe). False if libsodium fails.
bool init();

QByteArray sha3_256(QByteArrayView data); // FIPS 202 SHA3-256, 32 raw bytes (not Keccak)
QByteArray sha256(QByteArrayView data);   // 32 raw bytes

// Lower-case hex, like Go hex.EncodeToString.
QByteArray hexEncode(QByteArrayView raw);
// Go hex.DecodeString semantics: upper/lower accepted; odd length or a non-hex character is an error.
std::optional<QByteArray> hexDecode(QByteArrayView hex);
// The Go error text for a failed hexDecode: "encoding/hex: odd length hex string" or
// "encoding/hex: invalid byte: U+0067 'g'".
QString hexDecodeError(QByteArrayView hex);

inline constexpr int kPublicKeySize = 32;
inline constexpr int kPrivateKeySize = 64; // seed(32) || public key(32), Go/NaCl layout
inline constexpr int kSignatureSize = 64;

// Public key of a 32-byte seed.
QByteArray publicKeyFromSeed(QByteArrayView seed32);
// ed25519 over `message` with a 64-byte private key, Go style: bytes 32..63 are used as "A" verbatim.
QByteArray sign(QByteArrayView privateKey64, QByteArrayView message);
// Strict ed25519 verification (libsodium rejects non-canonical S like Go).
bool verify(QByteArrayView publicKey32, QByteArrayView message, QByteArrayView signature64);

// Address = first 20 bytes of SHA-256(public key) (tendermint SumTruncated), raw.
QByteArray addressFromPublicKey(QByteArrayView publicKey32);

} // namespace pocket::crypto
