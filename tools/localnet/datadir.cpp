#include "datadir.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace pocket::localnet {

namespace {

QString writeJson(const QString& dir, const QString& relative, const QJsonDocument& doc, bool secret)
{
    const QString path = QDir(dir).absoluteFilePath(relative);
    if (!QDir().mkpath(QFileInfo(path).absolutePath())) return QStringLiteral("cannot create the folder of ") + path;
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return QStringLiteral("cannot write ") + path;
    if (secret) f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    const QByteArray data = doc.toJson(QJsonDocument::Indented);
    if (f.write(data) != data.size()) return QStringLiteral("cannot write ") + path;
    return {};
}

QJsonObject authFile(const QByteArray& token)
{
    return QJsonObject{{"Value", QString::fromUtf8(token)},
                       {"Issued", QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)}};
}

} // namespace

QString writeMeshDataDir(const DataDirSpec& spec)
{
    const QString root = QDir(spec.path).absolutePath();
    if (!QDir().mkpath(root)) return QStringLiteral("cannot create ") + root;

    // Only the keys that differ from the code defaults or that a local network needs (PROTOCOL §12.2).
    const QJsonObject config{
        {"data_dir", root},
        {"rpc_port", QString::number(spec.meshPort)},
        {"chains_name", "chains.json"},
        {"chains_name_map", "chains_name_map.json"},
        {"auth_token_file", "auth/mesh.json"},
        {"servicer_auth_token_file", "auth/servicer.json"},
        {"servicer_private_key_file", "key/key.json"},
        {"relay_cache_file", "data/relays.pkt"},
        {"pocket_prometheus_port", QString::number(spec.metricsPort)},
        {"metrics_moniker", "pocket-localnet"},
        {"node_check_interval", 1},
        {"log_level", "*:info"},
    };
    QJsonArray keys;
    for (const ServicerKey& k : spec.keys) keys.append(QString::fromLatin1(k.privateKeyHex));
    const QJsonArray keyFile{QJsonObject{{"name", "localnet"}, {"url", QString::fromUtf8(spec.servicerUrl)}, {"keys", keys}}};
    QJsonArray chains;
    for (auto it = spec.chainUrls.begin(); it != spec.chainUrls.end(); ++it) {
        chains.append(QJsonObject{{"id", QString::fromUtf8(it.key())},
                                  {"url", QString::fromUtf8(it.value())},
                                  {"basic_auth", QJsonObject{{"username", ""}, {"password", ""}}}});
    }
    QJsonObject names;
    for (auto it = spec.chainNames.begin(); it != spec.chainNames.end(); ++it) {
        names.insert(QString::fromUtf8(it.key()), QString::fromUtf8(it.value()));
    }
    QDir().mkpath(QDir(root).absoluteFilePath(QStringLiteral("data")));

    for (const QString& e : {writeJson(root, "config/config.json", QJsonDocument(config), false),
                             writeJson(root, "key/key.json", QJsonDocument(keyFile), true),
                             writeJson(root, "auth/mesh.json", QJsonDocument(authFile(spec.meshToken)), true),
                             writeJson(root, "auth/servicer.json", QJsonDocument(authFile(spec.servicerToken)), true),
                             writeJson(root, "chains.json", QJsonDocument(chains), false),
                             writeJson(root, "chains_name_map.json", QJsonDocument(names), false)}) {
        if (!e.isEmpty()) return e;
    }
    return {};
}

} // namespace pocket::localnet
