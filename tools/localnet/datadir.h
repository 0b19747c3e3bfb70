#pragma once
// Writes a ready-to-use mesh data directory for the local network in the geo-mesh formats
// (PROTOCOL §4.2, §12): config/config.json, key/key.json (nodes format), auth/mesh.json,
// auth/servicer.json, chains.json and chains_name_map.json.
#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>

#include "servicerkeys.h"

namespace pocket::localnet {

struct DataDirSpec
{
    QString path;               // created when missing
    QByteArray servicerUrl;     // the emulator: the node URL of every key in key/key.json
    QList<ServicerKey> keys;
    QByteArray servicerToken;   // auth/servicer.json (what the mesh sends to the servicer)
    QByteArray meshToken;       // auth/mesh.json (protects the mesh's own private routes)
    QMap<QByteArray, QByteArray> chainUrls;  // chains.json
    QMap<QByteArray, QByteArray> chainNames; // chains_name_map.json
    quint16 meshPort = 8081;    // config rpc_port
    quint16 metricsPort = 8083; // config pocket_prometheus_port
};

// Returns an error text, empty on success.
QString writeMeshDataDir(const DataDirSpec& spec);

} // namespace pocket::localnet
