#pragma once
// Prometheus metrics of the mesh node (PROTOCOL §11; issue 5 item 6): the geo-mesh families with their exact
// names, labels and buckets, so existing Grafana dashboards keep working, plus our own outbox and node
// families. Rendered in the Prometheus text exposition format 0.0.4 (prometheustext.h) and served by
// MetricsServer (metricsserver.h). docs/metrics.md lists every family; docs/dev/metrics-wiring.md shows
// the calls MeshNode makes.
//
// Wiring (control thread, in MeshNode::start(); see docs/dev/metrics-wiring.md):
//
//     m_metrics = std::make_unique<MeshMetrics>(MeshMetricsOptions::fromDataDir(m_loaded));
//     m_metrics->start();                                    // remote chain name map: fetched, never blocks
//     m_metrics->setWorkerPoolProvider([this] { ... metrics::workerPoolSamples(m_notifier->stats(), ...) });
//     m_metrics->setOutboxProvider([this] { return metrics::outboxSample(m_outbox->stats(), nodeNames); });
//     // in setupServerThread(): handler->setObserver([m = m_metrics.get()](const RelayEvent& e) { m->recordRelay(e); });
//     m_metricsServer = std::make_unique<MetricsServer>(m_metrics.get(), MetricsServerOptions::fromConfig(cfg));
//     if (auto ok = m_metricsServer->start(); !ok) return ok;  // bind failure: a clear error
//   and in stop(): m_metricsServer.reset() before m_metrics.reset().
//
// Threads: record*() and totals() are thread-safe and cheap (one short mutex section, a hash lookup; no
// allocation once a label set has been seen) — call them from the HTTP server threads and the control
// thread. Everything else (providers, chain names, render()) belongs to the thread that owns this QObject
// (the control thread); scrape() may be called from any thread and runs render() there.
#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>
#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>
#include <optional>

#include "config/chains.h"
#include "outbox/relayoutbox.h"
#include "protocol/pocketerror.h"

class QNetworkAccessManager;

