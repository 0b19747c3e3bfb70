#include "metrics/meshmetrics.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "config/configjson.h"
#include "config/datadir.h"
#include "metrics/prometheustext.h"
#include "relay/relayhandler.h"

#ifdef Q_OS_LINUX
#include <sys/resource.h>
#include <unistd.h>
#endif

Q_LOGGING_CATEGORY(lcMetrics, "pocket.metrics")

namespace pocket {

namespace {

constexpr char kPrefix[] = "pocketcore_geo_mesh_";

// LinearBuckets(1, 20, 20) = 1, 21, ..., 381 (PROTOCOL §11), +Inf last.
constexpr int kBucketCount = 20;
const QList<double>& bucketBounds()
{
    static const QList<double> bounds = [] {
        QList<double> b;
        for (int i = 0; i < kBucketCount; ++i) b.append(1 + 20 * i);
        return b;
    }();
    return bounds;
}

struct Histogram
{
    std::array<quint64, kBucketCount + 1> buckets{}; // per bucket, not cumulative; [kBucketCount] = +Inf
    double sum = 0;
    quint64 count = 0;

    void observe(qint64 ms)
    {
        // Durations are integer milliseconds (truncated), PROTOCOL §11. Bucket i holds (b[i-1], b[i]].
        const qint64 v = std::max<qint64>(ms, 0);
        const qint64 index = v <= 1 ? 0 : std::min<qint64>((v - 1 + 19) / 20, kBucketCount);
        ++buckets[size_t(index)];
        sum += double(v);
        ++count;
    }
};

size_t hashBytes(const QByteArray& b, size_t seed) { return qHash(b, seed); }

struct RelayKey
{
    QByteArray chain;
    QByteArray servicer; // empty unless metrics_attach_servicer_label
    int status = 0;
    bool notify = false;
    bool success = false;
    bool operator==(const RelayKey&) const = default;
};
struct RelaySeries
{
    quint64 count = 0;
    Histogram time;
    Histogram handlerTime; // observed for relays only (not notifications), PROTOCOL §11
};

struct ErrorKey
{
    QByteArray chain;
    QByteArray servicer;
    int status = 0;
    MeshErrorType type = MeshErrorType::Internal;
    bool notify = false;
    bool operator==(const ErrorKey&) const = default;
};

struct ChainKey
{
    QByteArray chain;
    int status = 0;
    bool operator==(const ChainKey&) const = default;
};

struct QueueKey
{
    QByteArray chain;
    qint64 sessionHeight = 0;
    QByteArray appPubKey;
    QByteArray servicer;
    bool requeue = false;
    bool operator==(const QueueKey&) const = default;
};

struct KeyHash
{
    size_t operator()(const RelayKey& k) const
    {
        return hashBytes(k.chain, hashBytes(k.servicer, size_t(k.status) * 4 + k.notify * 2 + k.success));
    }
    size_t operator()(const ErrorKey& k) const
    {
        return hashBytes(k.chain, hashBytes(k.servicer, size_t(k.status) * 64 + size_t(k.type) * 2 + k.notify));
    }
    size_t operator()(const ChainKey& k) const { return hashBytes(k.chain, size_t(k.status)); }
    size_t operator()(const QueueKey& k) const
    {
        return hashBytes(k.chain, hashBytes(k.appPubKey, hashBytes(k.servicer, qHash(k.sessionHeight) * 2 + k.requeue)));
    }
};

// Label values that come from a client (the chain id of a refused relay) are bounded in length; a real
// chain id is 2..8 hex digits (PROTOCOL §4.2).
QByteArray chainLabel(const QByteArray& chain)
{
    if (chain.size() > 16) return QByteArrayLiteral("invalid");
    return chain;
}

const QByteArray kOverflow = QByteArrayLiteral("overflow");

QByteArray boolLabel(bool b) { return b ? QByteArrayLiteral("true") : QByteArrayLiteral("false"); }

} // namespace

QByteArray meshErrorTypeName(MeshErrorType type)
{
    switch (type) {
    case MeshErrorType::BadRequest: return QByteArrayLiteral("bad_request");
    case MeshErrorType::ChainNotFound: return QByteArrayLiteral("chain_not_found");
    case MeshErrorType::Chain: return QByteArrayLiteral("chain");
    case MeshErrorType::GetSession: return QByteArrayLiteral("get_session");
    case MeshErrorType::InvalidSession: return QByteArrayLiteral("invalid_session");
    case MeshErrorType::SessionHeightOutOfRange: return QByteArrayLiteral("session_height_out_of_range");
    case MeshErrorType::NotifyRequest: return QByteArrayLiteral("notify_request");
    case MeshErrorType::NotifyResponse: return QByteArrayLiteral("notify_response");
    case MeshErrorType::Internal: return QByteArrayLiteral("internal");
    }
    return QByteArrayLiteral("internal");
}

// The series tables. One mutex guards all of them: a record is one hash lookup and a few additions, so the
// section is short (well under a microsecond) and the HTTP threads rarely meet there.
struct MeshMetrics::Store
{
    std::mutex mutex;
    std::unordered_map<RelayKey, RelaySeries, KeyHash> relays;       // guarded by mutex
    std::unordered_map<ErrorKey, quint64, KeyHash> errors;           // guarded by mutex
    std::unordered_map<ChainKey, Histogram, KeyHash> chainTimes;     // guarded by mutex
    std::unordered_map<QueueKey, quint64, KeyHash> sessionQueue;     // guarded by mutex
    quint64 overflowed = 0;                                          // guarded by mutex
    size_t maxSeries = 10000;

