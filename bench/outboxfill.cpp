// bench-outboxfill: writes a backlog of relays straight into a mesh data directory's outbox (core/outbox
// RelayOutbox, the same code the mesh uses), so the benchmark can time how fast a starting mesh replays it
// (PROTOCOL §8.1 start-up). Every row is a real Go-JSON relay body of the usual size addressed to
// --node-url with a distinct proof hash; the client signature is left as zeros (the benchmark's sink does
// not verify, and signing 1 000 000 relays would take longer than the replay being measured).
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <cstdio>
#include <vector>

#include "benchkeys.h"
#include "outbox/relayoutbox.h"
#include "protocol/crypto.h"

using namespace pocket;
using namespace pocket::bench;

namespace {

int fail(const QString& message)
{
    std::fprintf(stderr, "bench-outboxfill: %s\n", qPrintable(message));
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (!crypto::init()) return fail(QStringLiteral("libsodium initialisation failed"));
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Fill a mesh outbox with a relay backlog."));
    p.addHelpOption();
    const QCommandLineOption datadir(QStringList{"datadir"}, "Mesh data directory (its outbox: data/relays.pkt -> data/relays.sqlite).", "path");
    const QCommandLineOption db(QStringList{"db"}, "The outbox SQLite file (instead of --datadir).", "path");
    const QCommandLineOption count(QStringList{"count"}, "Relays to store.", "n", "1000000");
    const QCommandLineOption nodeUrl(QStringList{"node-url"}, "Servicer node URL of every relay (the key file's node url).", "url");
    const QCommandLineOption apps(QStringList{"apps"}, "Number of apps.", "n", "20");
    const QCommandLineOption servicers(QStringList{"servicers"}, "Number of local network servicer keys.", "n", "500");
    const QCommandLineOption sessionHeight(QStringList{"session-height"}, "Session height of every relay.", "h");
    const QCommandLineOption blockHeight(QStringList{"block-height"}, "meta.block_height of every relay.", "h");
    const QCommandLineOption entropyBase(QStringList{"entropy-base"}, "Entropy of relay g = base + g.", "n", "5000000000");
    for (const auto& o : {datadir, db, count, nodeUrl, apps, servicers, sessionHeight, blockHeight, entropyBase})
        p.addOption(o);
    p.process(app);

    auto number = [&](const QCommandLineOption& o, qint64 min) -> std::optional<qint64> {
        bool ok = false;
        const qint64 v = p.value(o).toLongLong(&ok);
        return ok && v >= min ? std::optional<qint64>(v) : std::nullopt;
    };
    const auto nCount = number(count, 1), nApps = number(apps, 1), nServicers = number(servicers, 1),
               nSession = number(sessionHeight, 1), nBlock = number(blockHeight, 1), nEntropy = number(entropyBase, 0);
    if (!nCount || !nApps || !nServicers || !nSession || !nBlock || !nEntropy)
        return fail(QStringLiteral("a numeric option is missing or invalid (see --help)"));
    if (!p.isSet(nodeUrl)) return fail(QStringLiteral("--node-url is required"));
    QString path;
    if (p.isSet(db)) path = p.value(db);
    else if (p.isSet(datadir))
        path = RelayOutbox::databasePathFor(QDir(p.value(datadir)).absoluteFilePath(QStringLiteral("data/relays.pkt")));
    else return fail(QStringLiteral("--datadir or --db is required"));

    QElapsedTimer clock;
    clock.start();
    std::vector<BenchApp> appList;
    for (int i = 0; i < *nApps; ++i) appList.push_back(makeApp(i));
    const QList<BenchKey> keys = servicerKeys(int(*nServicers));

    RelayOutboxOptions options;
    options.path = path;
    RelayOutbox outbox(options);
    if (auto opened = outbox.open(); !opened) return fail(QStringLiteral("open: ") + opened.error().message);

    const QString url = p.value(nodeUrl);
    const qint64 chunk = std::min<qint64>(options.maxQueuedStores / 2, 50000); // below the queue bound
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (qint64 g = 0; g < *nCount; ++g) {
        const BenchApp& a = appList[size_t((g / *nServicers) % *nApps)];
        const BenchKey& servicer = keys[int(g % *nServicers)];
        RelayParams params;
        params.sessionHeight = *nSession;
        params.blockHeight = *nBlock;
        params.entropy = *nEntropy + g;
        const Relay relay = makeRelay(a, servicer.publicKeyHex, params, false);
        OutboxRelay row;
        row.proofHash = crypto::sha3_256(proofHashInput(relay.proof, a.aatHashHex));
        row.nodeUrl = url;
        row.servicerAddress = servicer.addressHex;
        row.chain = relay.proof.blockchain;
        row.appPubKey = relay.proof.aat.appPubKey;
        row.sessionHeight = relay.proof.sessionBlockHeight;
        row.body = encodeRelay(relay);
        row.createdMs = now;
        outbox.store(std::move(row), nullptr, {});
        if ((g + 1) % chunk == 0) outbox.flush();
    }
    outbox.flush();
    const OutboxStats stats = outbox.stats();
    if (auto closed = outbox.close(); !closed) return fail(QStringLiteral("close: ") + closed.error().message);
    std::printf("{\"depth\":%lld,\"path\":\"%s\",\"rejected\":%llu,\"seconds\":%.3f,\"stored\":%llu}\n", stats.depth,
                qPrintable(path), (unsigned long long)stats.rejectedStores, double(clock.elapsed()) / 1000.0,
                (unsigned long long)stats.stored);
    return stats.rejectedStores == 0 && stats.depth >= *nCount ? 0 : 1;
}
