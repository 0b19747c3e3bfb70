#include "mesh/meshnode.h"

#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QThread>
#include <sodium.h>

#include "chain/chainexecutor.h"
#include "http/httpclient.h"
#include "outbox/relayoutbox.h"
#include "protocol/crypto.h"
#include "protocol/gojson.h"
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

} // namespace

MeshNode::MeshNode(LoadedDataDir loaded, MeshNodeOptions options, QObject* parent)
    : QObject(parent), m_loaded(std::move(loaded)), m_options(options)
{
}

MeshNode::~MeshNode()
{
    stop(0);
}

void MeshNode::buildKeysAndChains()
{
    auto ring = std::make_shared<KeyRing>();
    for (const ServicerNode& node : m_loaded.nodes) {
        for (const ServicerKey& key : node.keys) {
            ServicerIdentity id;
            id.privateKey = key.privateKey;
            id.publicKey = key.publicKey;
            id.publicKeyHex = key.publicKeyHex.toLatin1();
            id.addressHex = key.addressHex.toLatin1();
            id.nodeUrl = key.homeNodeUrl.isEmpty() ? node.url : key.homeNodeUrl;
            ring->add(id);
        }
    }
    m_shared.keys.store(ring);
    m_shared.chains.store(std::make_shared<const ChainTable>(m_loaded.chains));
}

Result<void> MeshNode::start()
{
    const MeshConfig& cfg = m_loaded.config;
    buildKeysAndChains();

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

    auto keys = [this] { return m_shared.keys.load(); };
    m_validator = std::make_unique<SessionValidator>(m_servicer.get(), &m_shared.sessions, &m_shared.nodes,
                                                     SessionValidatorOptions{});
    m_shared.validator = m_validator.get();

    NotifierOptions notifyOptions;
    notifyOptions.maxInFlightPerNode = clampInt(std::max<qint64>(1, cfg.servicerMaxWorkers));
    notifyOptions.retryWaitMinMs = clampInt(std::max<qint64>(1, cfg.servicerRetryWaitMin));
    notifyOptions.retryWaitMaxMs = clampInt(std::max(cfg.servicerRetryWaitMin, cfg.servicerRetryWaitMax));
    m_notifier = std::make_unique<Notifier>(m_servicer.get(), &m_shared.sessions, &m_shared.nodes, m_outbox.get(),
                                            keys, notifyOptions);
    m_shared.notifier = m_notifier.get();

    NodeMonitorOptions monitorOptions;
    monitorOptions.checkIntervalMs = clampInt(std::max<qint64>(1, cfg.nodeCheckInterval) * 1000);
    m_monitor = std::make_unique<NodeMonitor>(m_servicer.get(), &m_shared.nodes, keys,
                                              [this] {
                                                  QList<QByteArray> ids;
                                                  for (const auto& c : m_shared.chains.load()->chains)
                                                      ids.append(c.id);
                                                  return ids;
                                              },
                                              monitorOptions);
    QHash<QString, QString> names;
    for (const ServicerNode& node : m_loaded.nodes) names.insert(node.url, node.name);
    m_monitor->syncNodes(names);

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

    // Replay what the outbox still holds (PROTOCOL §8.1 start-up): every stored relay is notified again.
    m_outbox->replay(
        this,
        [this](QList<OutboxRelay> page) {
            if (!m_notifier) return; // stopping: the relays stay stored for the next start
            for (const OutboxRelay& relay : page) m_notifier->submit(relay);
            m_replayed += page.size();
        },
        [this](qint64 total, const QString& error) {
            m_replayDone = true;
            if (!error.isEmpty()) qCWarning(lcMesh).noquote() << "outbox replay stopped:" << error;
            else if (total) qCInfo(lcMesh) << "replayed" << total << "stored relays for notification";
        });

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
                             << m_shared.keys.load()->size() << "servicer keys on" << names.size() << "nodes";
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
    auto* executor = new ChainExecutor(chainClient, chainOptions, ctx.owner());
    auto* handler = new RelayHandler(&m_shared, executor, ctx.owner());

    ctx.route("POST", "/v1/client/relay", [handler](ServerRequest request, Responder responder) {
        handler->handle(request.body, [responder](RelayReply reply) {
            HttpHeaderList headers = jsonHeaders();
            http::addRelayCorsHeaders(headers); // on every relay POST answer (PROTOCOL §2.2)
            responder.send(reply.status, headers, reply.body);
        });
    });
    ctx.route("GET", "/v1/private/mesh/health", [this](ServerRequest request, Responder responder) {
        if (!authorized(request.header("Authorization"))) {
            responder.send(401, jsonHeaders(), QByteArrayLiteral("{\"code\":401,\"message\":\"wrong Authorization\"}\n"));
            return;
        }
        responder.send(200, jsonHeaders(), healthJson());
    });
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

bool MeshNode::authorized(const QByteArray& header) const
{
    // DECISIONS 8: no token configured ⇒ closed; compared in constant time; never echoed.
    const QByteArray token = m_loaded.meshToken.value.toUtf8();
    if (token.isEmpty() || header.size() != token.size()) return false;
    return sodium_memcmp(header.constData(), token.constData(), size_t(token.size())) == 0;
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
        w.key("url").string(s.url.toUtf8());
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

quint16 MeshNode::port() const
{
    return m_server ? m_server->port() : 0;
}

void MeshNode::stop(int graceMs)
{
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
}

} // namespace pocket
