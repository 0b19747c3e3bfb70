#pragma once
// Shared fixtures of the config tests: keys (golden vectors read at run time, or derived here with the real
// crypto) and a complete, valid geo-mesh data directory to break in different ways.
// URLs inside raw strings are written ":\/\/" (a JSON escape): Qt 6.4's moc, which also reads this header,
// takes "//" inside a raw string for a comment.
#include "protocol/crypto.h"
#include "testsupport.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QtTest>

namespace pocket::test {

struct TestKey
{
    QString privateKeyHex; // 128 hex
    QString seedHex;       // first 64 hex
    QString publicKeyHex;
    QString addressHex;
};

// A key of the golden vectors: "app", "client" or "servicer".
inline TestKey goldenKey(const QString& who)
{
    const QJsonObject k =
        goldenVectors().object().value(QStringLiteral("keys")).toObject().value(who).toObject();
    return TestKey{k.value(QStringLiteral("private_key_hex")).toString(),
                   k.value(QStringLiteral("seed_hex")).toString(),
                   k.value(QStringLiteral("public_key_hex")).toString(),
                   k.value(QStringLiteral("address_hex")).toString()};
}

// A fresh key derived from a label with the project's crypto (not from the vectors).
inline TestKey derivedKey(const QByteArray& label)
{
    crypto::init();
    const QByteArray seed = crypto::sha256(label);
    const QByteArray pub = crypto::publicKeyFromSeed(seed);
    return TestKey{QString::fromLatin1(crypto::hexEncode(seed + pub)),
                   QString::fromLatin1(crypto::hexEncode(seed)), QString::fromLatin1(crypto::hexEncode(pub)),
                   QString::fromLatin1(crypto::hexEncode(crypto::addressFromPublicKey(pub)))};
}

// Secrets written by writeGoodDataDir: none of them may ever appear in output.
inline const char* const kMeshToken = "MESH-SECRET-TOKEN-9f8e7d6c5b4a";
inline const char* const kServicerToken = "SERVICER-SECRET-TOKEN-1a2b3c4d";
inline const char* const kBasicPassword = "BASIC-PASSWORD-zx81";
inline const char* const kUrlPassword = "URLPASS-q1w2e3";

inline QByteArray nodesKeyFile(const TestKey& a, const TestKey& b, const TestKey& c)
{
    return QStringLiteral(R"([
  {"name": "servicer-a", "url": "http:\/\/servicer-a:8081", "keys": ["%1", "%2"]},
  {"url": "https:\/\/servicer-b.example:9443", "keys": ["%3"]}
])")
        .arg(a.privateKeyHex, b.privateKeyHex, c.privateKeyHex)
        .toUtf8();
}

inline QByteArray fallbackKeyFile(const TestKey& a, const TestKey& b)
{
    return QStringLiteral(R"([
  {"priv_key": "%1", "servicer_url": "http:\/\/servicer-a:8081"},
  {"priv_key": "%2", "servicer_url": "http:\/\/servicer-a:8081"}
])")
        .arg(a.privateKeyHex, b.privateKeyHex)
        .toUtf8();
}

// A valid data directory in the layout of the seed's "Minimum Config" (key/, chains/ sub-folders).
inline bool writeGoodDataDir(const QString& dir, bool nestedConfig = true, bool fallbackFormat = false)
{
    const QByteArray config = R"({
  "rpc_port": "8081",
  "chains_name": "chains/chains.json",
  "chains_name_map": "chains/names.json",
  "auth_token_file": "key/auth.json",
  "servicer_auth_token_file": "key/servicer.json",
  "servicer_private_key_file": "key/key.json",
  "relay_cache_file": "data/relays.pkt",
  "metrics_moniker": "test-mesh"
})";
    const QByteArray chains = QStringLiteral(R"([
  {"id": "0021", "url": "http:\/\/eth-user:%1@eth-node:8545/rpc", "basic_auth": {"username": "relayer", "password": "%2"}},
  {"id": "0001", "url": "http:\/\/pocket-node:8081"}
])")
                                  .arg(QLatin1String(kUrlPassword), QLatin1String(kBasicPassword))
                                  .toUtf8();
    const TestKey servicer = goldenKey(QStringLiteral("servicer"));
    const TestKey app = goldenKey(QStringLiteral("app"));
    const TestKey third = derivedKey("pocket-mesh config test key 3");
    bool ok = writeFile(
        dir, nestedConfig ? QStringLiteral("config/config.json") : QStringLiteral("config.json"), config);
    ok = ok && writeFile(dir, QStringLiteral("chains/chains.json"), chains);
    ok = ok &&
         writeFile(dir, QStringLiteral("chains/names.json"), R"({"0021": "Ethereum", "0001": "Pocket"})");
    ok = ok && writeFile(dir, QStringLiteral("key/auth.json"),
                         QStringLiteral(R"({"Value": "%1", "Issued": "2022-09-29T00:00:00.000000000-00:00"})")
                             .arg(QLatin1String(kMeshToken))
                             .toUtf8());
    ok =
        ok &&
        writeFile(
            dir, QStringLiteral("key/servicer.json"),
            QStringLiteral(R"({"value": "%1", "issued": null})").arg(QLatin1String(kServicerToken)).toUtf8());
    ok =
        ok && writeFile(dir, QStringLiteral("key/key.json"),
                        fallbackFormat ? fallbackKeyFile(servicer, app) : nodesKeyFile(servicer, app, third));
    return ok;
}

// Every secret of writeGoodDataDir plus the private keys and seeds it used.
inline QStringList goodDataDirSecrets()
{
    QStringList out{QLatin1String(kMeshToken), QLatin1String(kServicerToken), QLatin1String(kBasicPassword),
                    QLatin1String(kUrlPassword)};
    for (const TestKey& k : {goldenKey(QStringLiteral("servicer")), goldenKey(QStringLiteral("app")),
                             derivedKey("pocket-mesh config test key 3")}) {
        out << k.privateKeyHex << k.seedHex;
    }
    return out;
}

// Fails the current test when `text` contains any of `secrets` (case-insensitive for hex).
inline bool containsNoSecret(const QString& text, const QStringList& secrets, QString* leaked = nullptr)
{
    for (const QString& s : secrets) {
        if (text.contains(s, Qt::CaseInsensitive)) {
            if (leaked) *leaked = s.left(12) + QStringLiteral("...");
            return false;
        }
    }
    return true;
}

} // namespace pocket::test
