// bench-relaygen: writes valid, signed, distinct relays (PROTOCOL §2.1, §3) for the benchmark's wrk script,
// one Go-JSON relay body per line, built with the protocol core (requestHashHex, aatHashHex, proofHashInput,
// crypto::sign). Relay g (g = --first + line) goes to servicer g % servicers of app (g / servicers) % apps with
// entropy --entropy-base + g, so the first apps × servicers lines open every app × servicer session once and no
// two relays ever share a proof. `--print-apps N` prints the public keys of the first N apps (to stake them
// with `pocket-localnet --app HEX:N`).
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <algorithm>
#include <cstdio>
#include <thread>
#include <vector>

#include "benchkeys.h"
#include "protocol/crypto.h"

using namespace pocket;
using namespace pocket::bench;

namespace {

int fail(const QString& message)
{
    std::fprintf(stderr, "bench-relaygen: %s\n", qPrintable(message));
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (!crypto::init()) return fail(QStringLiteral("libsodium initialisation failed"));
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Signed, distinct relay bodies for the benchmark, one per line."));
    p.addHelpOption();
    const QCommandLineOption printApps(QStringList{"print-apps"}, "Print the public keys of the first N apps and exit.", "n");
    const QCommandLineOption apps(QStringList{"apps"}, "Number of apps.", "n", "20");
    const QCommandLineOption servicers(QStringList{"servicers"}, "Number of local network servicer keys used.", "n", "500");
    const QCommandLineOption count(QStringList{"count"}, "Relays to write.", "n", "10000");
    const QCommandLineOption first(QStringList{"first"}, "Index of the first relay (relay g: servicer g % servicers, app (g / servicers) % apps).", "n", "0");
    const QCommandLineOption entropyBase(QStringList{"entropy-base"}, "Entropy of relay g = base + g.", "n", "1000000000");
    const QCommandLineOption sessionHeight(QStringList{"session-height"}, "proof.session_block_height.", "h");
    const QCommandLineOption blockHeight(QStringList{"block-height"}, "meta.block_height.", "h");
    const QCommandLineOption chain(QStringList{"chain"}, "Relay chain id.", "id", "0021");
    const QCommandLineOption out(QStringList{"out"}, "Output file.", "path");
    const QCommandLineOption append(QStringList{"append"}, "Append to --out instead of replacing it.");
    const QCommandLineOption threads(QStringList{"threads"}, "Signing threads.", "n", QString::number(std::max(1u, std::thread::hardware_concurrency())));
    for (const auto& o : {printApps, apps, servicers, count, first, entropyBase, sessionHeight, blockHeight, chain, out, append, threads})
        p.addOption(o);
    p.process(app);

    auto number = [&](const QCommandLineOption& o, qint64 min) -> std::optional<qint64> {
        bool ok = false;
        const qint64 v = p.value(o).toLongLong(&ok);
        return ok && v >= min ? std::optional<qint64>(v) : std::nullopt;
    };

    if (p.isSet(printApps)) {
        const auto n = number(printApps, 1);
        if (!n) return fail(QStringLiteral("--print-apps needs a positive number"));
        for (int i = 0; i < *n; ++i) std::printf("%s\n", appKey(i).publicKeyHex.constData());
        return 0;
    }

    const auto nApps = number(apps, 1), nServicers = number(servicers, 1), nCount = number(count, 0),
               nFirst = number(first, 0), nEntropy = number(entropyBase, 0), nSession = number(sessionHeight, 1),
               nBlock = number(blockHeight, 1), nThreads = number(threads, 1);
    if (!nApps || !nServicers || !nCount || !nFirst || !nEntropy || !nSession || !nBlock || !nThreads)
        return fail(QStringLiteral("a numeric option is missing or invalid (see --help)"));
    if (!p.isSet(out)) return fail(QStringLiteral("--out is required"));

    QElapsedTimer clock;
    clock.start();
    std::vector<BenchApp> appList;
    for (int i = 0; i < *nApps; ++i) appList.push_back(makeApp(i));
    const QList<BenchKey> keys = servicerKeys(int(*nServicers));

    QFile file(p.value(out));
    if (!file.open(p.isSet(append) ? QIODevice::WriteOnly | QIODevice::Append : QIODevice::WriteOnly | QIODevice::Truncate)) return fail(QStringLiteral("cannot write ") + file.fileName());

    // Blocks of relays signed in parallel, written in order.
    const QByteArray chainId = p.value(chain).toLatin1();
    const qint64 block = 4096;
    const int workers = int(*nThreads);
    qint64 written = 0, bytes = 0;
    while (written < *nCount) {
        std::vector<QByteArray> parts(static_cast<size_t>(workers));
        std::vector<std::thread> pool;
        for (int w = 0; w < workers; ++w) {
            const qint64 begin = written + w * block;
            const qint64 end = std::min(*nCount, begin + block);
            if (begin >= end) break;
            pool.emplace_back([&, w, begin, end] {
                QByteArray& part = parts[size_t(w)];
                part.reserve((end - begin) * 1100);
                for (qint64 j = begin; j < end; ++j) {
                    const qint64 g = *nFirst + j;
                    const BenchApp& a = appList[size_t((g / *nServicers) % *nApps)];
                    RelayParams params;
                    params.chain = chainId;
                    params.sessionHeight = *nSession;
                    params.blockHeight = *nBlock;
                    params.entropy = *nEntropy + g;
                    part += encodeRelay(makeRelay(a, keys[int(g % *nServicers)].publicKeyHex, params));
                    part += '\n';
                }
            });
        }
        for (auto& t : pool) t.join();
        for (const QByteArray& part : parts) {
            if (file.write(part) != part.size()) return fail(QStringLiteral("write error on ") + file.fileName());
            bytes += part.size();
        }
        written = std::min(*nCount, written + block * workers);
    }
    file.close();
    std::printf("{\"bytes\":%lld,\"count\":%lld,\"seconds\":%.3f}\n", bytes, written, double(clock.elapsed()) / 1000.0);
    return 0;
}
