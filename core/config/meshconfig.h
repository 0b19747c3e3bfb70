#pragma once
// The mesh node's config.json (PROTOCOL §12): one declaration table (meshConfigKeys()) drives the typed
// MeshConfig's defaults, the loader, the validator, the masked dump of `validate-config` and the Markdown
// table of docs/config.md (`pocket-mesh-headless config-table`). Adding a key = one MeshConfig member + one
// table row. Defaults follow DECISIONS 11: the seed document's table is the contract; where it is silent or
// contradicts itself, PROTOCOL §12.2's code default. Each such choice is written in the key's `note`.
#include "config/configissue.h"
#include "config/configjson.h"

#include <expected>
#include <optional>
#include <QByteArrayView>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>
#include <span>
#include <variant>

namespace pocket {

// One member per key of PROTOCOL §12.2 (camelCase of the snake_case key). Durations keep the unit of the key
// (see the table: milliseconds or seconds); every int is range-checked to fit a Qt `int` timer/size.
struct MeshConfig
{
    MeshConfig(); // every member at its table default

    QString dataDir; // "" until loaded: then the effective data_dir (the file's, else --datadir)
    QString rpcPort;
    qint64 clientRpcTimeout;
    qint64 clientRpcReadTimeout;
    qint64 clientRpcReadHeaderTimeout;
    qint64 clientRpcWriteTimeout;
    qint64 clientRpcMaxBytesSize;
    QString logLevel;
    bool logRelayRequest;
    bool logChainRequest;
    bool logChainResponse;
    QString userAgent;
    QString authTokenFile;
    bool jsonSortRelayResponses;
    QString chainsName;
    QString chainsNameMap;
    QString remoteChainsNameMap;
    qint64 chainRpcTimeout;
    qint64 chainRpcMaxIdleConnections;
    qint64 chainRpcMaxConnsPerHost;
    qint64 chainRpcMaxIdleConnsPerHost;
    bool chainDropConnections;
    bool chainRequestPathCleanup;
    QString relayCacheFile;
    qint64 relayCacheBackgroundSyncInterval;
    qint64 relayCacheBackgroundCompactionInterval;
    qint64 keysHotReloadInterval;
    qint64 chainsHotReloadInterval;
    QString servicerWorkerStrategy;
    qint64 servicerMaxWorkers;
    qint64 servicerMaxWorkersCapacity;
    qint64 servicerWorkersIdleTimeout;
    QString servicerPrivateKeyFile;
    qint64 servicerRpcTimeout;
    qint64 servicerRpcMaxIdleConnections;
    qint64 servicerRpcMaxConnsPerHost;
    qint64 servicerRpcMaxIdleConnsPerHost;
    QString servicerAuthTokenFile;
    qint64 servicerRetryMaxTimes;
    qint64 servicerRetryWaitMin;
    qint64 servicerRetryWaitMax;
    QString sessionStorageWorkerStrategy;
    qint64 sessionStorageMaxWorkers;
    qint64 sessionStorageMaxWorkersCapacity;
    qint64 sessionStorageWorkersIdleTimeout;
    qint64 sessionStorageValidateRetryMaxTimes;
    qint64 nodeCheckInterval;
    qint64 sessionCacheCleanUpInterval;
    QString pocketPrometheusPort;
    qint64 prometheusMaxOpenFiles;
    QString metricsMoniker;
    QString metricsWorkerStrategy;
    qint64 metricsMaxWorkers;
    qint64 metricsMaxWorkersCapacity;
    qint64 metricsWorkersIdleTimeout;
    bool metricsAttachServicerLabel;
    qint64 metricsReportInterval;

    // data_dir + "/" + relative, cleaned (PROTOCOL §4.2; the reference concatenates, absolute paths
    // included).
    QString resolvePath(const QString& relative) const;
};

enum class ConfigType
{
    Bool,
    Int,
    String,
    Path,
    Url,
    DurationMs,
    DurationS
};

struct ConfigCheck
{
    enum class Kind
    {
        None,
        Range,           // integer in [min, max]
        Port,            // decimal string 1..65535
        WorkerStrategy,  // lazy | eager | balanced
        LogLevel,        // PROTOCOL §12.3
        RequiredPath,    // non-empty path
        OptionalHttpUrl, // "" or an http(s) URL
    };
    Kind kind = Kind::None;
    qint64 min = 0;
    qint64 max = 0;
};

using ConfigMember = std::variant<bool MeshConfig::*, qint64 MeshConfig::*, QString MeshConfig::*>;
using ConfigDefault = std::variant<bool, qint64, const char*>;

struct ConfigKey
{
    const char* name; // snake_case JSON key
    ConfigType type;
    const char* unit; // "ms", "s", "bytes" or ""
    ConfigMember member;
    ConfigDefault defaultValue;
    ConfigCheck check;
    const char* description;
    const char* note;      // DECISIONS 11 choice or a compatibility remark; "" when none
    bool secret;           // the value may hold credentials: masked in dumps and messages
    bool inertInReference; // the reference ignores the key, so a failed check is only a warning

    QString typeText() const;    // "duration (ms)", "int (bytes)", "string", ...
    QString defaultText() const; // as shown in docs: "8081", "true", "(--datadir)", "(none)"
    QString checkText() const;   // "1..65535", "lazy, eager or balanced", ...
};

// The declaration table, in documentation order.
std::span<const ConfigKey> meshConfigKeys();
// Go field matching: exact name first, then case-insensitive. nullptr for unknown keys.
const ConfigKey* findConfigKey(QStringView name);

struct MeshConfigLoad
{
    MeshConfig config;
    ConfigIssues issues;
    bool fileUsable = false;    // the file parsed as JSON (object or null); false => config is all defaults
    QStringList keysSet;        // declared keys present in the file (declared spelling)
    QStringList keysWithErrors; // keys whose value was rejected; they keep their default
};

// Decodes config.json text over the defaults (PROTOCOL §12.1, Go semantics): missing keys keep defaults, keys
// match case-insensitively, the last duplicate wins, null keeps the default, a wrong JSON type is an error,
// an unknown key is a warning. Then every check of the table runs. `file` names the file in issues.
// client_rpc_max_bytes_size 0 becomes 1048576. dataDir stays as in the file ("" when absent).
MeshConfigLoad decodeMeshConfig(const QByteArray& json, const QString& file);

// The table checks plus cross-key checks on a config built in code. `file` names the origin in issues.
ConfigIssues validateMeshConfig(const MeshConfig& config, const QString& file);

// log_level (PROTOCOL §12.3, tendermint ParseLogLevel): comma-separated "module:level" pairs, or one bare
// level meaning "*:level"; levels debug|info|error|none; no whitespace trimming (" *" is a module name).
enum class LogLevel
{
    Debug,
    Info,
    Error,
    None
};
struct LogLevelSpec
{
    LogLevel defaultLevel = LogLevel::Info;  // the last "*" entry; info when "*" is absent
    QList<QPair<QString, LogLevel>> modules; // every other entry, in order
};
std::expected<LogLevelSpec, QString> parseLogLevel(const QString& text);

// The resolved config as an ordered JSON object (table order), secrets masked.
config::JsonValue meshConfigToJson(const MeshConfig& config);

// The Markdown table generated from the declaration table, and the whole docs/config.md around it.
QString configMarkdownTable();
QString configMarkdownDocument();

} // namespace pocket