namespace pocket {

struct LoadedDataDir;
struct RelayEvent; // relay/relayhandler.h

// status_type of pocketcore_geo_mesh_error_count (PROTOCOL §11; seed "Metrics").
enum class MeshErrorType : quint8 {
    BadRequest,              // "bad_request": a relay refused before the chain call (status_code: pocket code)
    ChainNotFound,           // "chain_not_found": chain removed between validation and call (46; code "500")
    Chain,                   // "chain": chain transport error (500/504) or chain HTTP status >= 400
    GetSession,              // "get_session": the session of a notification could not be obtained ("500")
    InvalidSession,          // "invalid_session": notification dropped, session invalid (stored code)
    SessionHeightOutOfRange, // "session_height_out_of_range": notification outside the tolerance ("90")
    NotifyRequest,           // "notify_request": notification without HTTP answer ("500")
    NotifyResponse,          // "notify_response": servicer answered a non-200 status (the status)
    Internal,                // "internal": our own failure (e.g. the relay could not be stored; "500")
};
inline constexpr int kMeshErrorTypeCount = 9;
QByteArray meshErrorTypeName(MeshErrorType type);

// One notification outcome (mesh -> servicer /v1/private/mesh/relay, PROTOCOL §8.2). Field for field the
// notifier's NotifyEvent (servicer/notifier.h): one per attempt that got an answer or a transport error,
// and one for a relay removed without an attempt (attempted = false).
struct NotifyObservation
{
    QByteArray chain;              // relay chain id, e.g. "0021"
    QByteArray servicerAddressHex; // label servicer_address when metrics_attach_servicer_label
    QString nodeUrl;               // not a label (node URLs may carry credentials)
    qint64 durationMs = 0;         // relay_time of a delivered notification
    bool delivered = false;        // HTTP 200: relay_count/relay_time{is_notify="true",status_code="200"}
    int httpStatus = 0;            // 0: no HTTP answer (transport failure, timeout) or no attempt
    std::optional<PocketError> error; // the servicer's error (its code is the label for invalid_session)
    QString removalReason;         // removalReasonName() when the relay left the outbox undelivered
    bool attempted = true;
    // Overrides the status_type derived below (e.g. get_session).
    std::optional<MeshErrorType> errorType;
};
// status_type of an undelivered observation: errorType if set; else attempted: notify_request ("500") when
// httpStatus == 0, notify_response (the status) otherwise — every failed attempt counts, since our retries
// do not give up (DECISIONS 4); not attempted: "expired" -> session_height_out_of_range ("90"),
// "session_invalid" -> invalid_session (the error's code), "key_removed"/"undecodable" -> internal ("500").

// One worker pool's gauges (pocketcore_geo_mesh_workers_running ... max_capacity; labels stat_type,
// node_name). The reference reports pond pool values; we report the notifier queues' equivalents
// (metrics::workerPoolSamples in metricsources.h does the mapping).
struct WorkerPoolSample
{
    QByteArray statType = "node"; // "node" (notification queue of a node, or "session-storage") or "metric"
    QString nodeName;             // configured node name, else the URL host (PROTOCOL §11); never a full URL
    qint64 workersRunning = 0;
    qint64 workersIdle = 0;
    qint64 tasksSubmitted = 0;
    qint64 tasksWaiting = 0;
    qint64 tasksSuccessful = 0;
    qint64 tasksFailed = 0;
    qint64 tasksCompleted = 0;
    qint64 minWorkers = 0;
    qint64 maxWorkers = 0;
    qint64 maxCapacity = 0;
};

// The outbox (DECISIONS 4): our own families pocket_mesh_outbox_*.
struct OutboxNodeSample
{
    QString nodeName;
    qint64 depth = 0;
    qint64 oldestAgeMs = 0; // now - createdMs of the oldest stored relay of this node
};
struct OutboxSample
{
    bool available = false; // false: the outbox families are not emitted (not opened yet)
    qint64 depth = 0;
    qint64 oldestAgeMs = 0; // over all nodes; 0 when empty
    QList<OutboxNodeSample> nodes;
    std::array<quint64, kRemovalReasonCount> removedByReason{}; // index int(RemovalReason), since start
    quint64 stored = 0;         // relays committed since start
    quint64 rejectedStores = 0; // stores that failed (disk, queue full)
};

// A servicer node as the node monitor sees it: our own families pocket_mesh_node_*.
struct NodeSample
{
    QString nodeName;
    bool up = false;             // checked, not starting, not catching up: relays are served
    qint64 height = 0;           // last /check height, 0 if unknown
    bool connectivityOk = true;  // last ?verify=true probe succeeded (DECISIONS 7)
    quint64 checkFailures = 0;   // failed /check or probe calls since start
};

struct MeshMetricsOptions
{
    QString moniker = QStringLiteral("geo-mesh-node"); // metrics_moniker
    bool attachServicerLabel = false;                   // metrics_attach_servicer_label
    ChainNameMap localChainNames;                       // chains_name_map (LoadedDataDir::chainNames)
    QString remoteChainNamesUrl;                        // remote_chains_name_map; "" = none
    int remoteRefreshMs = 180000;   // refetch period (chains_hot_reload_interval; <= 0: 10 min)
    int remoteTimeoutMs = 15000;    // one fetch
    QByteArray userAgent = "mesh-node"; // user_agent (PROTOCOL §12.2: also sent for the remote map)
    // Bound on label sets per family: label values partly come from clients (chain ids of refused relays),
    // so past this many series new ones are folded into one with chain_id/chain_name "overflow".
    int maxSeriesPerFamily = 10000;
    bool processMetrics = true; // process_* families (Go's process collector), from /proc on Linux

    // From the loaded configuration: metrics_moniker, metrics_attach_servicer_label, the local chain name
    // map, remote_chains_name_map, user_agent, chains_hot_reload_interval.
    static MeshMetricsOptions fromDataDir(const LoadedDataDir& loaded);
};

// Totals since start, for the admin API's metrics snapshot (thread-safe, lock-free).
struct MetricsTotals
{
    quint64 relays = 0;          // relays that reached the chain call (relay_count is_notify=false)
    quint64 relayErrors = 0;     // error_count is_notify=false
    quint64 notifications = 0;   // delivered notifications (relay_count is_notify=true)
    quint64 notifyErrors = 0;    // error_count is_notify=true
    quint64 scrapes = 0;         // scrapes answered 200
    qint64 scrapesInFlight = 0;  // scrapes admitted and not answered yet
};

class MeshMetrics : public QObject
{
    Q_OBJECT
public:
    using WorkerPoolProvider = std::function<QList<WorkerPoolSample>()>;
    using OutboxProvider = std::function<OutboxSample()>;
    using NodeProvider = std::function<QList<NodeSample>()>;