    // The entry for `key`, or for its overflow variant once the table is full: past maxSeries the table
    // grows only by the combinations of the bounded labels (status code, type, flags). Caller holds the mutex.
    template <typename Map, typename Key>
    typename Map::mapped_type& entry(Map& map, Key& key)
    {
        auto it = map.find(key);
        if (it != map.end()) return it->second;
        if (map.size() >= maxSeries) {
            ++overflowed;
            key.chain = kOverflow;
            if constexpr (!std::is_same_v<Key, ChainKey>) {
                if (!key.servicer.isEmpty()) key.servicer = kOverflow;
            }
            if constexpr (std::is_same_v<Key, QueueKey>) {
                key.appPubKey = kOverflow;
                key.sessionHeight = 0;
            }
            return map[key];
        }
        return map.try_emplace(key).first->second;
    }
};

MeshMetricsOptions MeshMetricsOptions::fromDataDir(const LoadedDataDir& loaded)
{
    const MeshConfig& cfg = loaded.config;
    MeshMetricsOptions o;
    o.moniker = cfg.metricsMoniker;
    o.attachServicerLabel = cfg.metricsAttachServicerLabel;
    o.localChainNames = loaded.chainNames;
    o.remoteChainNamesUrl = cfg.remoteChainsNameMap.trimmed();
    o.remoteRefreshMs = cfg.chainsHotReloadInterval > 0 ? int(std::min<qint64>(cfg.chainsHotReloadInterval, 86400000))
                                                        : 600000;
    o.userAgent = cfg.userAgent.toUtf8();
    return o;
}

MeshMetrics::MeshMetrics(MeshMetricsOptions options, QObject* parent)
    : QObject(parent), m_options(std::move(options)), m_store(std::make_unique<Store>())
{
    m_moniker = m_options.moniker.toUtf8();
    m_store->maxSeries = size_t(std::max(1, m_options.maxSeriesPerFamily));
    m_localNames = m_options.localChainNames.names;
    m_startSecs = QDateTime::currentSecsSinceEpoch();
    m_refreshTimer.setParent(this);
    connect(&m_refreshTimer, &QTimer::timeout, this, &MeshMetrics::refreshRemoteChainNames);
}

MeshMetrics::~MeshMetrics() = default;

void MeshMetrics::start()
{
    if (m_options.remoteChainNamesUrl.isEmpty()) return;
    if (!m_network) m_network = new QNetworkAccessManager(this);
    m_refreshTimer.start(m_options.remoteRefreshMs > 0 ? m_options.remoteRefreshMs : 600000);
    refreshRemoteChainNames();
}

// ---- recording ----

void MeshMetrics::recordRelay(const RelayEvent& event)
{
    // Steps 1–3 of PROTOCOL §5.1 (undecodable, unknown servicer): no metric, as in the reference.
    if (event.servicerAddressHex.isEmpty()) return;
    const QByteArray chain = chainLabel(event.chain);
    const QByteArray servicer = m_options.attachServicerLabel ? event.servicerAddressHex : QByteArray();

    if (!event.validated) {
        // Refused before the chain call: bad_request with the pocket code (sdk 1 for a node that cannot
        // serve yet, which the reference did not count; docs/metrics.md).
        ErrorKey key{chain, servicer, event.error ? int(event.error->code) : 0, MeshErrorType::BadRequest, false};
        m_relayErrors.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard lock(m_store->mutex);
        ++m_store->entry(m_store->errors, key);
        return;
    }

    // Passed validation: counted whether or not the chain call worked (PROTOCOL §11).
    int status = event.chainStatus > 0 ? event.chainStatus : 500;
    std::optional<ErrorKey> error;
    bool chainAnswered = false;
    if (!event.error) {
        chainAnswered = true;
        if (status >= 400) error = ErrorKey{chain, servicer, status, MeshErrorType::Chain, false};
    } else if (event.error->codespace == QLatin1String(kCodespacePocketcore) && event.error->code == 46) {
        status = 500;
        error = ErrorKey{chain, servicer, 500, MeshErrorType::ChainNotFound, false};
    } else if (event.error->codespace == QLatin1String(kCodespacePocketcore) && event.error->code == 28) {
        // Execution error: the status the executor tagged it with (500, 504 timeout) — the reference's
        // label was "0" here ([BUG], PROTOCOL §14).
        error = ErrorKey{chain, servicer, status, MeshErrorType::Chain, false};
    } else {
        status = 500; // e.g. the relay could not be stored (DECISIONS 4): the client got an error
        error = ErrorKey{chain, servicer, 500, MeshErrorType::Internal, false};
    }
    // success = status < 400 (the reference's `<= 400` counted a chain's 400 as a success, PROTOCOL §14).
    RelayKey key{chain, servicer, status, false, status < 400};
    const qint64 handlerMs = chainAnswered ? std::max<qint64>(0, event.totalMs - event.chainMs) : event.totalMs;

    m_relays.fetch_add(1, std::memory_order_relaxed);
    if (error) m_relayErrors.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(m_store->mutex);
    RelaySeries& series = m_store->entry(m_store->relays, key);
    ++series.count;
    series.time.observe(event.totalMs);
    series.handlerTime.observe(handlerMs);
    if (chainAnswered) {
        ChainKey chainKey{chain, status};
        m_store->entry(m_store->chainTimes, chainKey).observe(event.chainMs);
    }
    if (error) ++m_store->entry(m_store->errors, *error);
}

void MeshMetrics::recordNotify(const NotifyObservation& notify)
{
    const QByteArray chain = chainLabel(notify.chain);
    const QByteArray servicer = m_options.attachServicerLabel ? notify.servicerAddressHex : QByteArray();
    if (notify.delivered) {
        RelayKey key{chain, servicer, 200, true, true};
        m_notifications.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard lock(m_store->mutex);
        RelaySeries& series = m_store->entry(m_store->relays, key);
        ++series.count;
        series.time.observe(notify.durationMs);
        return;
    }
    MeshErrorType type = MeshErrorType::Internal;
    if (notify.errorType) type = *notify.errorType;
    else if (notify.attempted) type = notify.httpStatus == 0 ? MeshErrorType::NotifyRequest : MeshErrorType::NotifyResponse;
    else if (notify.removalReason == removalReasonName(RemovalReason::Expired)) type = MeshErrorType::SessionHeightOutOfRange;
    else if (notify.removalReason == removalReasonName(RemovalReason::SessionInvalid)) type = MeshErrorType::InvalidSession;
    int status = 500;
    switch (type) {
    case MeshErrorType::NotifyResponse: status = notify.httpStatus > 0 ? notify.httpStatus : 500; break;
    case MeshErrorType::InvalidSession:
    case MeshErrorType::BadRequest: status = notify.error ? int(notify.error->code) : 0; break;
    case MeshErrorType::SessionHeightOutOfRange: status = 90; break;
    default: status = 500;
    }
    recordError(notify.chain, notify.servicerAddressHex, true, type, status);
}

void MeshMetrics::recordError(const QByteArray& chain, const QByteArray& servicerAddressHex, bool isNotify,
                              MeshErrorType type, int statusCode)
{
    ErrorKey key{chainLabel(chain), m_options.attachServicerLabel ? servicerAddressHex : QByteArray(), statusCode,
                 type, isNotify};
    (isNotify ? m_notifyErrors : m_relayErrors).fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(m_store->mutex);
    ++m_store->entry(m_store->errors, key);
}

void MeshMetrics::recordSessionValidationQueued(const QByteArray& chain, qint64 sessionHeight,
                                                const QByteArray& appPubKey, const QByteArray& servicerAddressHex,
                                                bool requeue)
{
    QueueKey key{chainLabel(chain), sessionHeight, appPubKey.size() > 128 ? QByteArrayLiteral("invalid") : appPubKey,
                 m_options.attachServicerLabel ? servicerAddressHex : QByteArray(), requeue};
    std::lock_guard lock(m_store->mutex);
    ++m_store->entry(m_store->sessionQueue, key);
}

void MeshMetrics::recordScrapeStarted()
{
    m_scrapesInFlight.fetch_add(1, std::memory_order_relaxed);
}

void MeshMetrics::recordScrapeFinished(int httpStatus)
{
    m_scrapesInFlight.fetch_sub(1, std::memory_order_relaxed);
    if (httpStatus == 200) m_scrapes.fetch_add(1, std::memory_order_relaxed);
    else if (httpStatus == 503) m_scrapes503.fetch_add(1, std::memory_order_relaxed);
    else m_scrapesOther.fetch_add(1, std::memory_order_relaxed);
}

MetricsTotals MeshMetrics::totals() const
{
    MetricsTotals t;
    t.relays = m_relays.load(std::memory_order_relaxed);
    t.relayErrors = m_relayErrors.load(std::memory_order_relaxed);
    t.notifications = m_notifications.load(std::memory_order_relaxed);
    t.notifyErrors = m_notifyErrors.load(std::memory_order_relaxed);
    t.scrapes = m_scrapes.load(std::memory_order_relaxed);
    t.scrapesInFlight = m_scrapesInFlight.load(std::memory_order_relaxed);
    return t;
}

// ---- providers and chain names ----

void MeshMetrics::setWorkerPoolProvider(WorkerPoolProvider provider) { m_workerPools = std::move(provider); }
void MeshMetrics::setOutboxProvider(OutboxProvider provider) { m_outbox = std::move(provider); }
void MeshMetrics::setNodeProvider(NodeProvider provider) { m_nodes = std::move(provider); }

void MeshMetrics::setLocalChainNames(const ChainNameMap& names) { m_localNames = names.names; }

QString MeshMetrics::chainName(const QByteArray& chainId) const
{
    const QString id = QString::fromUtf8(chainId);
    // Remote wins over local (PROTOCOL §4.2; seed: "precedence over local one"), else the id (§11).
    if (auto it = m_remoteNames.constFind(id); it != m_remoteNames.cend()) return *it;
    if (auto it = m_localNames.constFind(id); it != m_localNames.cend()) return *it;
    return id;
}

void MeshMetrics::refreshRemoteChainNames()
{
    if (m_options.remoteChainNamesUrl.isEmpty() || m_fetchInFlight) return;
    if (!m_network) m_network = new QNetworkAccessManager(this);
    const QString masked = config::maskUrl(m_options.remoteChainNamesUrl);
    QNetworkRequest request{QUrl(m_options.remoteChainNamesUrl)};
    request.setHeader(QNetworkRequest::UserAgentHeader, m_options.userAgent);
    request.setTransferTimeout(std::max(1, m_options.remoteTimeoutMs));
    m_fetchInFlight = true;
    QNetworkReply* reply = m_network->get(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply, masked] {
        reply->deleteLater();
        m_fetchInFlight = false;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        QString problem;
        ChainNameMap parsed;
        if (reply->error() != QNetworkReply::NoError) {
            problem = reply->errorString();
        } else if (status != 200) {
            problem = QStringLiteral("HTTP status %1").arg(status);
        } else {
            auto result = parseChainNameMap(reply->readAll(), masked);
            if (!result.ok()) {
                QStringList texts;
                for (const ConfigIssue& issue : result.issues.errors()) texts.append(issue.message);
                problem = texts.join(QStringLiteral("; "));
            } else {
                parsed = std::move(result.value);
            }
        }
        if (!problem.isEmpty()) {
            // One line per failed fetch; the last good map stays (DECISIONS 9 applied to the name map).
            qCWarning(lcMetrics).noquote()
                << "remote_chains_name_map" << masked << "not loaded:" << problem.simplified()
                << QStringLiteral("(keeping %1 remote names)").arg(m_remoteNames.size());
            Q_EMIT remoteChainNamesFetched(false, 0);
            return;
        }
        m_remoteNames = parsed.names;
        qCDebug(lcMetrics).noquote() << "remote_chains_name_map" << masked << "loaded:" << m_remoteNames.size()
                                     << "names";
        Q_EMIT remoteChainNamesFetched(true, int(m_remoteNames.size()));
    });
}

