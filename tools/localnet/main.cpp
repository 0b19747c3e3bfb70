// pocket-localnet: a local Pocket network in one process — a servicer emulator (POKTscan servicer with
// mesh_node=true, plus a reference /v1/client/relay node) and a mock blockchain node, each on its own
// port and thread — and a ready-to-use mesh data directory. Prints one JSON line with the URLs and
// tokens on stdout once both listen, then runs until killed. Usage and routes: README.md.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QThread>
#include <csignal>
#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

#include "datadir.h"
#include "emulatorserver.h"
#include "mockchain.h"
#include "protocol/crypto.h"
#include "servicerkeys.h"
#include "servicerstate.h"

using namespace pocket;
using namespace pocket::localnet;

namespace {

QByteArray randomToken()
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    QByteArray t;
    for (int i = 0; i < 25; ++i) t += alphabet[QRandomGenerator::system()->bounded(int(sizeof(alphabet) - 1))];
    return t;
}

quint16 pickFreePort(const QHostAddress& host)
{
    QTcpServer s;
    return s.listen(host, 0) ? s.serverPort() : 0;
}

int fail(const QString& message)
{
    std::fprintf(stderr, "pocket-localnet: %s\n", qPrintable(message));
    return 2;
}

// SIGINT/SIGTERM end the event loop for a clean exit: the handler only writes to a socket pair (the only
// async-signal-safe way in); a QSocketNotifier on the other end quits the application.
int g_signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] const auto n = ::write(g_signalPipe[0], &c, 1);
}

void quitOnSignals(QCoreApplication& app)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) != 0) return;
    auto* notifier = new QSocketNotifier(g_signalPipe[1], QSocketNotifier::Read, &app);
    QObject::connect(notifier, &QSocketNotifier::activated, &app, [&app] { app.quit(); });
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

