#pragma once
// One running mesh node: the data directory's configuration turned into the relay pipeline. Owns the
// shared state, the outbox, the control-thread services (session validator, notifier, node monitor), the
// hot reload of keys and chains, the admin API and the HTTP front with its server threads. Lives in the
// control thread (the thread that created it).
#include <QHash>
#include <QObject>
#include <QTimer>
#include <atomic>
#include <memory>

#include "admin/adminbackend.h"
#include "config/datadir.h"
#include "config/reloadfiles.h"
#include "relay/meshshared.h"
#include "util/result.h"
#include "util/snapshot.h"

namespace pocket {

class AdminApi;
class HttpClient;
class LogRing;
class MeshHttpServer;
class MeshMetrics;
class MetricsServer;
class NodeMonitor;
class Notifier;
class RelayOutbox;
class ReloadWatcher;
class ServicerClient;
class SessionValidator;
struct ServicerKeyFile;

struct MeshNodeOptions
{
    bool simulateRelay = false;
    int serverThreads = 0;    // 0: one per core, at most 2
    quint16 portOverride = 0; // tests: 0 keeps rpc_port
    // The latest log lines for GET /v1/private/mesh/logs (the process's ring); null: the route says so.
    const LogRing* logRing = nullptr;
};

class MeshNode : public QObject, public AdminBackend
{
    Q_OBJECT
public:
    MeshNode(LoadedDataDir loaded, MeshNodeOptions options, QObject* parent = nullptr);
    ~MeshNode() override;

    // Opens the outbox, starts following the servicer nodes, replays stored relays and starts listening.
    Result<void> start();
    // Graceful stop (issue 5 item 9): stop intake, finish requests in flight, flush and close the outbox.
    void stop(int graceMs = 5000);

    // Re-reads the key file and chains.json now and applies what changed (PROTOCOL §12.4, DECISIONS 9): an
    // invalid or unreadable file keeps the last good state and each problem is logged on one line. Called on
    // SIGHUP, by POST /v1/private/mesh/reload, and (for one file, `force` false) by the reload timers and the
    // file watcher. Control thread.
    ReloadReport reload(const QString& reason) override;

    quint16 port() const;
    quint16 metricsPort() const; // the Prometheus endpoint's bound port, 0 when disabled or not running
    MeshShared& shared() { return m_shared; }
    const LoadedDataDir& dataDir() const { return m_loaded; }
    bool isReady() const;

    // AdminBackend (docs/admin-api.md).
    QByteArray healthJson() const override; // GET /v1/private/mesh/health
    std::shared_ptr<const ChainTable> chains() const override;
    KeyRingPtr keys() const override;
    QList<AdminNodeView> nodes() const override;
    QList<SessionInfo> sessions() const override;
    QByteArray metricsJson() const override;
    std::optional<QList<LogLine>> logLines(int max, qint64 afterSeq, char minimumLevel) const override;
    AdminOutboxView outbox() const override;
    Result<void> updateChains(const ChainTable& table) override;
    void requestStop() override;

Q_SIGNALS:
    // The admin API asked for a graceful stop (the answer is on its way); start-mesh quits its event loop
    // and calls stop(), the same path as SIGTERM.
    void stopRequested();
    // After a reload that changed something (control thread).
    void reloaded(const ReloadReport& report);

private:
    void setupServerThread(class ServerThreadContext& ctx);
    ReloadReport reloadFiles(const QString& reason, bool keys, bool chains, bool force);
    void reloadKeys(ReloadReport& report, bool force);
    void reloadChains(ReloadReport& report, bool force);
    void applyKeys(const ServicerKeyFile& file, ReloadReport& report);
    void applyChains(const ChainTable& table, ReloadReport* report);
    void reloadChainNames(const QString& reason, bool force);
    Result<void> startMetrics();
    // The key rings of the notifier and the node monitor after a change of keys or retired keys.
    void publishRings();
    QHash<QString, QString> followedNodes() const;
    // Replayed relays of servicers that are no longer in the key file: retired, so they are still notified.
    void adoptStoredKeys(const QList<struct OutboxRelay>& page);
    // Forgets removed keys and nodes whose stored relays have all been notified.
    void sweepRetired();

    LoadedDataDir m_loaded; // nodes and chains follow reloads (control thread)
    MeshNodeOptions m_options;
    MeshShared m_shared;
    std::unique_ptr<RelayOutbox> m_outbox;
    std::unique_ptr<HttpClient> m_servicerHttp; // control thread
    std::unique_ptr<ServicerClient> m_servicer;
    std::unique_ptr<SessionValidator> m_validator;
    std::unique_ptr<Notifier> m_notifier;
    std::unique_ptr<NodeMonitor> m_monitor;
    std::unique_ptr<MeshMetrics> m_metrics;         // record*() thread-safe; the rest control thread
    std::unique_ptr<MetricsServer> m_metricsServer; // destroyed before m_metrics
    QHash<QString, quint64> m_checkFailures;        // node url -> failed /check or probes (control thread)
    std::unique_ptr<AdminApi> m_admin;
    std::unique_ptr<MeshHttpServer> m_server;
    std::unique_ptr<ReloadWatcher> m_watcher;
    QTimer m_cleanupTimer;
    QTimer m_retireTimer;
    std::atomic<qint64> m_replayed{0};
    std::atomic<bool> m_replayDone{false};

    // Hot reload state (control thread). A removed key stops being served at once (m_shared.keys), but the
    // relays it already answered are still notified (issue 5 item 3): it stays "retired" in the notifier's
    // ring, and a removed node stays followed, until the outbox and the notifier hold nothing for it.
    QHash<QString, QString> m_nodeNames;                // url -> name, the key file's nodes
    QHash<QByteArray, ServicerIdentity> m_retiredKeys;  // address -> identity (no private key)
    QHash<QString, QString> m_retiredNodes;             // url -> name, removed nodes still followed
    QHash<QString, QList<QByteArray>> m_retiredNodeAddresses; // url -> addresses it had (the /check payload)
    Snapshot<KeyRing> m_notifyKeys;  // served keys + retired keys: Notifier (any thread)
    Snapshot<KeyRing> m_monitorKeys; // served keys + retired nodes' addresses: NodeMonitor /check payloads
    ReloadedFileState m_keysFile;
    ReloadedFileState m_chainsFile;
    ReloadedFileState m_chainNamesFile; // chains_name_map (metrics labels), reloaded with the chains
};

} // namespace pocket
