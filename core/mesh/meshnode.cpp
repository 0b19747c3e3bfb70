#include "mesh/meshnode.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QThread>

#include "admin/adminapi.h"
#include "admin/adminjson.h"
#include "config/configjson.h"
#include "config/reloadfiles.h"
#include "log/logring.h"
#include "mesh/keyringdiff.h"
#include "mesh/reloadwatcher.h"
#include "metrics/meshmetrics.h"
#include "metrics/metricsources.h"
#include "metrics/metricsserver.h"

#include "chain/chainexecutor.h"
#include "http/httpclient.h"
#include "outbox/relayoutbox.h"
#include "protocol/crypto.h"
#include "protocol/gojson.h"
#include "protocol/relay.h"
#include "relay/relayhandler.h"
#include "relay/simrelay.h"
#include "server/httpresponses.h"
#include "server/meshhttpserver.h"
#include "server/servicerproxy.h"
#include "servicer/nodemonitor.h"
#include "servicer/notifier.h"
#include "servicer/servicerclient.h"
#include "session/sessionvalidator.h"

Q_LOGGING_CATEGORY(lcMesh, "pocket.mesh")

namespace pocket {

namespace {

int clampInt(qint64 v) { return int(std::clamp<qint64>(v, std::numeric_limits<int>::min(), std::numeric_limits<int>::max())); }

HttpHeaderList jsonHeaders()
{
    return {{"Content-Type", "application/json; charset=utf-8"}};
}

// log_relay_request: one line with the refused relay's body, its headers (credentials masked) and the answer.
void logRefusedRelay(const ServerRequest& request, const RelayReply& reply)
{
    QByteArray headers;
    for (const auto& [name, value] : request.headers) {
        const QByteArray lower = name.toLower();
        const bool secret = lower == "authorization" || lower == "proxy-authorization" || lower == "cookie";
        if (!headers.isEmpty()) headers += ", ";
        headers += name + ": " + (secret ? QByteArray("***") : value);
    }
    qCInfo(lcMesh).noquote() << "relay refused with HTTP" << reply.status << "ANSWER=" + singleLine(QString::fromUtf8(reply.body.trimmed()))
                             << "HEADERS=" + singleLine(QString::fromUtf8(headers))
                             << "RELAY=" + singleLine(QString::fromUtf8(request.body));
}

} // namespace

MeshNode::MeshNode(LoadedDataDir loaded, MeshNodeOptions options, QObject* parent)
    : QObject(parent), m_loaded(std::move(loaded)), m_options(options)
{
}

MeshNode::~MeshNode()
{
    stop(0);
}

void MeshNode::publishRings()
{
    // The notifier's ring: served keys + retired keys (removed by a reload, relays still to notify) at the
    // node they were served through. The monitor's ring: served keys + the addresses of retired nodes, so a
    // removed node is still /check-ed (its height decides when its relays can be notified) while it is
    // followed. KeyRing indexes by public key, so a retired node's entry gets a public key of its own (only
    // nodeUrl and addressHex are read from the monitor's ring).
    const KeyRingPtr served = m_shared.keys.load();
    auto notify = std::make_shared<KeyRing>(*served);
    for (const ServicerIdentity& id : std::as_const(m_retiredKeys)) notify->add(id);
    auto monitor = std::make_shared<KeyRing>(*served);
    for (auto it = m_retiredNodeAddresses.constBegin(); it != m_retiredNodeAddresses.constEnd(); ++it) {
        for (const QByteArray& address : it.value()) {
            ServicerIdentity ghost;
            ghost.addressHex = address;
            ghost.nodeUrl = it.key();
            ghost.publicKey = "retired-node:" + it.key().toUtf8() + ':' + address;
            monitor->add(ghost);
        }
    }
    m_notifyKeys.store(notify);
    m_monitorKeys.store(monitor);
}

QHash<QString, QString> MeshNode::followedNodes() const
{
    QHash<QString, QString> names = m_nodeNames;
    for (auto it = m_retiredNodes.constBegin(); it != m_retiredNodes.constEnd(); ++it)
        if (!names.contains(it.key())) names.insert(it.key(), it.value());
    return names;
}

Result<void> MeshNode::start()
{
    const MeshConfig& cfg = m_loaded.config;
    m_shared.keys.store(buildKeyRing(m_loaded.nodes));
    m_shared.chains.store(std::make_shared<const ChainTable>(m_loaded.chains));
    m_nodeNames = nodeNames(m_loaded.nodes);
    publishRings();
    // PROTOCOL §9.3 order: chain name map, then the Prometheus server, before the key file's nodes.
    if (auto metrics = startMetrics(); !metrics) return metrics;

    RelayOutboxOptions outboxOptions;
    outboxOptions.path = RelayOutbox::databasePathFor(cfg.resolvePath(cfg.relayCacheFile));
    outboxOptions.syncIntervalMs = clampInt(std::max<qint64>(100, cfg.relayCacheBackgroundSyncInterval));
    m_outbox = std::make_unique<RelayOutbox>(outboxOptions);
    if (auto opened = m_outbox->open(); !opened) return opened;
    m_shared.outbox = m_outbox.get();

    HttpClientOptions servicerHttp;
    servicerHttp.maxConnsPerHost = clampInt(cfg.servicerRpcMaxConnsPerHost);
    servicerHttp.maxIdlePerHost = clampInt(cfg.servicerRpcMaxIdleConnsPerHost);
    servicerHttp.maxIdleTotal = clampInt(cfg.servicerRpcMaxIdleConnections);
    servicerHttp.userAgent = cfg.userAgent.toUtf8();
    m_servicerHttp = std::make_unique<HttpClient>(servicerHttp);

    ServicerClientOptions servicerOptions;
    servicerOptions.authToken = m_loaded.servicerToken.value.toUtf8();
    servicerOptions.userAgent = cfg.userAgent.toUtf8();
    servicerOptions.timeoutMs = clampInt(cfg.servicerRpcTimeout);
    m_servicer = std::make_unique<ServicerClient>(m_servicerHttp.get(), servicerOptions);

    auto notifyKeys = [this] { return m_notifyKeys.load(); };
    auto monitorKeys = [this] { return m_monitorKeys.load(); };
    m_validator = std::make_unique<SessionValidator>(m_servicer.get(), &m_shared.sessions, &m_shared.nodes,
                                                     SessionValidatorOptions{});
    m_shared.validator = m_validator.get();
    m_validator->setObserver([m = m_metrics.get()](const SessionInfo& s, bool requeue) {
        m->recordSessionValidationQueued(s.chain, s.sessionHeight, s.appPubKey, s.servicerAddressHex, requeue);
    });

    NotifierOptions notifyOptions;
    notifyOptions.maxInFlightPerNode = clampInt(std::max<qint64>(1, cfg.servicerMaxWorkers));
    notifyOptions.retryWaitMinMs = clampInt(std::max<qint64>(1, cfg.servicerRetryWaitMin));
    notifyOptions.retryWaitMaxMs = clampInt(std::max(cfg.servicerRetryWaitMin, cfg.servicerRetryWaitMax));
    m_notifier = std::make_unique<Notifier>(m_servicer.get(), &m_shared.sessions, &m_shared.nodes, m_outbox.get(),
                                            notifyKeys, notifyOptions);
    m_shared.notifier = m_notifier.get();
    // Notification outcomes into the geo-mesh families (relay count/time is_notify, error count; control thread).
    m_notifier->setObserver([m = m_metrics.get()](const NotifyEvent& e) { m->recordNotify(metrics::notifyObservation(e)); });

    NodeMonitorOptions monitorOptions;
    monitorOptions.checkIntervalMs = clampInt(std::max<qint64>(1, cfg.nodeCheckInterval) * 1000);
    // Connectivity probes (?verify=true) again every ten checks, at least every minute apart (DECISIONS 7).
    monitorOptions.connectivityRecheckMs = std::max(60000, clampInt(std::max<qint64>(1, cfg.nodeCheckInterval) * 10000));
    m_monitor = std::make_unique<NodeMonitor>(m_servicer.get(), &m_shared.nodes, monitorKeys,
                                              [this] {
                                                  QList<QByteArray> ids;
                                                  for (const auto& c : m_shared.chains.load()->chains)
                                                      ids.append(c.id);
                                                  return ids;
                                              },
                                              monitorOptions);
    connect(m_monitor.get(), &NodeMonitor::nodeChecked, this, [this](const QString& url, bool ok) {
        if (!ok) ++m_checkFailures[url];
    });
    m_monitor->syncNodes(m_nodeNames);

    // Scrape-time gauges (rendered in this thread, so control-thread APIs are fine).
    m_metrics->setWorkerPoolProvider([this] {
        const MeshConfig& c = m_loaded.config;
        return metrics::workerPoolSamples(m_notifier->stats(), followedNodes(), c.servicerMaxWorkers,
                                          c.servicerMaxWorkersCapacity);
    });
    m_metrics->setOutboxProvider([this] {
        return metrics::outboxSample(m_outbox->stats(), followedNodes(), QDateTime::currentMSecsSinceEpoch());
    });
    m_metrics->setNodeProvider([this] {
        const metrics::NodeNames names = followedNodes();
        QList<NodeSample> out;
        for (const NodeStatus& s : m_shared.nodes.all()) {
            NodeSample n;
            n.nodeName = metrics::nodeNameFor(names, s.url);
            n.up = !NodeStatusTable::servingError(s);
            n.height = s.heights.height;
            n.connectivityOk = s.connectivityOk;
            n.checkFailures = m_checkFailures.value(s.url);
            out.append(n);
        }
        return out;
    });

    // Session cleanup (PROTOCOL §7.6) without the reference's crash on nodes without status.
    connect(&m_cleanupTimer, &QTimer::timeout, this, [this] {
        const int removed = m_shared.sessions.cleanup([this](const QString& url) -> std::optional<HeightView> {
            const auto s = m_shared.nodes.get(url);
            if (!s || !s->checked) return std::nullopt;
            return s->heights;
        });
        if (removed) qCInfo(lcMesh) << "session cleanup removed" << removed << "sessions";
    });
    m_cleanupTimer.start(clampInt(std::max<qint64>(1, cfg.sessionCacheCleanUpInterval) * 1000));

    // Hot reload (PROTOCOL §12.4, DECISIONS 9): timers and the file watcher; SIGHUP and the admin API call
    // reload(). Retired keys and nodes are looked at every few seconds while there are any.
    connect(&m_retireTimer, &QTimer::timeout, this, &MeshNode::sweepRetired);
    ReloadWatcherOptions watchOptions;
    watchOptions.keyFile = cfg.resolvePath(cfg.servicerPrivateKeyFile);
    watchOptions.chainsFile = cfg.resolvePath(cfg.chainsName);
    watchOptions.keysIntervalMs = clampInt(cfg.keysHotReloadInterval);
    watchOptions.chainsIntervalMs = clampInt(cfg.chainsHotReloadInterval);
    m_watcher = std::make_unique<ReloadWatcher>(watchOptions);
    connect(m_watcher.get(), &ReloadWatcher::reloadDue, this,
            [this](bool keys, bool chains, const QString& reason) { reloadFiles(reason, keys, chains, false); });
    m_watcher->start();

    // Replay what the outbox still holds (PROTOCOL §8.1 start-up): every stored relay is notified again.
    // Pull-based: the notifier asks for the next page when its queues run low (bounded memory).
    m_notifier->replay(
        [this](const QList<OutboxRelay>& page) {
            adoptStoredKeys(page);
            m_replayed += page.size();
        },
        [this](qint64 total, const QString& error) {
            m_replayDone = true;
            if (!error.isEmpty()) qCWarning(lcMesh).noquote() << "outbox replay stopped:" << error;
            else if (total) qCInfo(lcMesh) << "replayed" << total << "stored relays for notification";
        });

    if (!m_loaded.meshToken.isUsable())
        qCWarning(lcMesh).noquote() << "no mesh auth token: the admin routes /v1/private/mesh/* answer 401 until"
                                    << config::displayPath(m_loaded.dataDir, cfg.resolvePath(cfg.authTokenFile))
                                    << "holds {\"Value\": \"<token>\"} (DECISIONS 8)";
    m_admin = std::make_unique<AdminApi>(this, this, m_loaded.meshToken.value.toUtf8());

    HttpServerOptions serverOptions;
    serverOptions.port = m_options.portOverride ? m_options.portOverride : quint16(cfg.rpcPort.toUInt());
    serverOptions.threads = m_options.serverThreads > 0 ? m_options.serverThreads
                                                        : std::clamp(QThread::idealThreadCount(), 1, 2);
    serverOptions.maxBodyBytes = cfg.clientRpcMaxBytesSize > 0 ? cfg.clientRpcMaxBytesSize : 1048576;
    serverOptions.readHeaderTimeoutMs = clampInt(cfg.clientRpcReadHeaderTimeout);
    serverOptions.readTimeoutMs = clampInt(cfg.clientRpcReadTimeout);
    serverOptions.writeTimeoutMs = clampInt(cfg.clientRpcWriteTimeout);
    serverOptions.handlerTimeoutMs = clampInt(cfg.clientRpcTimeout);
    serverOptions.idleTimeoutMs = clampInt(cfg.clientRpcReadTimeout);
    m_server = std::make_unique<MeshHttpServer>(serverOptions, [this](ServerThreadContext& ctx) { setupServerThread(ctx); });
    if (auto listening = m_server->listen(); !listening) return listening;
    qCInfo(lcMesh).noquote() << "mesh node listening on port" << m_server->port() << "with"
                             << m_shared.keys.load()->size() << "servicer keys on" << m_nodeNames.size() << "nodes";
    return {};
}

void MeshNode::setupServerThread(ServerThreadContext& ctx)
{
    const MeshConfig& cfg = m_loaded.config;
    HttpClientOptions chainHttp;
    chainHttp.maxConnsPerHost = clampInt(cfg.chainRpcMaxConnsPerHost);
    chainHttp.maxIdlePerHost = clampInt(cfg.chainRpcMaxIdleConnsPerHost);
    chainHttp.maxIdleTotal = clampInt(cfg.chainRpcMaxIdleConnections);
    chainHttp.userAgent = cfg.userAgent.toUtf8();
    auto* chainClient = new HttpClient(chainHttp, ctx.owner());
    ChainCallOptions chainOptions;
    chainOptions.timeoutMs = clampInt(cfg.chainRpcTimeout);
    chainOptions.dropConnections = cfg.chainDropConnections;
    chainOptions.pathCleanup = cfg.chainRequestPathCleanup;
    chainOptions.sortJson = cfg.jsonSortRelayResponses;
    chainOptions.userAgent = cfg.userAgent.toUtf8();
    chainOptions.logRequest = cfg.logChainRequest;
    chainOptions.logResponse = cfg.logChainResponse;
    auto* executor = new ChainExecutor(chainClient, chainOptions, ctx.owner());
    auto* handler = new RelayHandler(&m_shared, executor, ctx.owner());
    handler->setObserver([m = m_metrics.get()](const RelayEvent& e) { m->recordRelay(e); }); // thread-safe

    const bool logRelayRequest = cfg.logRelayRequest;
    ctx.route("POST", "/v1/client/relay", [handler, logRelayRequest](ServerRequest request, Responder responder) {
        // log_relay_request (PROTOCOL §12.2): the relay JSON and its request headers, on one line, when the
        // relay is refused. Only what is needed is kept for that; credentials in headers are masked.
        std::shared_ptr<const ServerRequest> kept;
        if (logRelayRequest) kept = std::make_shared<const ServerRequest>(request);
        handler->handle(request.body, [responder, kept](RelayReply reply) {
            if (kept && reply.status != 200) logRefusedRelay(*kept, reply);
            HttpHeaderList headers = jsonHeaders();
            http::addRelayCorsHeaders(headers); // on every relay POST answer (PROTOCOL §2.2)
            responder.send(reply.status, headers, reply.body);
        });
    });
    m_admin->registerRoutes(ctx); // /v1/private/mesh/* (PROTOCOL §6.2, docs/admin-api.md)
    // Public routes forwarded to a servicer node (PROTOCOL §6.1): the node of a uniformly random key.
    HttpClientOptions proxyHttp;
    proxyHttp.maxConnsPerHost = clampInt(cfg.servicerRpcMaxConnsPerHost);
    proxyHttp.maxIdlePerHost = clampInt(cfg.servicerRpcMaxIdleConnsPerHost);
    proxyHttp.maxIdleTotal = clampInt(cfg.servicerRpcMaxIdleConnections);
    proxyHttp.userAgent = {}; // the client's own User-Agent goes through
    auto* proxyClient = new HttpClient(proxyHttp, ctx.owner());
    ServicerProxyOptions proxyOptions;
    proxyOptions.timeoutMs = clampInt(cfg.clientRpcTimeout);
    auto* proxy = new ServicerProxy(
        *proxyClient,
        [this]() -> std::optional<QByteArray> {
            const KeyRingPtr ring = m_shared.keys.load();
            if (!ring || ring->size() == 0) return std::nullopt;
            const auto all = ring->all();
            return all[int(QRandomGenerator::global()->bounded(quint32(all.size())))].nodeUrl.toUtf8();
        },
        proxyOptions, ctx.owner());
    proxy->registerRoutes(ctx);

    if (m_options.simulateRelay) {
        ctx.route("POST", "/v1/client/sim", [executor, this](ServerRequest request, Responder responder) {
            // PROTOCOL §6.1: {"relay_network_id","payload"}; executed like a relay, not signed, not notified.
            auto decoded = decodeSimRelay(request.body);
            if (!decoded) {
                responder.send(400, jsonHeaders(), goErrorResponseBody(400, decoded.error()));
                return;
            }
            const auto chains = m_shared.chains.load();
            const ConfiguredChain* chain = chains->find(decoded->first);
            if (!chain) {
                responder.send(400, jsonHeaders(), goErrorResponseBody(400, PocketError::pocketcore(46).errorText()));
                return;
            }
            executor->execute(*chain, decoded->second, executor, [responder](Result<ChainResult> result, int) {
                if (!result) {
                    responder.send(400, jsonHeaders(), goErrorResponseBody(400, result.error().message));
                    return;
                }
                QByteArray body;
                appendGoJsonString(body, result->response);
                responder.send(200, {{"Content-Type", "application/json; charset=UTF-8"}}, body);
            });
        });
    }
}

bool MeshNode::isReady() const
{
    if (!m_replayDone || !m_server || !m_server->isListening()) return false;
    for (const NodeStatus& s : m_shared.nodes.all())
        if (!NodeStatusTable::servingError(s)) return true;
    return false;
}

QByteArray MeshNode::healthJson() const
{
    const KeyRingPtr ring = m_shared.keys.load();
    QList<NodeStatus> nodes = m_shared.nodes.all();
    std::sort(nodes.begin(), nodes.end(), [](const NodeStatus& a, const NodeStatus& b) { return a.url < b.url; });
    const OutboxStats outbox = m_outbox->stats();
    // Keys in sorted order like the reference's re-encoded replies (PROTOCOL §1.5); the reference's three
    // keys (full_nodes, servicers, version) keep their meaning.
    GoJsonWriter w(512);
    w.beginObject();
    w.key("full_nodes").integer(nodes.size());
    w.key("nodes").beginArray();
    for (const NodeStatus& s : nodes) {
        const auto err = NodeStatusTable::servingError(s);
        w.beginObject();
        w.key("available").boolean(!err);
        w.key("connectivity").boolean(s.connectivityOk);
        w.key("error").string((err ? err->message : s.lastError).toUtf8());
        w.key("height").integer(s.heights.height);
        w.key("name").string(s.name.toUtf8());
        w.key("servicers").integer(ring->addressesOfNode(s.url).size());
        w.key("url").string(config::maskUrl(s.url).toUtf8());
        w.endObject();
    }
    w.endArray();
    w.key("outbox").beginObject();
    w.key("average_wait_ms").integer(m_notifier ? qint64(m_notifier->averageOutboxWaitMs() + 0.5) : 0);
    w.key("delivered").integer(m_notifier ? m_notifier->deliveredTotal() : 0);
    w.key("depth").integer(outbox.depth);
    w.endObject();
    w.key("ready").boolean(isReady());
    w.key("replayed").integer(m_replayed.load());
    w.key("servicers").integer(ring->size());
    w.key("sessions").integer(m_shared.sessions.size());
    w.key("version").string(POCKET_MESH_VERSION);
    w.endObject();
    QByteArray out = w.take();
    out += '\n';
    return out;
}

quint16 MeshNode::metricsPort() const
{
    return m_metricsServer ? m_metricsServer->port() : 0;
}

Result<void> MeshNode::startMetrics()
{
    // PROTOCOL §11 (docs/dev/metrics-wiring.md). A port that cannot be bound is a start-up error, as in the
    // reference; an empty pocket_prometheus_port turns the endpoint off.
    m_metrics = std::make_unique<MeshMetrics>(MeshMetricsOptions::fromDataDir(m_loaded));
    m_metrics->start(); // remote chain name map: fetched in the background
    m_chainNamesFile.digest = "loaded at start"; // the first chains reload reads the map once
    auto options = MetricsServerOptions::fromConfig(m_loaded.config);
    if (!options) return std::unexpected(options.error());
    m_metricsServer = std::make_unique<MetricsServer>(m_metrics.get(), *options);
    return m_metricsServer->start();
}

quint16 MeshNode::port() const
{
    return m_server ? m_server->port() : 0;
}

void MeshNode::stop(int graceMs)
{
    m_watcher.reset(); // no reload while stopping
    m_retireTimer.stop();
    m_metricsServer.reset(); // before m_metrics: its handler posts scrapes to it
    if (m_server) {
        m_server->stop(graceMs); // stop intake; requests in flight are answered (their relays are stored)
        m_server.reset();
    }
    m_cleanupTimer.stop();
    // Notifications under way are abandoned, not lost: their relays stay in the outbox and are replayed at
    // the next start. The control-thread services go first so nothing calls the outbox after it closed.
    m_monitor.reset();
    m_notifier.reset();
    m_validator.reset();
    m_servicer.reset();
    m_servicerHttp.reset();
    m_shared.notifier = nullptr;
    m_shared.validator = nullptr;
    if (m_outbox) {
        m_outbox->flush();
        if (auto closed = m_outbox->close(); !closed)
            qCWarning(lcMesh).noquote() << "outbox close:" << closed.error().message;
    }
    m_shared.outbox = nullptr;
    m_outbox.reset();
    m_admin.reset();   // after the server threads that call it
    m_metrics.reset(); // last: the server threads that record into it are gone
}

// ---- hot reload (PROTOCOL §12.4, DECISIONS 9) ----

ReloadReport MeshNode::reload(const QString& reason)
{
    return reloadFiles(reason, true, true, true);
}

ReloadReport MeshNode::reloadFiles(const QString& reason, bool keys, bool chains, bool force)
{
    ReloadReport report;
    report.reason = reason;
    if (!m_notifier) return report; // not started, or stopping
    if (keys) reloadKeys(report, force);
    if (chains) {
        reloadChains(report, force);
        reloadChainNames(reason, force);
    }
    report.keyCount = m_shared.keys.load()->size();
    report.nodeCount = int(m_nodeNames.size());
    report.chainCount = m_shared.chains.load()->size();
    if (report.changed()) Q_EMIT reloaded(report);
    return report;
}

namespace {

// One line per problem (file, line, key): the operator fixes the file; the last good state stays in use.
void logRefused(const QString& reason, const QList<ConfigIssue>& errors, const QString& keeping)
{
    for (const ConfigIssue& issue : errors)
        qCWarning(lcMesh).noquote() << "reload (" + reason + "):" << issue.toString() << "- keeping" << keeping;
}

// Fills `out` from a re-read file and says whether to apply it. A periodic or watcher reload (`force` false)
// skips bytes it has already seen, applied or refused: nothing is logged twice for the same file. An explicit
// reload (SIGHUP, admin API) always reads, reports and logs.
template <typename T>
bool takeReloadedFile(const ReloadedFile<T>& file, ReloadFileReport& out, ReloadedFileState& seen, bool force,
                      const QString& reason, const QString& keeping)
{
    out.file = file.display;
    const QByteArray digest = file.readable ? file.digest : QByteArrayLiteral("unreadable");
    if (!force && digest == seen.digest) {
        out.unchanged = true;
        out.applied = !seen.refused;
        return false;
    }
    seen.digest = digest;
    seen.refused = !file.result.ok();
    out.read = file.readable;
    out.errors = file.result.issues.errors();
    out.warnings = file.result.issues.warnings();
    if (seen.refused) logRefused(reason, out.errors, keeping);
    return !seen.refused;
}

QStringList addressesOf(const QList<ServicerIdentity>& ids)
{
    QStringList out;
    for (const ServicerIdentity& id : ids) out.append(QString::fromLatin1(id.addressHex));
    return out;
}

QStringList idsOf(const QList<QByteArray>& ids)
{
    QStringList out;
    for (const QByteArray& id : ids) out.append(QString::fromUtf8(id));
    return out;
}

QStringList maskedUrls(const QStringList& urls)
{
    QStringList out;
    for (const QString& u : urls) out.append(config::maskUrl(u));
    return out;
}

} // namespace

void MeshNode::reloadKeys(ReloadReport& report, bool force)
{
    const ReloadedFile<ServicerKeyFile> file = rereadServicerKeyFile(m_loaded.config);
    const QString keeping =
        QStringLiteral("the last good key file (%1 servicer keys)").arg(m_shared.keys.load()->size());
    if (!takeReloadedFile(file, report.keys, m_keysFile, force, report.reason, keeping)) return;
    applyKeys(file.result.value, report);
    report.keys.applied = true;
    if (!report.keysAdded.isEmpty() || !report.keysRemoved.isEmpty() || !report.keysMoved.isEmpty()
        || !report.nodesAdded.isEmpty() || !report.nodesRemoved.isEmpty())
        for (const ConfigIssue& issue : std::as_const(report.keys.warnings))
            qCWarning(lcMesh).noquote() << "reload (" + report.reason + "):" << issue.toString();
}

void MeshNode::applyKeys(const ServicerKeyFile& file, ReloadReport& report)
{
    const KeyRingPtr before = m_shared.keys.load();
    const KeyRingPtr after = buildKeyRing(file.nodes);
    const QHash<QString, QString> names = nodeNames(file.nodes);
    const KeyRingDiff diff = diffKeyRings(*before, *after, m_nodeNames, names);
    m_loaded.nodes = file.nodes;
    m_loaded.keyFileFormat = file.format;
    if (!diff.changed()) return;

    // A removed key stops being served now (its relays get "failed to find correct servicer PK", as in the
    // reference) but what it already answered is still notified: it stays in the notifier's ring, at the node
    // it was served through, until nothing is stored for that node (sweepRetired).
    for (const ServicerIdentity& id : diff.removed) {
        ServicerIdentity retired = id;
        retired.privateKey.clear(); // notifications need no signature: the key material is dropped now
        m_retiredKeys.insert(id.addressHex, retired);
    }
    for (const ServicerIdentity& id : diff.added) m_retiredKeys.remove(id.addressHex);
    for (const ServicerIdentity& id : diff.moved) m_retiredKeys.remove(id.addressHex);
    // A removed node that served keys stays followed (checks, notification queue) while relays wait for it.
    for (const QString& url : diff.nodesRemoved) {
        const QList<QByteArray> addresses = before->addressesOfNode(url);
        if (addresses.isEmpty()) continue;
        m_retiredNodes.insert(url, m_nodeNames.value(url));
        m_retiredNodeAddresses.insert(url, addresses);
    }
    for (const QString& url : diff.nodesAdded) {
        m_retiredNodes.remove(url);
        m_retiredNodeAddresses.remove(url);
    }
    m_nodeNames = names;
    m_shared.keys.store(after);
    publishRings();
    // New nodes are probed (?verify=true) and checked at once; removed ones no longer followed are forgotten.
    m_monitor->syncNodes(followedNodes());
    for (const QString& url : diff.nodesRemoved)
        if (!m_retiredNodes.contains(url)) m_shared.sessions.removeNode(url);
    if (!m_retiredKeys.isEmpty() || !m_retiredNodes.isEmpty()) m_retireTimer.start(2000);

    report.keysAdded = addressesOf(diff.added);
    report.keysRemoved = addressesOf(diff.removed);
    report.keysMoved = addressesOf(diff.moved);
    report.nodesAdded = maskedUrls(diff.nodesAdded);
    report.nodesRemoved = maskedUrls(diff.nodesRemoved);
    qCInfo(lcMesh).noquote() << QStringLiteral("keys reloaded (%1): %2 added, %3 removed, %4 moved; nodes %5 added, "
                                               "%6 removed; now %7 servicer keys on %8 nodes")
                                    .arg(report.reason)
                                    .arg(diff.added.size())
                                    .arg(diff.removed.size())
                                    .arg(diff.moved.size())
                                    .arg(diff.nodesAdded.size())
                                    .arg(diff.nodesRemoved.size())
                                    .arg(after->size())
                                    .arg(m_nodeNames.size());
    for (const ServicerIdentity& id : diff.removed)
        qCInfo(lcMesh).noquote() << "servicer" << id.addressHex << "is no longer served; its stored relays are"
                                 << "still notified to" << config::maskUrl(id.nodeUrl);
}

void MeshNode::reloadChains(ReloadReport& report, bool force)
{
    const ReloadedFile<ChainTable> file = rereadChainsFile(m_loaded.config);
    const QString keeping = QStringLiteral("the last good chains (%1 chains)").arg(m_shared.chains.load()->size());
    if (!takeReloadedFile(file, report.chains, m_chainsFile, force, report.reason, keeping)) return;
    applyChains(file.result.value, &report);
    report.chains.applied = true;
}

void MeshNode::reloadChainNames(const QString& reason, bool force)
{
    // chains_name_map labels the metrics only: a bad file is logged and the last good names stay.
    const ReloadedFile<ChainNameMap> file = rereadChainNameMap(m_loaded.config);
    if (file.path.isEmpty() || !m_metrics) return;
    ReloadFileReport ignored;
    if (!takeReloadedFile(file, ignored, m_chainNamesFile, force, reason, QStringLiteral("the last good chain names")))
        return;
    m_loaded.chainNames = file.result.value;
    m_metrics->setLocalChainNames(file.result.value);
}

void MeshNode::applyChains(const ChainTable& table, ReloadReport* report)
{
    const auto before = m_shared.chains.load();
    const ChainTableDiff diff = diffChainTables(*before, table);
    m_loaded.chains = table;
    if (!diff.changed() && !diff.reordered) return;
    m_shared.chains.store(std::make_shared<const ChainTable>(table)); // relays see the old or the new table
    if (!diff.changed()) return;
    const QString reason = report ? report->reason : QStringLiteral("updatechains");
    if (report) {
        report->chainsAdded = idsOf(diff.added);
        report->chainsRemoved = idsOf(diff.removed);
        report->chainsUpdated = idsOf(diff.updated);
    }
    qCInfo(lcMesh).noquote() << QStringLiteral("chains reloaded (%1): added [%2], removed [%3], updated [%4]; now %5 chains")
                                    .arg(reason, idsOf(diff.added).join(QLatin1Char(',')),
                                         idsOf(diff.removed).join(QLatin1Char(',')),
                                         idsOf(diff.updated).join(QLatin1Char(',')))
                                    .arg(table.size());
    // The servicers' wrong_chains answers change with the chain list sent in /check: ask again now.
    if (m_monitor)
        for (const QString& url : followedNodes().keys()) m_monitor->checkNow(url);
}

void MeshNode::adoptStoredKeys(const QList<OutboxRelay>& page)
{
    // Relays stored before a restart whose servicer left the key file meanwhile are still notified (issue 5
    // item 3, DECISIONS 4: not a reason to drop a relay): the servicer is retired from the start, at the
    // node URL stored with the relay, known from the relay itself (its proof's servicer_pub_key).
    const KeyRingPtr served = m_shared.keys.load();
    bool changed = false;
    for (const OutboxRelay& stored : page) {
        if (served->findByAddress(stored.servicerAddress) || m_retiredKeys.contains(stored.servicerAddress)) continue;
        const auto relay = decodeRelay(stored.body);
        if (!relay) continue; // the notifier removes it as undecodable
        ServicerIdentity id;
        id.publicKeyHex = relay->proof.servicerPubKey.toLower();
        const auto publicKey = crypto::hexDecode(id.publicKeyHex);
        if (!publicKey || publicKey->size() != 32
            || crypto::hexEncode(crypto::addressFromPublicKey(*publicKey)) != stored.servicerAddress)
            continue; // not this servicer's relay: left to the notifier
        id.publicKey = *publicKey;
        id.addressHex = stored.servicerAddress;
        id.nodeUrl = stored.nodeUrl;
        m_retiredKeys.insert(id.addressHex, id);
        if (!m_nodeNames.contains(stored.nodeUrl)) {
            m_retiredNodes.insert(stored.nodeUrl, config::urlHostName(stored.nodeUrl));
            m_retiredNodeAddresses[stored.nodeUrl].append(id.addressHex);
        }
        qCInfo(lcMesh).noquote() << "servicer" << id.addressHex << "is not in the key file but has stored relays:"
                                 << "they are still notified to" << config::maskUrl(stored.nodeUrl);
        changed = true;
    }
    if (!changed) return;
    publishRings();
    m_monitor->syncNodes(followedNodes());
    m_retireTimer.start(2000);
}

void MeshNode::sweepRetired()
{
    if (!m_notifier || !m_outbox) return;
    // Pending per node: what the notifier holds (queued, backing off, in flight) and what the outbox still
    // stores (committed; includes relays a replay has not read yet).
    QHash<QString, qint64> pending;
    for (const NodeQueueStats& q : m_notifier->stats()) pending[q.nodeUrl] += q.queued + q.waiting + q.inFlight;
    const OutboxStats stored = m_outbox->stats();
    for (auto it = stored.nodes.constBegin(); it != stored.nodes.constEnd(); ++it) pending[it.key()] += it->depth;
    // The replay may still hand over relays of a retired key; a store not committed yet has no node yet.
    if (!m_replayDone || stored.queuedStores > 0) return;

    bool changed = false;
    for (auto it = m_retiredKeys.begin(); it != m_retiredKeys.end();) {
        if (pending.value(it->nodeUrl) == 0) {
            qCInfo(lcMesh).noquote() << "servicer" << it->addressHex << "removed by a reload: every stored relay"
                                     << "was notified; forgotten";
            it = m_retiredKeys.erase(it);
            changed = true;
        } else {
            ++it;
        }
    }
    QStringList dropped;
    for (auto it = m_retiredNodes.begin(); it != m_retiredNodes.end();) {
        if (pending.value(it.key()) == 0) {
            dropped.append(it.key());
            m_retiredNodeAddresses.remove(it.key());
            it = m_retiredNodes.erase(it);
            changed = true;
        } else {
            ++it;
        }
    }
    if (!changed) return;
    publishRings();
    if (!dropped.isEmpty()) {
        m_monitor->syncNodes(followedNodes());
        for (const QString& url : dropped) {
            m_shared.sessions.removeNode(url);
            qCInfo(lcMesh).noquote() << "node" << config::maskUrl(url)
                                     << "removed by a reload: every stored relay was notified; no longer followed";
        }
    }
    if (m_retiredKeys.isEmpty() && m_retiredNodes.isEmpty()) m_retireTimer.stop();
}

// ---- AdminBackend ----

std::shared_ptr<const ChainTable> MeshNode::chains() const
{
    return m_shared.chains.load();
}

KeyRingPtr MeshNode::keys() const
{
    return m_shared.keys.load();
}

QList<AdminNodeView> MeshNode::nodes() const
{
    const KeyRingPtr served = m_shared.keys.load();
    QList<NodeStatus> all = m_shared.nodes.all();
    std::sort(all.begin(), all.end(), [](const NodeStatus& a, const NodeStatus& b) { return a.url < b.url; });
    QList<AdminNodeView> out;
    for (const NodeStatus& s : all) {
        AdminNodeView v;
        v.status = s;
        v.servicers = int(served->addressesOfNode(s.url).size());
        for (const ServicerIdentity& id : m_retiredKeys)
            if (id.nodeUrl == s.url) ++v.retiredServicers;
        v.retiredOnly = !m_nodeNames.contains(s.url);
        out.append(v);
    }
    return out;
}

QList<SessionInfo> MeshNode::sessions() const
{
    QList<SessionInfo> all = m_shared.sessions.snapshot(0, std::numeric_limits<int>::max());
    std::sort(all.begin(), all.end(), [](const SessionInfo& a, const SessionInfo& b) {
        return a.createdMs != b.createdMs ? a.createdMs < b.createdMs : a.key < b.key;
    });
    return all;
}

QByteArray MeshNode::metricsJson() const
{
    if (!m_metrics) return QByteArrayLiteral("{\"available\":false}\n");
    const MetricsTotals t = m_metrics->totals();
    GoJsonWriter totals(256);
    totals.beginObject();
    totals.key("notifications").integer(qint64(t.notifications));
    totals.key("notify_errors").integer(qint64(t.notifyErrors));
    totals.key("relay_errors").integer(qint64(t.relayErrors));
    totals.key("relays").integer(qint64(t.relays));
    totals.key("scrapes").integer(qint64(t.scrapes));
    totals.endObject();
    return admin::metricsJson(m_metrics->render(), totals.take());
}

std::optional<QList<LogLine>> MeshNode::logLines(int max, qint64 afterSeq, char minimumLevel) const
{
    if (!m_options.logRing) return std::nullopt;
    return m_options.logRing->latest(max, afterSeq, minimumLevel);
}

AdminOutboxView MeshNode::outbox() const
{
    AdminOutboxView v;
    if (m_outbox) v.outbox = m_outbox->stats();
    if (m_notifier) v.queues = m_notifier->stats();
    v.nodeNames = followedNodes();
    v.nowMs = QDateTime::currentMSecsSinceEpoch();
    return v;
}

Result<void> MeshNode::updateChains(const ChainTable& table)
{
    // DECISIONS 9: the file is replaced atomically first; only then does the node use the new table, so a
    // failed write changes nothing (the reference updates memory, then writes without truncating).
    const MeshConfig& cfg = m_loaded.config;
    const QByteArray bytes = chainsFileJson(table);
    if (auto written = writeFileAtomically(cfg.resolvePath(cfg.chainsName), bytes); !written) return written;
    // The watcher will see this write: the same bytes are not read again.
    m_chainsFile = {QCryptographicHash::hash(bytes, QCryptographicHash::Sha256), false};
    applyChains(table, nullptr);
    return {};
}

void MeshNode::requestStop()
{
    qCInfo(lcMesh) << "graceful stop requested through the admin API";
    Q_EMIT stopRequested();
}

} // namespace pocket
