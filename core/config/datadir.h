#pragma once
// Loading a whole geo-mesh data directory, unchanged (DECISIONS "wire compatibility"), in the reference's
// start-up order (PROTOCOL §9.3): config.json -> auth tokens -> chains.json -> chain name map -> servicer key
// file. Every problem is collected (not just the first) so an operator fixes everything in one pass.
#include "config/authtoken.h"
#include "config/chains.h"
#include "config/configissue.h"
#include "config/configjson.h"
#include "config/meshconfig.h"
#include "config/servicerkeys.h"

#include <expected>
#include <QByteArray>
#include <QList>
#include <QString>

namespace pocket {

struct LoadedDataDir
{
    QString dataDir;    // effective data_dir, absolute: config.json's data_dir when set, else --datadir
    QString configFile; // absolute path of the config.json that was read
    MeshConfig config;  // config.dataDir == dataDir
    KeyFileFormat keyFileFormat = KeyFileFormat::Nodes;
    QList<ServicerNode> nodes;
    ChainTable chains;
    AuthToken meshToken;     // empty => the mesh's private admin routes stay closed (DECISIONS 8)
    AuthToken servicerToken; // sent as the bare Authorization header to servicers
    ChainNameMap
        chainNames; // local chains_name_map only; remote_chains_name_map is fetched by the network layer
    QList<ConfigIssue> warnings;
};

// The loaded directory, or every issue found (errors and warnings, in the order they were found) when at
// least one is an error.
using DataDirResult = std::expected<LoadedDataDir, QList<ConfigIssue>>;

// Finds config.json: <dataDir>/config.json and <dataDir>/config/config.json are both accepted (DECISIONS).
// The reference reads only config/config.json, so it wins when both exist (the other one gets a warning).
// Neither: an error naming both places. Returns the absolute path, or an empty string after adding the error.
QString locateConfigFile(const QString& dataDir, ConfigIssues& issues);

DataDirResult loadDataDirectory(const QString& dataDir);

// The resolved configuration for `validate-config`, secrets masked: tokens become "***" with their length,
// private keys are never included (public key and address instead), basic-auth passwords are "***", URL
// credentials are masked. Ordered, indented JSON.
config::JsonValue maskedDataDirJson(const LoadedDataDir& loaded);
QByteArray renderMaskedDataDir(const LoadedDataDir& loaded);

} // namespace pocket