// Chain names for the chain name map (metrics only).
QByteArray chainName(const QByteArray& id)
{
    if (id == "0021") return "Ethereum";
    if (id == "0001") return "Pocket";
    if (id == "0040") return "Harmony";
    if (id == "0009") return "Polygon";
    return "Chain " + id;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("pocket-localnet"));
    if (!crypto::init()) return fail(QStringLiteral("libsodium initialisation failed"));

    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("A local Pocket network: servicer emulator + mock chain."));
    p.addHelpOption();
    const QCommandLineOption host(QStringList{"host"}, "Address to listen on.", "addr", "127.0.0.1");
    const QCommandLineOption emulatorPort(QStringList{"emulator-port", "port"}, "Servicer emulator port (0 = free port).", "n", "0");
    const QCommandLineOption chainPort(QStringList{"chain-port"}, "Mock chain port (0 = free port).", "n", "0");
    const QCommandLineOption meshPort(QStringList{"mesh-port"}, "Port the mesh will listen on (config rpc_port; 0 = pick a free one).", "n", "0");
    const QCommandLineOption serviceUrl(QStringList{"service-url"}, "service_url of the session nodes: 'mesh' (the mesh URL), 'self' (the emulator: no-mesh baseline) or a URL.", "url", "mesh");
    const QCommandLineOption servicers(QStringList{"servicers"}, "Number of hosted servicer keys (key 0 = the golden vectors' servicer).", "n", "1");
    const QCommandLineOption height(QStringList{"height"}, "Initial block height.", "h", "105843");
    const QCommandLineOption blockMs(QStringList{"block-ms"}, "Milliseconds per block (0 = frozen; /admin/height moves it).", "ms", "60000");
    const QCommandLineOption bps(QStringList{"blocks-per-session"}, "blocks_per_session.", "n", "4");
    const QCommandLineOption sessionAllowance(QStringList{"session-allowance"}, "client_session_sync_allowance (sessions).", "n", "1");
    const QCommandLineOption blockAllowance(QStringList{"block-allowance"}, "client_block_sync_allowance (blocks).", "n", "10");
    const QCommandLineOption sessionNodes(QStringList{"session-nodes"}, "Servicers per session (0 = every hosted key).", "n", "0");
    const QCommandLineOption chains(QStringList{"chains"}, "Hosted chain ids, comma separated.", "ids", "0021,0001");
    const QCommandLineOption chainUrl(QStringList{"chain-url"}, "Point a chain at another node instead of the mock: ID=URL (repeatable).", "id=url");
    const QCommandLineOption appRelays(QStringList{"app-relays"}, "Relays per servicer per session for the golden vectors' app.", "n", "100000");
    const QCommandLineOption extraApp(QStringList{"app"}, "Stake another app: PUBKEYHEX[:MAXRELAYS] (repeatable).", "app");
    const QCommandLineOption token(QStringList{"token"}, "Servicer auth token (default: random).", "t");
    const QCommandLineOption meshToken(QStringList{"mesh-token"}, "Mesh auth token written to auth/mesh.json (default: random).", "t");
    const QCommandLineOption datadir(QStringList{"datadir"}, "Where to write the mesh data directory.", "path");
    const QCommandLineOption chainTimeout(QStringList{"chain-timeout"}, "Reference relay: chain call timeout in ms.", "ms", "30000");
    const QCommandLineOption noJsonSort(QStringList{"no-json-sort"}, "Reference relay: do not JSON-sort chain responses.");
    const QCommandLineOption chainLatency(QStringList{"chain-latency"}, "Mock chain: latency in ms.", "ms", "0");
    const QCommandLineOption chainErrorRate(QStringList{"chain-error-rate"}, "Mock chain: fraction of HTTP 500 answers.", "f", "0");
    const QCommandLineOption chainHangRate(QStringList{"chain-hang-rate"}, "Mock chain: fraction of requests never answered.", "f", "0");
    const QCommandLineOption chainFixed(QStringList{"chain-fixed"}, "Mock chain: fixed-answer fast mode (no parsing, no recording).");
    const QCommandLineOption chainFixedBody(QStringList{"chain-fixed-body"}, "Mock chain: the fixed answer.", "json");
    const QCommandLineOption chainNoRecord(QStringList{"chain-no-record"}, "Mock chain: do not record requests.");
    for (const auto& o : {host, emulatorPort, chainPort, meshPort, serviceUrl, servicers, height, blockMs, bps,
                          sessionAllowance, blockAllowance, sessionNodes, chains, chainUrl, appRelays, extraApp, token,
                          meshToken, datadir, chainTimeout, noJsonSort, chainLatency, chainErrorRate, chainHangRate,
                          chainFixed, chainFixedBody, chainNoRecord}) {
        p.addOption(o);
    }
    p.process(app);
    quitOnSignals(app);

    auto integer = [&](const QCommandLineOption& o, qint64 min) -> std::optional<qint64> {
        bool ok = false;
        const qint64 v = p.value(o).toLongLong(&ok);
        if (!ok || v < min) return std::nullopt;
        return v;
    };
    auto real = [&](const QCommandLineOption& o) -> std::optional<double> {
        bool ok = false;
        const double v = p.value(o).toDouble(&ok);
        if (!ok || v < 0 || v > 1) return std::nullopt;
        return v;
    };

    const QHostAddress address(p.value(host));
    if (address.isNull()) return fail(QStringLiteral("--host is not an IP address"));
    const auto nKeys = integer(servicers, 1);
    const auto h0 = integer(height, 1);
    const auto msBlock = integer(blockMs, 0);
    const auto blocksPerSession = integer(bps, 1);
    const auto sAllow = integer(sessionAllowance, 0);
    const auto bAllow = integer(blockAllowance, 0);
    const auto nSession = integer(sessionNodes, 0);
    const auto relays = integer(appRelays, 0);
    const auto ePort = integer(emulatorPort, 0), cPort = integer(chainPort, 0), mPort = integer(meshPort, 0);
    const auto cTimeout = integer(chainTimeout, 1), cLatency = integer(chainLatency, 0);
    const auto cErr = real(chainErrorRate), cHang = real(chainHangRate);
    if (!nKeys || !h0 || !msBlock || !blocksPerSession || !sAllow || !bAllow || !nSession || !relays || !ePort
        || !cPort || !mPort || !cTimeout || !cLatency || !cErr || !cHang || *ePort > 65535 || *cPort > 65535
        || *mPort > 65535) {
        return fail(QStringLiteral("a numeric option is invalid (see --help)"));
    }
    QList<QByteArray> chainIds;
    for (const QString& c : p.value(chains).split(',', Qt::SkipEmptyParts)) {
        const auto raw = crypto::hexDecode(c.toLatin1());
        if (!raw || raw->isEmpty() || raw->size() > 4) return fail(QStringLiteral("invalid chain id: ") + c);
        chainIds.append(c.toLatin1());
    }
    if (chainIds.isEmpty()) return fail(QStringLiteral("--chains is empty"));

    // Mock chain on its own thread, so the emulator and the chain use both cores.
    MockChainConfig chainConfig;
    chainConfig.latencyMs = int(*cLatency);
    chainConfig.errorRate = *cErr;
    chainConfig.hangRate = *cHang;
    chainConfig.fixedAnswer = p.isSet(chainFixed);
    if (p.isSet(chainFixedBody)) chainConfig.fixedBody = p.value(chainFixedBody).toUtf8();
    chainConfig.record = !p.isSet(chainNoRecord);
    QThread chainThread;
    chainThread.setObjectName(QStringLiteral("mock-chain"));
    auto* chain = new MockChain(chainConfig);
    chain->moveToThread(&chainThread);
    QObject::connect(&chainThread, &QThread::finished, chain, &QObject::deleteLater);
    chainThread.start();
    quint16 boundChainPort = 0;
    QMetaObject::invokeMethod(chain, [&] { boundChainPort = chain->start(address, quint16(*cPort)); },
                              Qt::BlockingQueuedConnection);
    auto stopChain = [&] {
        chainThread.quit();
        chainThread.wait();
    };
    if (!boundChainPort) {
        stopChain();
        return fail(QStringLiteral("the mock chain cannot listen on port %1").arg(*cPort));
    }
    const QByteArray hostText = address.toString().toLatin1();
    const QByteArray chainBase = "http://" + hostText + ':' + QByteArray::number(boundChainPort);
    QMap<QByteArray, QByteArray> chainUrls;
    for (const QByteArray& c : chainIds) chainUrls.insert(c, chainBase);
    for (const QString& spec : p.values(chainUrl)) {
        const qsizetype eq = spec.indexOf('=');
        if (eq <= 0 || !chainUrls.contains(spec.left(eq).toLatin1())) {
            stopChain();
            return fail(QStringLiteral("--chain-url needs ID=URL with a hosted ID: ") + spec);
        }
        chainUrls.insert(spec.left(eq).toLatin1(), spec.mid(eq + 1).toUtf8());
    }

    // The servicer emulator in the main thread.
    EmulatorSettings settings;
    settings.height = *h0;
    settings.msPerBlock = int(*msBlock);
    settings.blocksPerSession = int(*blocksPerSession);
    settings.sessionSyncAllowance = int(*sAllow);
    settings.blockSyncAllowance = int(*bAllow);
    settings.sessionNodes = int(*nSession);
    const QList<ServicerKey> keys = makeServicerKeys(int(*nKeys));
    ServicerState state(settings, keys, chainIds);
    state.stakeApp(StakedApp{vectorsAppKey().publicKeyHex, *relays, {}});
    for (const QString& spec : p.values(extraApp)) {
        const QStringList parts = spec.split(':');
        const auto raw = crypto::hexDecode(parts.value(0).toLatin1());
        bool ok = true;
        const qint64 max = parts.size() > 1 ? parts[1].toLongLong(&ok) : *relays;
        if (!raw || raw->size() != 32 || !ok) {
            stopChain();
            return fail(QStringLiteral("--app needs PUBKEYHEX[:MAXRELAYS]: ") + spec);
        }
        state.stakeApp(StakedApp{parts[0].toLatin1(), max, {}});
    }
    EmulatorOptions options;
    options.token = p.isSet(token) ? p.value(token).toUtf8() : randomToken();
    options.chainUrls = chainUrls;
    options.chainTimeoutMs = int(*cTimeout);
    options.jsonSortResponses = !p.isSet(noJsonSort);
    EmulatorServer emulator(&state, options);
    const quint16 boundEmulatorPort = emulator.start(address, quint16(*ePort));
    if (!boundEmulatorPort) {
        stopChain();
        return fail(QStringLiteral("the servicer emulator cannot listen on port %1").arg(*ePort));
    }
    const QByteArray emulatorUrl = "http://" + hostText + ':' + QByteArray::number(boundEmulatorPort);

    const quint16 meshRpcPort = *mPort ? quint16(*mPort) : pickFreePort(address);
    const QByteArray meshUrl = "http://" + hostText + ':' + QByteArray::number(meshRpcPort);
    const QString su = p.value(serviceUrl);
    const QByteArray service = su == QLatin1String("mesh") ? meshUrl
        : su == QLatin1String("self")                      ? emulatorUrl
                                                           : su.toUtf8();
    state.setServiceUrl(service);

    DataDirSpec dd;
    dd.path = p.isSet(datadir) ? p.value(datadir)
                               : QDir::temp().absoluteFilePath(
                                     QStringLiteral("pocket-localnet-%1").arg(QCoreApplication::applicationPid()));
    dd.servicerUrl = emulatorUrl;
    dd.keys = keys;
    dd.servicerToken = options.token;
    dd.meshToken = p.isSet(meshToken) ? p.value(meshToken).toUtf8() : randomToken();
    dd.chainUrls = chainUrls;
    for (const QByteArray& c : chainIds) dd.chainNames.insert(c, chainName(c));
    dd.meshPort = meshRpcPort;
    dd.metricsPort = pickFreePort(address);
    if (const QString e = writeMeshDataDir(dd); !e.isEmpty()) {
        stopChain();
        return fail(e);
    }

    QJsonObject chainMap;
    for (auto it = chainUrls.begin(); it != chainUrls.end(); ++it) {
        chainMap.insert(QString::fromLatin1(it.key()), QString::fromUtf8(it.value()));
    }
    const QJsonObject ready{
        {"ready", true},
        {"pid", double(QCoreApplication::applicationPid())},
        {"emulator_url", QString::fromUtf8(emulatorUrl)},
        {"emulator_port", boundEmulatorPort},
        {"chain_url", QString::fromUtf8(chainBase)},
        {"chain_port", boundChainPort},
        {"mesh_url", QString::fromUtf8(meshUrl)},
        {"mesh_port", meshRpcPort},
        {"metrics_port", dd.metricsPort},
        {"service_url", QString::fromUtf8(service)},
        {"servicer_token", QString::fromUtf8(options.token)},
        {"mesh_token", QString::fromUtf8(dd.meshToken)},
        {"datadir", QDir(dd.path).absolutePath()},
        {"chains", chainMap},
        {"servicers", int(keys.size())},
        {"servicer_public_key", QString::fromLatin1(keys.first().publicKeyHex)},
        {"app_public_key", QString::fromLatin1(vectorsAppKey().publicKeyHex)},
        {"height", double(state.height())},
        {"blocks_per_session", settings.blocksPerSession},
    };
    const QByteArray line = QJsonDocument(ready).toJson(QJsonDocument::Compact) + '\n';
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fflush(stdout);

    const int rc = app.exec();
    stopChain();
    return rc;
}