    explicit MeshMetrics(MeshMetricsOptions options, QObject* parent = nullptr);
    ~MeshMetrics() override;

    // Owner thread. Starts fetching remote_chains_name_map (if configured) now and every remoteRefreshMs;
    // returns at once. Until the first fetch succeeds the local map (or the chain id) names the chains.
    void start();

    // ---- recording: thread-safe, hot path ----
    // A relay handled by RelayHandler (hook RelayHandler::setObserver). Mapping (PROTOCOL §11 as amended
    // in docs/metrics.md): validated relays -> relay_count, relay_time, relay_handler_time (status_code =
    // chain status, success = status < 400) and chain_time when the chain answered; errors -> error_count
    // (bad_request / chain / chain_not_found / internal). Relays whose servicer is unknown are not counted.
    void recordRelay(const RelayEvent& event);
    // A notification outcome (hook Notifier::setObserver once it exists).
    void recordNotify(const NotifyObservation& notify);
    // Any other error_count increment (e.g. get_session from the notifier).
    void recordError(const QByteArray& chain, const QByteArray& servicerAddressHex, bool isNotify,
                     MeshErrorType type, int statusCode);
    // pocketcore_geo_mesh_optimistic_session_queue_count: a session validation task was queued.
    void recordSessionValidationQueued(const QByteArray& chain, qint64 sessionHeight, const QByteArray& appPubKey,
                                       const QByteArray& servicerAddressHex, bool requeue);
    // promhttp_metric_handler_requests_total{code} / _in_flight (MetricsServer calls these).
    void recordScrapeStarted();
    void recordScrapeFinished(int httpStatus);

    MetricsTotals totals() const;

    // ---- scrape-time gauges: set in the owner thread, called in the owner thread by render() ----
    void setWorkerPoolProvider(WorkerPoolProvider provider);
    void setOutboxProvider(OutboxProvider provider);
    void setNodeProvider(NodeProvider provider);

    // ---- chain names (owner thread) ----
    // Hot reload of chains_name_map: replaces the local map (the remote one keeps precedence).
    void setLocalChainNames(const ChainNameMap& names);
    // Remote map value, else local map value, else the id itself (PROTOCOL §4.2, §11).
    QString chainName(const QByteArray& chainId) const;
    // Fetches the remote map now (no-op without a URL). A failed fetch keeps the last good map.
    void refreshRemoteChainNames();
    int remoteChainNameCount() const { return int(m_remoteNames.size()); }

    // ---- exposition ----
    // The whole exposition (text format 0.0.4), families sorted by name. Owner thread.
    QByteArray render() const;
    // Thread-safe: runs render() in the owner thread and calls `done(text)` there. `done` is dropped if
    // this object is destroyed first.
    void scrape(std::function<void(QByteArray text)> done);

    const MeshMetricsOptions& options() const { return m_options; }

Q_SIGNALS:
    // After each remote fetch (owner thread): ok, and the number of names the fetch delivered.
    void remoteChainNamesFetched(bool ok, int count);

private:
    // Owner thread: renders once for every scrape queued since the last run.
    Q_INVOKABLE void runPendingScrapes();

    struct Store; // series tables behind one mutex
    MeshMetricsOptions m_options;
    QByteArray m_moniker; // UTF-8, immutable
    std::unique_ptr<Store> m_store;
    std::atomic<quint64> m_relays{0}, m_relayErrors{0}, m_notifications{0}, m_notifyErrors{0};
    std::atomic<quint64> m_scrapes{0}, m_scrapes503{0}, m_scrapesOther{0};
    std::atomic<qint64> m_scrapesInFlight{0};
    // Scrapes handed over by server threads. A std::mutex (not a lambda posted through Qt's event queue,
    // which ThreadSanitizer cannot see through) hands them to the owner thread.
    std::mutex m_scrapeMutex;
    std::vector<std::function<void(QByteArray)>> m_pendingScrapes; // guarded by m_scrapeMutex
    // Owner thread only:
    WorkerPoolProvider m_workerPools;
    OutboxProvider m_outbox;
    NodeProvider m_nodes;
    QMap<QString, QString> m_localNames;
    QMap<QString, QString> m_remoteNames;
    QNetworkAccessManager* m_network = nullptr; // child; created by start() when a remote URL is set
    QTimer m_refreshTimer;
    bool m_fetchInFlight = false;
    qint64 m_startSecs = 0;
};

} // namespace pocket
