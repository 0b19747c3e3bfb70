#include "config/meshconfig.h"

#include <algorithm>
#include <limits>
#include <QDir>
#include <QHash>

namespace pocket {

using config::JsonValue;

namespace {

// Every int is capped so it fits a Qt int (timer milliseconds, sizes); seconds so that s*1000 fits too.
constexpr qint64 kIntMax = std::numeric_limits<int>::max();
constexpr qint64 kSecondsMax = kIntMax / 1000;

constexpr ConfigCheck none()
{
    return {ConfigCheck::Kind::None, 0, 0};
}
constexpr ConfigCheck range(qint64 min, qint64 max = kIntMax)
{
    return {ConfigCheck::Kind::Range, min, max};
}
constexpr ConfigCheck port()
{
    return {ConfigCheck::Kind::Port, 1, 65535};
}
constexpr ConfigCheck strategy()
{
    return {ConfigCheck::Kind::WorkerStrategy, 0, 0};
}
constexpr ConfigCheck logLevel()
{
    return {ConfigCheck::Kind::LogLevel, 0, 0};
}
constexpr ConfigCheck requiredPath()
{
    return {ConfigCheck::Kind::RequiredPath, 0, 0};
}
constexpr ConfigCheck optionalUrl()
{
    return {ConfigCheck::Kind::OptionalHttpUrl, 0, 0};
}
constexpr ConfigDefault I(qint64 v)
{
    return ConfigDefault(v);
}
constexpr ConfigDefault S(const char* v)
{
    return ConfigDefault(v);
}
constexpr ConfigDefault B(bool v)
{
    return ConfigDefault(v);
}

constexpr qint64 kDefaultMaxBytes = 1048576; // client_rpc_max_bytes_size 0 => 1 MiB (PROTOCOL §6.4, §12.2)

using T = ConfigType;

// clang-format off
// name, type, unit, member, default, check, description, note, secret, inert in reference
const ConfigKey kKeys[] = {
    {"data_dir", T::String, "", &MeshConfig::dataDir, S(""), none(),
     "Where the data is. Every relative path below is resolved against it.",
     "Seed \"-\": defaults to --datadir. When set in the file it replaces --datadir for all relative paths "
     "(PROTOCOL §12.1).", false, false},
    {"rpc_port", T::String, "", &MeshConfig::rpcPort, S("8081"), port(),
     "Listening port of the relay and admin API (a JSON string).", "", false, false},
    {"chains_name", T::Path, "", &MeshConfig::chainsName, S("chains.json"), requiredPath(),
     "Chains file, relative to data_dir. Must exist at start.", "", false, false},
    {"client_rpc_timeout", T::DurationMs, "ms", &MeshConfig::clientRpcTimeout, I(120000), range(0),
     "Whole-request timeout of the client API.", "", false, false},
    {"client_rpc_read_timeout", T::DurationMs, "ms", &MeshConfig::clientRpcReadTimeout, I(60000), range(0),
     "Client API read timeout.", "", false, false},
    {"client_rpc_read_header_timeout", T::DurationMs, "ms", &MeshConfig::clientRpcReadHeaderTimeout, I(50000),
     range(0), "Client API read-header timeout.", "", false, false},
    {"client_rpc_write_timeout", T::DurationMs, "ms", &MeshConfig::clientRpcWriteTimeout, I(90000), range(0),
     "Client API write timeout.", "", false, false},
    {"client_rpc_max_bytes_size", T::Int, "bytes", &MeshConfig::clientRpcMaxBytesSize, I(kDefaultMaxBytes),
     range(0), "Largest accepted request body; larger bodies are answered 413.",
     "Not in the seed: code default. 0 means 1048576.", false, false},
    {"log_level", T::String, "", &MeshConfig::logLevel, S("*:error"), logLevel(),
     "Logger module:level pairs separated by commas, or one bare level; levels debug, info, error, none.",
     "Seed \"*:info, *:error\" sets two levels for \"*\" (self-contradictory): code default.", false, false},
    {"log_relay_request", T::Bool, "", &MeshConfig::logRelayRequest, B(false), none(),
     "Log the relay JSON (and request headers) when a relay fails.", "Not in the seed: code default.", false,
     false},
    {"log_chain_request", T::Bool, "", &MeshConfig::logChainRequest, B(false), none(),
     "Attach the chain request payload to chain logs and error texts.", "", false, false},
    {"log_chain_response", T::Bool, "", &MeshConfig::logChainResponse, B(false), none(),
     "Attach the chain response payload to chain logs.", "", false, false},
    {"user_agent", T::String, "", &MeshConfig::userAgent, S("mesh-node"), none(),
     "User-Agent header of every request to servicers, chains and the remote chain name map.",
     "Seed \"-\" (no value): code default.", false, false},
    {"auth_token_file", T::Path, "", &MeshConfig::authTokenFile, S("auth/mesh.json"), requiredPath(),
     "Token file protecting the mesh's own private routes, relative to data_dir. Missing or empty: those "
     "routes stay closed (DECISIONS 8).", "", false, false},
    {"json_sort_relay_responses", T::Bool, "", &MeshConfig::jsonSortRelayResponses, B(true), none(),
     "Sort JSON object keys of chain responses before signing (PROTOCOL §10.3).", "", false, false},
    {"chains_name_map", T::Path, "", &MeshConfig::chainsNameMap, S(""), none(),
     "Optional local chain id -> name map for metrics, relative to data_dir.", "Seed \"-\": none.", false,
     false},
    {"remote_chains_name_map", T::Url, "", &MeshConfig::remoteChainsNameMap, S(""), optionalUrl(),
     "Optional URL of a chain id -> name map (GET); wins over the local one.",
     "Seed \"-\": none. Credentials in the URL are masked in dumps.", true, false},
    {"chain_rpc_timeout", T::DurationMs, "ms", &MeshConfig::chainRpcTimeout, I(30000), range(0),
     "Timeout of a chain call.", "Seed 30000 (the contract) over code 1200.", false, false},
    {"chain_rpc_max_idle_connections", T::Int, "", &MeshConfig::chainRpcMaxIdleConnections, I(2500), range(0),
     "Chain HTTP client: max idle connections.", "", false, false},
    {"chain_rpc_max_conns_per_host", T::Int, "", &MeshConfig::chainRpcMaxConnsPerHost, I(2500), range(0),
     "Chain HTTP client: max connections per host.", "", false, false},
    {"chain_rpc_max_idle_conns_per_host", T::Int, "", &MeshConfig::chainRpcMaxIdleConnsPerHost, I(2500),
     range(0), "Chain HTTP client: max idle connections per host.", "", false, false},
    {"chain_drop_connections", T::Bool, "", &MeshConfig::chainDropConnections, B(false), none(),
     "Send Connection: close and do not reuse chain connections.", "", false, false},
    {"chain_request_path_cleanup", T::Bool, "", &MeshConfig::chainRequestPathCleanup, B(false), none(),
     "Remove characters that are not allowed (e.g. tab, newline) from the relay path before calling the chain.",
     "", false, false},
    {"relay_cache_file", T::Path, "", &MeshConfig::relayCacheFile, S("data/relays.pkt"), requiredPath(),
     "Relay cache, relative to data_dir: relays not yet notified survive a restart.", "", false, false},
    {"relay_cache_background_sync_interval", T::DurationMs, "ms", &MeshConfig::relayCacheBackgroundSyncInterval,
     I(3600), range(0), "Relay cache background sync interval.", "", false, false},
    {"relay_cache_background_compaction_interval", T::DurationMs, "ms",
     &MeshConfig::relayCacheBackgroundCompactionInterval, I(18000), range(0),
     "Relay cache background compaction interval.", "", false, false},
    {"keys_hot_reload_interval", T::DurationMs, "ms", &MeshConfig::keysHotReloadInterval, I(180000),
     range(-kIntMax - 1), "Interval to reload the key file; 0 or less disables it.", "", false, false},
    {"chains_hot_reload_interval", T::DurationMs, "ms", &MeshConfig::chainsHotReloadInterval, I(180000),
     range(-kIntMax - 1), "Interval to reload chains.json; 0 or less disables it.", "", false, false},
    {"servicer_private_key_file", T::Path, "", &MeshConfig::servicerPrivateKeyFile, S("key/key.json"),
     requiredPath(), "Servicer key file (nodes or fallback format), relative to data_dir.", "", false, false},
    {"servicer_rpc_timeout", T::DurationMs, "ms", &MeshConfig::servicerRpcTimeout, I(30000), range(0),
     "Timeout of a call to a servicer.", "Seed 30000 (the contract) over code 60000.", false, false},
    {"servicer_rpc_max_idle_connections", T::Int, "", &MeshConfig::servicerRpcMaxIdleConnections, I(2500),
     range(0), "Servicer HTTP client: max idle connections.", "", false, false},
    {"servicer_rpc_max_conns_per_host", T::Int, "", &MeshConfig::servicerRpcMaxConnsPerHost, I(2500), range(0),
     "Servicer HTTP client: max connections per host.", "", false, false},
    {"servicer_rpc_max_idle_conns_per_host", T::Int, "", &MeshConfig::servicerRpcMaxIdleConnsPerHost, I(2500),
     range(0), "Servicer HTTP client: max idle connections per host.", "", false, false},
    {"servicer_auth_token_file", T::Path, "", &MeshConfig::servicerAuthTokenFile, S("auth/servicer.json"),
     requiredPath(), "Token file sent to servicers in Authorization, relative to data_dir.", "", false, false},
    {"servicer_retry_max_times", T::Int, "", &MeshConfig::servicerRetryMaxTimes, I(10), range(0),
     "Retries of a servicer call.", "Seed 10 (the contract) over code 3.", false, false},
    {"servicer_retry_wait_min", T::DurationMs, "ms", &MeshConfig::servicerRetryWaitMin, I(5), range(0),
     "Shortest wait before retrying a servicer call (doubles each attempt).", "Seed 5 (the contract) over code 10.",
     false, false},
    {"servicer_retry_wait_max", T::DurationMs, "ms", &MeshConfig::servicerRetryWaitMax, I(1200), range(0),
     "Longest wait before retrying a servicer call.",
     "Seed table 180 vs the seed's own sample 180000 (self-contradictory): code default 1200.", false, false},
    {"servicer_worker_strategy", T::String, "", &MeshConfig::servicerWorkerStrategy, S("balanced"), strategy(),
     "Worker pool resizing strategy per servicer node.", "", false, false},
    {"servicer_max_workers", T::Int, "", &MeshConfig::servicerMaxWorkers, I(50), range(1),
     "Max workers per servicer node.", "", false, false},
    {"servicer_max_workers_capacity", T::Int, "", &MeshConfig::servicerMaxWorkersCapacity, I(50000), range(0),
     "Max queued tasks per servicer node.", "", false, false},
    {"servicer_workers_idle_timeout", T::DurationMs, "ms", &MeshConfig::servicerWorkersIdleTimeout, I(10000),
     range(0), "Worker idle timeout.", "", false, false},
    {"session_storage_worker_strategy", T::String, "", &MeshConfig::sessionStorageWorkerStrategy, S("lazy"),
     strategy(), "Session validation pool strategy.",
     "Not in the seed: code default. The reference ignores it (hard-coded lazy).", false, true},
    {"session_storage_max_workers", T::Int, "", &MeshConfig::sessionStorageMaxWorkers, I(5), range(1),
     "Session validation pool max workers.",
     "Not in the seed: code default. The reference ignores it (hard-coded 5).", false, true},
    {"session_storage_max_workers_capacity", T::Int, "", &MeshConfig::sessionStorageMaxWorkersCapacity, I(10000),
     range(0), "Session validation pool max queued tasks.",
     "Not in the seed: code default. The reference ignores it (hard-coded 10000).", false, true},
    {"session_storage_workers_idle_timeout", T::DurationMs, "ms", &MeshConfig::sessionStorageWorkersIdleTimeout,
     I(10000), range(0), "Session validation pool idle timeout.",
     "Not in the seed: code default. The reference ignores it (hard-coded 30000).", false, true},
    {"session_storage_validate_retry_max_times", T::Int, "", &MeshConfig::sessionStorageValidateRetryMaxTimes,
     I(10), range(0), "Retries of a session validation (/v1/private/mesh/session).",
     "Not in the seed: code default.", false, false},
    {"node_check_interval", T::DurationS, "s", &MeshConfig::nodeCheckInterval, I(60), range(1, kSecondsMax),
     "Interval of the servicer /check probe.", "Seed 60 (the contract) over code 10.", false, false},
    {"session_cache_clean_up_interval", T::DurationS, "s", &MeshConfig::sessionCacheCleanUpInterval, I(1800),
     range(1, kSecondsMax), "Interval of the in-memory session cache clean-up.", "", false, false},
    {"pocket_prometheus_port", T::String, "", &MeshConfig::pocketPrometheusPort, S("8083"), port(),
     "Prometheus metrics listening port (a JSON string).", "", false, false},
    {"prometheus_max_open_files", T::Int, "", &MeshConfig::prometheusMaxOpenFiles, I(3), range(0),
     "Prometheus server max open files.", "", false, false},
    {"metrics_moniker", T::String, "", &MeshConfig::metricsMoniker, S("geo-mesh-node"), none(),
     "Value of the moniker label: tells mesh instances apart.", "", false, false},
    {"metrics_worker_strategy", T::String, "", &MeshConfig::metricsWorkerStrategy, S("lazy"), strategy(),
     "Metrics worker pool resizing strategy.", "Seed lazy (the contract) over code balanced.", false, false},
    {"metrics_max_workers", T::Int, "", &MeshConfig::metricsMaxWorkers, I(50), range(1),
     "Max metrics workers per servicer node.", "", false, false},
    {"metrics_max_workers_capacity", T::Int, "", &MeshConfig::metricsMaxWorkersCapacity, I(50000), range(0),
     "Max queued metrics tasks.", "", false, false},
    {"metrics_workers_idle_timeout", T::DurationMs, "ms", &MeshConfig::metricsWorkersIdleTimeout, I(10000),
     range(0), "Metrics worker idle timeout.", "", false, false},
    {"metrics_report_interval", T::DurationS, "s", &MeshConfig::metricsReportInterval, I(10),
     range(1, kSecondsMax), "Interval of the per-node metrics report.", "", false, false},
    {"metrics_attach_servicer_label", T::Bool, "", &MeshConfig::metricsAttachServicerLabel, B(false), none(),
     "Add the servicer_address label to metrics (more cardinality).",
     "Seed \"10\" is not a bool: code default false.", false, false},
};
// clang-format on

int editDistance(const QString& a, const QString& b)
{
    QList<int> prev(b.size() + 1), cur(b.size() + 1);
    for (qsizetype j = 0; j <= b.size(); ++j)
        prev[j] = int(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        cur[0] = int(i);
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const int sub = prev[j - 1] + (a[i - 1].toLower() == b[j - 1].toLower() ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

QString closestKey(const QString& name)
{
    const ConfigKey* best = nullptr;
    int bestDistance = 4; // suggest only close typos
    for (const ConfigKey& k : kKeys) {
        const int d = editDistance(name, QString::fromLatin1(k.name));
        if (d < bestDistance) {
            bestDistance = d;
            best = &k;
        }
    }
    return best ? QString::fromLatin1(best->name) : QString();
}

QString levelName(LogLevel l)
{
    switch (l) {
    case LogLevel::Debug:
        return QStringLiteral("debug");
    case LogLevel::Info:
        return QStringLiteral("info");
    case LogLevel::Error:
        return QStringLiteral("error");
    case LogLevel::None:
        return QStringLiteral("none");
    }
    return {};
}

std::optional<LogLevel> levelFromName(const QString& s)
{
    for (LogLevel l : {LogLevel::Debug, LogLevel::Info, LogLevel::Error, LogLevel::None})
        if (s == levelName(l)) return l;
    return std::nullopt;
}

// A table check on one key's current value: the "expected ..." message when it fails.
std::optional<QString> runCheck(const ConfigKey& key, const MeshConfig& c)
{
    const ConfigCheck& ck = key.check;
    switch (ck.kind) {
    case ConfigCheck::Kind::None:
        return std::nullopt;
    case ConfigCheck::Kind::Range: {
        const qint64 v = c.*std::get<qint64 MeshConfig::*>(key.member);
        if (v >= ck.min && v <= ck.max) return std::nullopt;
        return QStringLiteral("expected an integer from %1 to %2%3, got %4")
            .arg(ck.min)
            .arg(ck.max)
            .arg(*key.unit ? QStringLiteral(" (%1)").arg(QLatin1String(key.unit)) : QString())
            .arg(v);
    }
    case ConfigCheck::Kind::Port: {
        const QString v = c.*std::get<QString MeshConfig::*>(key.member);
        bool digits = !v.isEmpty() && v.size() <= 5;
        for (const QChar ch : v)
            digits = digits && ch >= QLatin1Char('0') && ch <= QLatin1Char('9');
        const int n = digits ? v.toInt() : 0;
        if (n >= 1 && n <= 65535) return std::nullopt;
        return QStringLiteral("expected a port number from 1 to 65535 as a string, got \"%1\"").arg(v);
    }
    case ConfigCheck::Kind::WorkerStrategy: {
        const QString v = c.*std::get<QString MeshConfig::*>(key.member);
        if (v == QLatin1String("lazy") || v == QLatin1String("eager") || v == QLatin1String("balanced"))
            return std::nullopt;
        return QStringLiteral("expected one of lazy, eager, balanced, got \"%1\"").arg(v);
    }
    case ConfigCheck::Kind::LogLevel: {
        const auto parsed = parseLogLevel(c.*std::get<QString MeshConfig::*>(key.member));
        if (parsed) return std::nullopt;
        return parsed.error();
    }
    case ConfigCheck::Kind::RequiredPath: {
        const QString v = c.*std::get<QString MeshConfig::*>(key.member);
        if (!v.isEmpty()) return std::nullopt;
        return QStringLiteral("expected a file path relative to data_dir, got an empty string");
    }
    case ConfigCheck::Kind::OptionalHttpUrl: {
        const QString v = c.*std::get<QString MeshConfig::*>(key.member);
        if (v.isEmpty()) return std::nullopt;
        return config::httpUrlProblem(v);
    }
    }
    return std::nullopt;
}

ConfigIssues validate(const MeshConfig& c, const QString& file, const QHash<QString, int>& lines,
                      const QStringList& skip)
{
    ConfigIssues issues;
    const auto lineOf = [&](const char* name) { return lines.value(QString::fromLatin1(name), 0); };
    for (const ConfigKey& key : kKeys) {
        const QString name = QString::fromLatin1(key.name);
        if (skip.contains(name)) continue;
        if (const auto problem = runCheck(key, c)) {
            if (key.inertInReference)
                issues.warning(file, name, *problem + QStringLiteral(" (the reference ignores this key)"),
                               lineOf(key.name));
            else
                issues.error(file, name, *problem, lineOf(key.name));
        }
        if (key.type == ConfigType::Path) {
            const QString v = c.*std::get<QString MeshConfig::*>(key.member);
            if (QDir::isAbsolutePath(v))
                issues.warning(
                    file, name,
                    QStringLiteral("\"%1\" is absolute, but paths are always resolved below data_dir "
                                   "like the reference does (PROTOCOL §4.2)")
                        .arg(v),
                    lineOf(key.name));
        }
    }
    if (!skip.contains(QStringLiteral("pocket_prometheus_port")) &&
        !skip.contains(QStringLiteral("rpc_port")) && c.rpcPort == c.pocketPrometheusPort)
        issues.error(
            file, QStringLiteral("pocket_prometheus_port"),
            QStringLiteral("expected a port different from rpc_port (both are \"%1\")").arg(c.rpcPort),
            lineOf("pocket_prometheus_port"));
    if (c.servicerRetryWaitMax < c.servicerRetryWaitMin)
        issues.warning(
            file, QStringLiteral("servicer_retry_wait_max"),
            QStringLiteral("%1 ms is below servicer_retry_wait_min (%2 ms): every retry waits %1 ms")
                .arg(c.servicerRetryWaitMax)
                .arg(c.servicerRetryWaitMin),
            lineOf("servicer_retry_wait_max"));
    return issues;
}

QString markdownCell(QString s)
{
    s.replace(QLatin1Char('|'), QLatin1String("\\|"));
    s.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return s;
}

} // namespace

MeshConfig::MeshConfig()
{
    for (const ConfigKey& key : kKeys) {
        std::visit(
            [&](auto member) {
                using M = decltype(member);
                if constexpr (std::is_same_v<M, bool MeshConfig::*>)
                    this->*member = std::get<bool>(key.defaultValue);
                else if constexpr (std::is_same_v<M, qint64 MeshConfig::*>)
                    this->*member = std::get<qint64>(key.defaultValue);
                else
                    this->*member = QString::fromUtf8(std::get<const char*>(key.defaultValue));
            },
            key.member);
    }
}

QString MeshConfig::resolvePath(const QString& relative) const
{
    return config::resolveDataPath(dataDir, relative);
}

QString ConfigKey::typeText() const
{
    switch (type) {
    case ConfigType::Bool:
        return QStringLiteral("bool");
    case ConfigType::Int:
        return *unit ? QStringLiteral("int (%1)").arg(QLatin1String(unit)) : QStringLiteral("int");
    case ConfigType::String:
        return QStringLiteral("string");
    case ConfigType::Path:
        return QStringLiteral("path");
    case ConfigType::Url:
        return QStringLiteral("url");
    case ConfigType::DurationMs:
        return QStringLiteral("duration (ms)");
    case ConfigType::DurationS:
        return QStringLiteral("duration (s)");
    }
    return {};
}

QString ConfigKey::defaultText() const
{
    if (std::holds_alternative<bool>(defaultValue))
        return std::get<bool>(defaultValue) ? QStringLiteral("true") : QStringLiteral("false");
    if (std::holds_alternative<qint64>(defaultValue)) return QString::number(std::get<qint64>(defaultValue));
    const QString s = QString::fromUtf8(std::get<const char*>(defaultValue));
    if (!s.isEmpty()) return s;
    return qstrcmp(name, "data_dir") == 0 ? QStringLiteral("(--datadir)") : QStringLiteral("(none)");
}

QString ConfigKey::checkText() const
{
    switch (check.kind) {
    case ConfigCheck::Kind::None:
        return QStringLiteral("-");
    case ConfigCheck::Kind::Range:
        if (check.min == -kIntMax - 1) return QStringLiteral("any (<= 0 disables)");
        return QStringLiteral("%1..%2").arg(check.min).arg(check.max);
    case ConfigCheck::Kind::Port:
        return QStringLiteral("\"1\"..\"65535\"");
    case ConfigCheck::Kind::WorkerStrategy:
        return QStringLiteral("lazy, eager or balanced");
    case ConfigCheck::Kind::LogLevel:
        return QStringLiteral("module:level list (PROTOCOL §12.3)");
    case ConfigCheck::Kind::RequiredPath:
        return QStringLiteral("non-empty");
    case ConfigCheck::Kind::OptionalHttpUrl:
        return QStringLiteral("empty or http(s) URL");
    }
    return {};
}

std::span<const ConfigKey> meshConfigKeys()
{
    return std::span<const ConfigKey>(kKeys);
}

const ConfigKey* findConfigKey(QStringView name)
{
    for (const ConfigKey& k : kKeys)
        if (name == QLatin1String(k.name)) return &k;
    for (const ConfigKey& k : kKeys)
        if (name.compare(QLatin1String(k.name), Qt::CaseInsensitive) == 0) return &k;
    return nullptr;
}

MeshConfigLoad decodeMeshConfig(const QByteArray& json, const QString& file)
{
    MeshConfigLoad out;
    const auto parsed = config::parseDataJson(json, file, out.issues);
    if (!parsed) return out;
    const JsonValue& root = *parsed;
    if (root.isNull()) {
        // Go decodes null into a struct as a no-op: all defaults.
        out.fileUsable = true;
        out.issues.warning(file, {}, QStringLiteral("the file is JSON null: every key keeps its default"));
        out.issues.append(validate(out.config, file, {}, {}));
        return out;
    }
    if (!root.isObject()) {
        out.issues.error(
            file, {},
            QStringLiteral("expected a JSON object of configuration keys, got %1").arg(jsonTypeName(root)),
            root.line);
        return out;
    }
    out.fileUsable = true;

    QHash<QString, int> lines; // declared name -> line of its (last) value
    for (const auto& [rawKey, value] : root.members) {
        const ConfigKey* key = findConfigKey(rawKey);
        if (!key) {
            const QString suggestion = closestKey(rawKey);
            out.issues.warning(
                file, rawKey,
                suggestion.isEmpty()
                    ? QStringLiteral("unknown key, ignored")
                    : QStringLiteral("unknown key, ignored (did you mean \"%1\"?)").arg(suggestion),
                value.line);
            continue;
        }
        const QString name = QString::fromLatin1(key->name);
        if (lines.contains(name))
            out.issues.warning(file, name,
                               QStringLiteral("set more than once (also on line %1); the last value wins")
                                   .arg(lines.value(name)),
                               value.line);
        lines.insert(name, value.line);

        std::optional<QString> problem;
        std::visit(
            [&](auto member) {
                using M = decltype(member);
                if constexpr (std::is_same_v<M, bool MeshConfig::*>) {
                    problem = config::decodeBool(value, out.config.*member);
                } else if constexpr (std::is_same_v<M, qint64 MeshConfig::*>) {
                    problem = config::decodeInt64(value, out.config.*member);
                    if (problem && *key->unit)
                        problem->replace(QLatin1String("an integer"),
                                         QStringLiteral("an integer (%1)").arg(QLatin1String(key->unit)));
                } else {
                    problem = config::decodeString(value, out.config.*member, key->secret);
                    if (problem && key->check.kind == ConfigCheck::Kind::Port &&
                        value.kind == JsonValue::Kind::Number)
                        *problem += QStringLiteral(" (write the port in quotes, e.g. \"%1\")")
                                        .arg(QString::fromLatin1(value.number));
                }
            },
            key->member);
        if (problem) {
            out.issues.error(file, name, *problem, value.line);
            if (!out.keysWithErrors.contains(name)) out.keysWithErrors.append(name);
        } else if (!out.keysSet.contains(name)) {
            out.keysSet.append(name);
        }
    }

    out.issues.append(validate(out.config, file, lines, out.keysWithErrors));
    if (out.config.clientRpcMaxBytesSize == 0) out.config.clientRpcMaxBytesSize = kDefaultMaxBytes;
    return out;
}

ConfigIssues validateMeshConfig(const MeshConfig& config, const QString& file)
{
    return validate(config, file, {}, {});
}

std::expected<LogLevelSpec, QString> parseLogLevel(const QString& text)
{
    // tendermint libs/cli/flags ParseLogLevel: no trimming, a string without ':' is "*:<level>".
    if (text.isEmpty())
        return std::unexpected(
            QStringLiteral("expected a log level such as \"*:error\", got an empty string"));
    const QString list = text.contains(QLatin1Char(':')) ? text : QStringLiteral("*:") + text;
    LogLevelSpec spec;
    for (const QString& item : list.split(QLatin1Char(','))) {
        const QStringList pair = item.split(QLatin1Char(':'));
        if (pair.size() != 2)
            return std::unexpected(
                QStringLiteral("expected comma-separated \"module:level\" pairs, got pair \"%1\" in \"%2\"")
                    .arg(item, text));
        const auto level = levelFromName(pair[1]);
        if (!level)
            return std::unexpected(
                QStringLiteral("expected level debug, info, error or none, got \"%1\" (pair \"%2\")")
                    .arg(pair[1], item));
        if (pair[0] == QLatin1String("*"))
            spec.defaultLevel = *level;
        else
            spec.modules.append({pair[0], *level});
    }
    return spec;
}

JsonValue meshConfigToJson(const MeshConfig& c)
{
    JsonValue obj = JsonValue::makeObject();
    for (const ConfigKey& key : kKeys) {
        const QString name = QString::fromLatin1(key.name);
        std::visit(
            [&](auto member) {
                using M = decltype(member);
                if constexpr (std::is_same_v<M, bool MeshConfig::*>)
                    obj.insert(name, JsonValue::fromBool(c.*member));
                else if constexpr (std::is_same_v<M, qint64 MeshConfig::*>)
                    obj.insert(name, JsonValue::fromInt(c.*member));
                else
                    obj.insert(name,
                               JsonValue::fromString(key.secret ? config::maskUrl(c.*member) : c.*member));
            },
            key.member);
    }
    return obj;
}

QString configMarkdownTable()
{
    QString out =
        QStringLiteral("| Key | Type | Default | Check | Description | Note |\n|---|---|---|---|---|---|\n");
    for (const ConfigKey& key : kKeys) {
        out += QStringLiteral("| `%1` | %2 | `%3` | %4 | %5 | %6 |\n")
                   .arg(QLatin1String(key.name), key.typeText(), markdownCell(key.defaultText()),
                        markdownCell(key.checkText()), markdownCell(QString::fromUtf8(key.description)),
                        markdownCell(QString::fromUtf8(key.note)));
    }
    return out;
}

QString configMarkdownDocument()
{
    QString doc = QStringLiteral(
        R"(<!-- Generated by `pocket-mesh-headless config-table` from core/config/meshconfig.cpp. Do not edit. -->
# Configuration

pocket-mesh reads an existing geo-mesh data directory unchanged (DECISIONS "wire compatibility"): `config.json`,
the servicer key file (both formats), the two auth token files, `chains.json` and the chain name map.
Check a data directory with:

```
pocket-mesh-headless validate-config --datadir DIR
```

It prints the resolved configuration with secrets masked (tokens, private keys, passwords and URL credentials
never appear) and every warning, or every error, and exits 1 on error.

## Where config.json is found

`<datadir>/config.json` and `<datadir>/config/config.json` are both accepted. The reference node reads only
`config/config.json`, so when both exist that one is used and the other is reported as ignored. When neither
exists it is an error naming both places (validate-config never writes a default file).

## How it is read (Go `encoding/json` semantics, PROTOCOL §1.2 and §12.1)

* The file is decoded over the defaults below: a missing key keeps its default, `null` keeps the default.
* Keys match case-insensitively; if a key appears twice the last value wins (a warning says so).
* A value of the wrong JSON type is an error naming the file, line, key and the expected type. Integer keys
  accept only integer literals (`1.0`, `1e3` and `"10"` are errors). Ports are JSON strings (`"8081"`).
* An unknown key is a warning, not an error (with a suggestion for close typos).
* `data_dir` from the file, when set, replaces `--datadir` for every path below. Paths are always
  `data_dir + "/" + path` (PROTOCOL §4.2), even when they start with `/` (a warning says so).

## Other files

* **Key file** (`servicer_private_key_file`): a JSON array of `{"name","url","keys":[...]}` (nodes format) or of
  `{"priv_key","servicer_url"}` (fallback format, detected first). Every element and every key is checked: a key
  is 128 hex characters (seed and public key); its public half must match the seed; a 64-character
  (secp256k1) key is rejected because it cannot sign Pocket relays. Node URLs must be `http://` or `https://`
  with a host; a node's name defaults to the URL's host. A key listed under two URLs belongs to both, and its
  home node (notifications, session validation) is the first.
* **Auth files** (`auth_token_file`, `servicer_auth_token_file`): `{"Value": "...", "Issued": "<RFC 3339>"}`.
  A missing or empty mesh token keeps the private admin routes closed (DECISIONS 8); a missing servicer token
  is a warning (the servicer will answer 401).
* **chains.json** (`chains_name`): `[{"id": "0021", "url": "http://...", "basic_auth": {"username": "", "password": ""}}]`.
  Ids are hex of 1 to 4 bytes; URLs must be http(s). A duplicate id: the last one wins (warning). Required.
* **Chain name map** (`chains_name_map`, metrics only): `{"0021": "Ethereum"}` or `{"0021": {"label": "Ethereum"}}`.
  Problems with it are warnings. `remote_chains_name_map` must be an http(s) URL; it is fetched by the node.

## Keys

Defaults follow DECISIONS 11: the table of the original geo-mesh documentation is the contract; where it is silent
or contradicts itself, the reference code's default. The Note column says where that choice was made.

)");
    doc += configMarkdownTable();
    return doc;
}

} // namespace pocket