// ---- exposition ----

namespace {

struct ProcessStats
{
    bool ok = false;
    double cpuSeconds = 0;
    double residentBytes = 0;
    double virtualBytes = 0;
    double startTimeSeconds = 0;
    double openFds = -1;
    double maxFds = -1;
};

// Go's process collector (client_golang procfs): the same families, read from /proc on Linux.
ProcessStats readProcessStats()
{
    ProcessStats s;
#ifdef Q_OS_LINUX
    QFile statFile(QStringLiteral("/proc/self/stat"));
    if (!statFile.open(QIODevice::ReadOnly)) return s;
    const QByteArray stat = statFile.readAll();
    // Fields after the command name, which is in parentheses and may contain spaces.
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0) return s;
    const QList<QByteArray> f = stat.mid(close + 2).split(' '); // f[0] is field 3 (state)
    if (f.size() < 22) return s;
    const double ticks = double(sysconf(_SC_CLK_TCK));
    const double page = double(sysconf(_SC_PAGESIZE));
    s.cpuSeconds = (f[11].toDouble() + f[12].toDouble()) / ticks; // utime, stime (fields 14, 15)
    s.virtualBytes = f[20].toDouble();                             // vsize (field 23)
    s.residentBytes = f[21].toDouble() * page;                     // rss pages (field 24)
    QFile procStat(QStringLiteral("/proc/stat"));
    if (procStat.open(QIODevice::ReadOnly)) {
        for (const QByteArray& line : procStat.readAll().split('\n')) {
            if (line.startsWith("btime ")) {
                s.startTimeSeconds = line.mid(6).trimmed().toDouble() + f[19].toDouble() / ticks; // starttime (22)
                break;
            }
        }
    }
    s.openFds = double(QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::NoDotAndDotDot | QDir::AllEntries |
                                                                        QDir::System).size());
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) s.maxFds = double(limit.rlim_cur);
    s.ok = true;
