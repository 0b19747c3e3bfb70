#pragma once
// Helpers of the admin API tests (issue 5): calls to /v1/private/mesh/* on a MeshNet mesh, the localnet's
// servicer keys, relays for a given servicer, and files saved the way editors save them (rename).
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "meshnet.h"
#include "protocol/crypto.h"
#include "testsupport.h"

namespace pocket::test {

inline Answer admin(MeshNet& net, const QByteArray& method, const QString& routeAndQuery, const QByteArray& body = {},
                    const QByteArray& token = QByteArray("<net>"))
{
    HttpHeaders headers{{"Content-Type", "application/json"}};
    const QByteArray value = token == "<net>" ? net.meshToken() : token;
    if (!value.isNull()) headers.append({"Authorization", value});
    return net.request(method, net.meshUrl() + QStringLiteral("/v1/private/mesh/") + routeAndQuery, body, headers,
                       15000);
}

inline QJsonArray jsonArray(const QByteArray& body) { return QJsonDocument::fromJson(body).array(); }

// The localnet's servicer key i: 0 is the golden vectors' servicer, i > 0 has seed sha256("pocket-localnet/
// servicer/<i>") (tools/localnet/README.md).
inline TestKey localnetServicer(int i)
{
    return i == 0 ? vectorKeys().servicer : testKeyFromLabel("pocket-localnet/servicer/" + QByteArray::number(i));
}

inline QByteArray addressOf(const TestKey& key)
{
    return crypto::hexEncode(crypto::addressFromPublicKey(QByteArray::fromHex(key.publicKeyHex)));
}

// Relays of the vectors' app and client for servicer `servicer`, one per entropy.
struct RelayBatch
{
    QList<QByteArray> bodies;
    QStringList proofHashes;
};
inline RelayBatch relaysFor(const TestKey& servicer, int n, qint64 firstEntropy)
{
    VectorKeys keys = vectorKeys();
    keys.servicer = servicer;
    RelayBatch b;
    for (int i = 0; i < n; ++i) {
        Payload p;
        p.data = "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],\"id\":" + QByteArray::number(i) + "}";
        p.method = "POST";
        const Relay r = craftRelay(keys, p, keys.sessionHeight, firstEntropy + i);
        b.bodies.append(jsRelayBody(r));
        b.proofHashes.append(QString::fromLatin1(proofHashHexOf(r)));
    }
    return b;
}

// Writes `data` to <dir>/<relative> the way editors save: a temporary file next to it, then a rename.
inline bool saveByRename(const QString& dir, const QString& relative, const QByteArray& data)
{
    const QString path = QDir(dir).absoluteFilePath(relative);
    const QString temp = path + QStringLiteral(".swp");
    QFile f(temp);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(data) != data.size()) return false;
    f.close();
    return ::rename(QFile::encodeName(temp).constData(), QFile::encodeName(path).constData()) == 0;
}

inline QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// The key file localnet wrote: [{"name","url","keys":[...]}].
inline QJsonArray keyFile(MeshNet& net)
{
    return jsonArray(readAll(net.dataDir() + QStringLiteral("/key/key.json")));
}

inline QStringList servedAddresses(MeshNet& net)
{
    QStringList out;
    for (const QJsonValue& v : jsonArray(admin(net, "POST", "servicers").body))
        out.append(v.toObject().value("address").toString());
    return out;
}

inline int outboxDepth(MeshNet& net)
{
    return admin(net, "GET", "outbox").json().value("depth").toInt(-1);
}

} // namespace pocket::test