#endif
    return s;
}

using metrics::Labels;
using metrics::TextWriter;

struct Family
{
    QByteArray name;
    QByteArray text;
};

} // namespace

QByteArray MeshMetrics::render() const
{
    // Copy the tables under the lock, format without it: recording threads wait only for the copy.
    std::vector<std::pair<RelayKey, RelaySeries>> relays;
    std::vector<std::pair<ErrorKey, quint64>> errors;
    std::vector<std::pair<ChainKey, Histogram>> chainTimes;
    std::vector<std::pair<QueueKey, quint64>> sessionQueue;
    quint64 overflowed = 0;
    {
        std::lock_guard lock(m_store->mutex);
        relays.assign(m_store->relays.begin(), m_store->relays.end());
        errors.assign(m_store->errors.begin(), m_store->errors.end());
        chainTimes.assign(m_store->chainTimes.begin(), m_store->chainTimes.end());
        sessionQueue.assign(m_store->sessionQueue.begin(), m_store->sessionQueue.end());
        overflowed = m_store->overflowed;
    }

    QHash<QByteArray, QByteArray> names; // chain id -> chain_name, resolved once per scrape
    auto nameOf = [&](const QByteArray& chain) -> const QByteArray& {
        auto it = names.find(chain);
        if (it == names.end()) it = names.insert(chain, chainName(chain).toUtf8());
        return *it;
    };
    const bool servicerLabel = m_options.attachServicerLabel;
    QList<Family> families;
    auto add = [&](const QByteArray& name, TextWriter& w) { families.append(Family{name, w.take()}); };

    // Label order = declaration order of the reference (PROTOCOL §11).
    auto relayLabels = [&](const RelayKey& k) {
        Labels l{{"moniker", m_moniker},
                 {"chain_id", k.chain},
                 {"chain_name", nameOf(k.chain)},
                 {"is_notify", boolLabel(k.notify)},
                 {"success", boolLabel(k.success)},
                 {"status_code", QByteArray::number(k.status)}};
        if (servicerLabel) l.append({"servicer_address", k.servicer});
        return l;
    };
    auto sortedBy = [](auto& v, auto labelsOf) {
        std::vector<std::pair<QByteArray, size_t>> order;
        order.reserve(v.size());
        for (size_t i = 0; i < v.size(); ++i) {
            QByteArray sortKey;
            for (const auto& [n, value] : labelsOf(v[i].first)) sortKey += value + '\xff';
            order.emplace_back(std::move(sortKey), i);
        }
        std::sort(order.begin(), order.end());
        return order;
    };

    if (!relays.empty()) {
        const auto order = sortedBy(relays, relayLabels);
        const QByteArray count = QByteArray(kPrefix) + "relay_count";
        TextWriter w;
        w.family(count, "counter", "Number of relays executed");
        for (const auto& [_, i] : order) w.sample(count, relayLabels(relays[i].first), double(relays[i].second.count));
        add(count, w);

        const QByteArray time = QByteArray(kPrefix) + "relay_time";
        TextWriter t;
        t.family(time, "histogram", "Relay duration in milliseconds (with chain call)");
        for (const auto& [_, i] : order) {
            const Histogram& h = relays[i].second.time;
            t.histogram(time, relayLabels(relays[i].first), bucketBounds(), h.buckets.data(), h.sum);
        }
        add(time, t);

        const QByteArray handler = QByteArray(kPrefix) + "relay_handler_time";
        TextWriter hw;
        bool any = false;
        for (const auto& [_, i] : order) {
            const Histogram& h = relays[i].second.handlerTime;
            if (!h.count) continue; // notifications: no handler time (PROTOCOL §11)
            if (!any) hw.family(handler, "histogram", "Relay duration in milliseconds (without chain call)");
            any = true;
            hw.histogram(handler, relayLabels(relays[i].first), bucketBounds(), h.buckets.data(), h.sum);
        }
        if (any) add(handler, hw);
    }

    if (!errors.empty()) {
        auto errorLabels = [&](const ErrorKey& k) {
            Labels l{{"moniker", m_moniker},
                     {"chain_id", k.chain},
                     {"chain_name", nameOf(k.chain)},
                     {"is_notify", boolLabel(k.notify)},
                     {"status_type", meshErrorTypeName(k.type)},
                     {"status_code", QByteArray::number(k.status)},
                     {"success", QByteArrayLiteral("false")}};
            if (servicerLabel) l.append({"servicer_address", k.servicer});
            return l;
        };
        const QByteArray name = QByteArray(kPrefix) + "error_count";
        TextWriter w;
        w.family(name, "counter", "Number of errors resulting from relays (mesh or chain)");
        for (const auto& [_, i] : sortedBy(errors, errorLabels))
            w.sample(name, errorLabels(errors[i].first), double(errors[i].second));
        add(name, w);
    }

    if (!chainTimes.empty()) {
        auto chainLabels = [&](const ChainKey& k) {
            return Labels{{"moniker", m_moniker},
                          {"chain_id", k.chain},
                          {"chain_name", nameOf(k.chain)},
                          {"status_code", QByteArray::number(k.status)}};
        };
        const QByteArray name = QByteArray(kPrefix) + "chain_time";
        TextWriter w;
        w.family(name, "histogram", "Chain call duration in milliseconds");
        for (const auto& [_, i] : sortedBy(chainTimes, chainLabels)) {
            const Histogram& h = chainTimes[i].second;
            w.histogram(name, chainLabels(chainTimes[i].first), bucketBounds(), h.buckets.data(), h.sum);
        }
        add(name, w);
    }

    if (!sessionQueue.empty()) {
        auto queueLabels = [&](const QueueKey& k) {
            Labels l{{"moniker", m_moniker},
                     {"chain_id", k.chain},
                     {"chain_name", nameOf(k.chain)},
                     {"session_height", QByteArray::number(k.sessionHeight)},
                     {"application_public_key", k.appPubKey},
                     {"requeue", boolLabel(k.requeue)}};
            if (servicerLabel) l.append({"servicer_address", k.servicer});
            return l;
        };
        const QByteArray name = QByteArray(kPrefix) + "optimistic_session_queue_count";
        TextWriter w;
        w.family(name, "counter", "Number of session validations queued");
        for (const auto& [_, i] : sortedBy(sessionQueue, queueLabels))
            w.sample(name, queueLabels(sessionQueue[i].first), double(sessionQueue[i].second));
        add(name, w);
    }

    // Worker/queue gauges (PROTOCOL §11: moniker, stat_type, node_name).
    if (m_workerPools) {
        QList<WorkerPoolSample> pools = m_workerPools();
        std::sort(pools.begin(), pools.end(), [](const WorkerPoolSample& a, const WorkerPoolSample& b) {
            return std::tie(a.statType, a.nodeName) < std::tie(b.statType, b.nodeName);
        });
        struct Gauge
        {
            const char* name;
            const char* help;
            qint64 WorkerPoolSample::*field;
        };
        static const Gauge gauges[] = {
            {"workers_running", "Number of running worker goroutines", &WorkerPoolSample::workersRunning},
            {"workers_idle", "Number of idle worker goroutines", &WorkerPoolSample::workersIdle},
            {"tasks_submitted_total", "Number of tasks submitted", &WorkerPoolSample::tasksSubmitted},
            {"tasks_waiting_total", "Number of tasks waiting in the queue", &WorkerPoolSample::tasksWaiting},
            {"tasks_successful_total", "Number of tasks that completed successfully",
             &WorkerPoolSample::tasksSuccessful},
            {"tasks_failed_total", "Number of tasks that completed with panic", &WorkerPoolSample::tasksFailed},
            {"tasks_completed_total", "Number of tasks that completed either successfully or with panic",
             &WorkerPoolSample::tasksCompleted},
            {"min_workers", "Number min workers of node pool", &WorkerPoolSample::minWorkers},
            {"max_workers", "Number max workers of node pool", &WorkerPoolSample::maxWorkers},
            {"max_capacity", "Number max capacity of node pool", &WorkerPoolSample::maxCapacity},
        };
        if (!pools.isEmpty()) {
            for (const Gauge& g : gauges) {
                const QByteArray name = QByteArray(kPrefix) + g.name;
                TextWriter w;
                w.family(name, "gauge", g.help);
                for (const WorkerPoolSample& p : pools)
                    w.sample(name,
                             Labels{{"moniker", m_moniker}, {"stat_type", p.statType}, {"node_name", p.nodeName.toUtf8()}},
                             double(p.*(g.field)));
                add(name, w);
            }
        }
    }

    // One-sample families and families with one sample per servicer node (our own families and process_*).
    auto single = [&](const char* name, const char* type, const char* help, const Labels& labels, double value) {
        TextWriter w;
        w.family(name, type, help);
        w.sample(name, labels, value);
        add(name, w);
    };
    auto perNode = [&](const char* name, const char* type, const char* help, const auto& list, auto value) {
        TextWriter w;
        w.family(name, type, help);
        for (const auto& n : list)
            w.sample(name, Labels{{"moniker", m_moniker}, {"node_name", n.nodeName.toUtf8()}}, value(n));
        add(name, w);
    };
    auto byNodeName = [](auto& list) {
        std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.nodeName < b.nodeName; });
    };
    const Labels mon{{"moniker", m_moniker}};

    // Our own families (DECISIONS 4): the outbox.
    if (m_outbox) {
        const OutboxSample o = m_outbox();
        if (o.available) {
            QList<OutboxNodeSample> nodes = o.nodes;
            byNodeName(nodes);
            perNode("pocket_mesh_outbox_depth", "gauge",
                    "Relays stored in the outbox waiting to be notified, per servicer node", nodes,
                    [](const OutboxNodeSample& n) { return double(n.depth); });
            perNode("pocket_mesh_outbox_oldest_relay_age_seconds", "gauge",
                    "Age of the oldest relay stored in the outbox, per servicer node", nodes,
                    [](const OutboxNodeSample& n) { return double(n.oldestAgeMs) / 1000.0; });
            single("pocket_mesh_outbox_relays", "gauge", "Relays stored in the outbox, all nodes", mon, double(o.depth));
            single("pocket_mesh_outbox_oldest_age_seconds", "gauge",
                   "Age of the oldest relay stored in the outbox, all nodes (0 when empty)", mon,
                   double(o.oldestAgeMs) / 1000.0);
            const QByteArray removed = "pocket_mesh_outbox_removed_total";
            TextWriter w;
            w.family(removed, "counter", "Relays removed from the outbox since start, by reason");
            for (int r = 0; r < kRemovalReasonCount; ++r)
                w.sample(removed, Labels{{"moniker", m_moniker}, {"reason", removalReasonName(RemovalReason(r)).toUtf8()}},
                         double(o.removedByReason[size_t(r)]));
            add(removed, w);
            single("pocket_mesh_outbox_stored_total", "counter", "Relays committed to the outbox since start", mon,
                   double(o.stored));
            single("pocket_mesh_outbox_store_failures_total", "counter",
                   "Relays that could not be stored (the client got an error)", mon, double(o.rejectedStores));
        }
    }

    if (m_nodes) {
        QList<NodeSample> nodes = m_nodes();
        byNodeName(nodes);
        if (!nodes.isEmpty()) {
            perNode("pocket_mesh_node_up", "gauge", "1 when the servicer node can serve relays (checked, synced)", nodes,
                    [](const NodeSample& n) { return n.up ? 1.0 : 0.0; });
            perNode("pocket_mesh_node_height", "gauge", "Block height of the servicer node at its last check", nodes,
                    [](const NodeSample& n) { return double(n.height); });
            perNode("pocket_mesh_node_connectivity_ok", "gauge",
                    "1 when the last connectivity check (?verify=true) of the node succeeded", nodes,
                    [](const NodeSample& n) { return n.connectivityOk ? 1.0 : 0.0; });
            perNode("pocket_mesh_node_check_failures_total", "counter", "Failed node checks since start", nodes,
                    [](const NodeSample& n) { return double(n.checkFailures); });
        }
    }

    single("pocket_mesh_metrics_series_overflow_total", "counter",
           "Records folded into chain_id=\"overflow\" because a family reached its series limit", mon,
           double(overflowed));
    {
        // promhttp's own families (the reference exposes them through the default registry, PROTOCOL §11).
        const QByteArray total = "promhttp_metric_handler_requests_total";
        TextWriter w;
        w.family(total, "counter", "Total number of scrapes by HTTP status code.");
        // Counted when a scrape is finished (promhttp's InstrumentHandlerCounter): not this one yet.
        w.sample(total, Labels{{"code", "200"}}, double(m_scrapes.load(std::memory_order_relaxed)));
        w.sample(total, Labels{{"code", "500"}}, double(m_scrapesOther.load(std::memory_order_relaxed)));
        w.sample(total, Labels{{"code", "503"}}, double(m_scrapes503.load(std::memory_order_relaxed)));
        add(total, w);
        const QByteArray inFlight = "promhttp_metric_handler_requests_in_flight";
        TextWriter g;
        g.family(inFlight, "gauge", "Current number of scrapes being served.");
        g.sample(inFlight, {}, double(m_scrapesInFlight.load(std::memory_order_relaxed)));
        add(inFlight, g);
    }

    if (m_options.processMetrics) {
        const ProcessStats p = readProcessStats();
        if (p.ok) {
            auto one = [&](const char* name, const char* type, const char* help, double v) {
                single(name, type, help, {}, v);
            };
            one("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
                p.cpuSeconds);
            one("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", p.residentBytes);
            one("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", p.virtualBytes);
            one("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
                p.startTimeSeconds > 0 ? p.startTimeSeconds : double(m_startSecs));
            if (p.openFds >= 0) one("process_open_fds", "gauge", "Number of open file descriptors.", p.openFds);
            if (p.maxFds >= 0) one("process_max_fds", "gauge", "Maximum number of open file descriptors.", p.maxFds);
        }
    }

    std::sort(families.begin(), families.end(), [](const Family& a, const Family& b) { return a.name < b.name; });
    QByteArray out;
    qsizetype size = 0;
    for (const Family& f : families) size += f.text.size();
    out.reserve(size);
    for (const Family& f : families) out += f.text;
    return out;
}

void MeshMetrics::scrape(std::function<void(QByteArray text)> done)
{
    bool wake = false;
    {
        std::lock_guard lock(m_scrapeMutex);
        wake = m_pendingScrapes.empty(); // otherwise a run is already posted and has not taken the list yet
        m_pendingScrapes.push_back(std::move(done));
    }
    if (wake) QMetaObject::invokeMethod(this, "runPendingScrapes", Qt::QueuedConnection);
}

void MeshMetrics::runPendingScrapes()
{
    std::vector<std::function<void(QByteArray)>> pending;
    {
        std::lock_guard lock(m_scrapeMutex);
        pending.swap(m_pendingScrapes);
    }
    if (pending.empty()) return;
    const QByteArray text = render(); // one rendering for scrapes that arrived together
    for (auto& done : pending) done(text);
}

} // namespace pocket
