// RelayOutbox (core/outbox/): durability, group commit, callbacks, replay, errors, crash safety.
#include <QCoreApplication>
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <atomic>
#include <cstdio>
#include <memory>
#include <unistd.h>

#include "outbox/relayoutbox.h"
#include "testsupport.h"

using namespace pocket;
using pocket::test::waitFor;

namespace {

constexpr qint64 kBaseMs = 1700000000000;

OutboxRelay makeRelay(int i, const QString& node = QStringLiteral("http://node-a:8081"), int bodyBytes = 700)
{
    OutboxRelay r;
    r.proofHash = QCryptographicHash::hash("relay-" + QByteArray::number(i), QCryptographicHash::Sha3_256);
    r.nodeUrl = node;
    r.servicerAddress = QCryptographicHash::hash("servicer-" + node.toUtf8(), QCryptographicHash::Sha1).toHex();
    r.chain = "0021";
    r.appPubKey = QCryptographicHash::hash("app", QCryptographicHash::Sha256).toHex();
    r.sessionHeight = 1000 + i / 1000;
    r.createdMs = kBaseMs + i;
    QByteArray body = "{\"payload\":{\"data\":\"relay " + QByteArray::number(i) + "\"},\"pad\":\"";
    body += QByteArray(qMax(0, bodyBytes - int(body.size()) - 2), 'x');
    body += "\"}";
    r.body = body;
    return r;
}

RelayOutboxOptions optionsFor(const QString& path)
{
    RelayOutboxOptions o;
    o.path = path;
    return o;
}

struct Commits
{
    int ok = 0;
    int failed = 0;
    QString lastError;
    int total() const { return ok + failed; }
    RelayOutbox::CommitCallback callback()
    {
        return [this](bool good, const QString& error) {
            if (good) {
                ++ok;
            } else {
                ++failed;
                lastError = error;
            }
        };
    }
};

struct Replayed
{
    QList<OutboxRelay> relays;
    int pages = 0;
    qsizetype largestPage = 0;
    qint64 total = -1;
    QString error;
    bool done = false;
};

// Replays everything into `out`; true when onDone arrived in time.
bool replayAll(RelayOutbox& outbox, QObject* context, Replayed& out, int timeoutMs = 60000)
{
    outbox.replay(
        context,
        [&out](QList<OutboxRelay> page) {
            ++out.pages;
            out.largestPage = qMax(out.largestPage, page.size());
            out.relays += page;
        },
        [&out](qint64 total, const QString& error) {
            out.total = total;
            out.error = error;
            out.done = true;
        });
    return waitFor([&] { return out.done; }, timeoutMs);
}

qint64 rssKiB(const char* key)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly)) return -1;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith(key)) return line.mid(qstrlen(key)).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

// --crash-child <db> <count>: stores `count` relays as fast as the outbox takes them and prints
// "c <i>" for every relay whose commit callback fired, until the parent SIGKILLs it.
int crashChild(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 4) return 2;
    const QString path = QString::fromLocal8Bit(argv[2]);
    const int count = atoi(argv[3]);
    RelayOutbox outbox(optionsFor(path));
    if (auto r = outbox.open(); !r) {
        fprintf(stderr, "open failed: %s\n", qPrintable(r.error().message));
        return 3;
    }
    QObject context;
    int next = 0, outstanding = 0, committed = 0;
    QTimer producer;
    producer.setInterval(0);
    QObject::connect(&producer, &QTimer::timeout, &context, [&] {
        for (int k = 0; k < 200 && next < count && outstanding < 4000; ++k, ++next) {
            ++outstanding;
            const int i = next;
            outbox.store(makeRelay(i), &context, [&, i](bool ok, const QString& error) {
                --outstanding;
                if (!ok) {
                    fprintf(stderr, "store %d failed: %s\n", i, qPrintable(error));
                    return;
                }
                char line[32];
                const int n = snprintf(line, sizeof line, "c %d\n", i);
                // Unbuffered: the line is in the pipe before anything else happens.
                if (::write(STDOUT_FILENO, line, size_t(n)) != n) return;
                if (++committed == count) app.quit();
            });
        }
        if (next >= count) producer.stop();
    });
    producer.start();
    return app.exec();
}

} // namespace

class TestRelayOutbox : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void databasePathFor();
    void removalReasonNames();
    void storeReopenReplay();
    void removeAndStats();
    void duplicateProofHash();
    void groupCommitBatches();
    void callbacksRunOnContextThread();
    void deadContextDropsCallback();
    void closeFlushesPending();
    void flushBlocksUntilCommitted();
    void refusesBadInput();
    void openErrors();
    void secondInstanceIsLocked();
    void diskFullFailsStoresThenRecovers();
    void periodicSync();
    void crashSafety();
    void replayStopsWhenContextDies();
    void storeRemoveThroughput();
    void replayLargeBacklogIsPaged();
    void benchmarkBacklog();
};

void TestRelayOutbox::databasePathFor()
{
    QCOMPARE(RelayOutbox::databasePathFor(QStringLiteral("/d/data/relays.pkt")), QStringLiteral("/d/data/relays.sqlite"));
    QCOMPARE(RelayOutbox::databasePathFor(QStringLiteral("/d/data/outbox.db")), QStringLiteral("/d/data/outbox.db"));
    QCOMPARE(RelayOutbox::databasePathFor(QStringLiteral("relays.PKT")), QStringLiteral("relays.sqlite"));
}

void TestRelayOutbox::removalReasonNames()
{
    QSet<QString> names;
    for (int i = 0; i < kRemovalReasonCount; ++i) {
        const QString name = removalReasonName(RemovalReason(i));
        QVERIFY(!name.isEmpty());
        QVERIFY(!name.contains(u' '));
        names.insert(name);
        QCOMPARE(removalReasonFromName(name), std::optional<RemovalReason>(RemovalReason(i)));
    }
    QCOMPARE(names.size(), kRemovalReasonCount);
    QCOMPARE(removalReasonName(RemovalReason::SessionInvalid), QStringLiteral("session_invalid"));
    QVERIFY(!removalReasonFromName(u"nope").has_value());
}

void TestRelayOutbox::storeReopenReplay()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("data/relays.sqlite")); // folder created by open()
    const QStringList nodes = {QStringLiteral("http://a:1"), QStringLiteral("http://b:2"), QStringLiteral("http://c:3")};
    QHash<QByteArray, OutboxRelay> stored;
    QObject context;
    {
        RelayOutbox outbox(optionsFor(path));
        QVERIFY2(outbox.open(), "open");
        Commits commits;
        for (int i = 0; i < 300; ++i) {
            const OutboxRelay r = makeRelay(i, nodes[i % 3], 200 + i);
            stored.insert(r.proofHash, r);
            outbox.store(r, &context, commits.callback());
        }
        QVERIFY(waitFor([&] { return commits.total() == 300; }));
        QCOMPARE(commits.ok, 300);
        const OutboxStats s = outbox.stats();
        QVERIFY(s.open);
        QCOMPARE(s.depth, 300);
        QCOMPARE(s.stored, 300u);
        QCOMPARE(s.nodes.size(), 3);
        QCOMPARE(s.nodes.value(nodes[1]).depth, 100);
        QCOMPARE(s.nodes.value(nodes[1]).oldestCreatedMs, kBaseMs + 1);
        QVERIFY(outbox.close());
        QVERIFY(!outbox.stats().open);
    }
    RelayOutbox reopened(optionsFor(path));
    QVERIFY2(reopened.open(), "reopen");
    const OutboxStats s = reopened.stats();
    QCOMPARE(s.depth, 300);
    QCOMPARE(s.stored, 0u); // counters count since open; depth comes from the database
    QCOMPARE(s.nodes.value(nodes[2]).depth, 100);
    QCOMPARE(s.nodes.value(nodes[2]).oldestCreatedMs, kBaseMs + 2);

    Replayed out;
    QVERIFY(replayAll(reopened, &context, out));
    QVERIFY2(out.error.isEmpty(), qPrintable(out.error));
    QCOMPARE(out.total, 300);
    QCOMPARE(out.relays.size(), 300);
    for (int i = 0; i < out.relays.size(); ++i) {
        const OutboxRelay& r = out.relays[i];
        QVERIFY(stored.contains(r.proofHash));
        QCOMPARE(r, stored.value(r.proofHash)); // every field round-trips exactly
        if (i > 0) QVERIFY(out.relays[i - 1].createdMs < r.createdMs); // oldest first
    }
}

void TestRelayOutbox::removeAndStats()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("relays.sqlite"));
    QObject context;
    RelayOutbox outbox(optionsFor(path));
    QVERIFY(outbox.open());
    Commits commits;
    for (int i = 0; i < 10; ++i) {
        OutboxRelay r = makeRelay(i, i < 5 ? QStringLiteral("http://a") : QStringLiteral("http://b"));
        r.createdMs = kBaseMs + 1000 * i; // one per second: "oldest" is exact across 1 s buckets
        outbox.store(r, &context, commits.callback());
    }
    QVERIFY(waitFor([&] { return commits.ok == 10; }));

    // Direct: runs in the worker thread (hence the atomic).
    std::atomic<int> batchSignals{0};
    connect(&outbox, &RelayOutbox::committedBatch, this, [&](int, int removed) { batchSignals += removed; },
            Qt::DirectConnection);
    outbox.remove(makeRelay(0).proofHash, RemovalReason::Delivered);
    outbox.remove(makeRelay(1).proofHash, RemovalReason::Rejected, QStringLiteral("code 74"));
    outbox.remove(makeRelay(2).proofHash, RemovalReason::SessionInvalid, QStringLiteral("code 90"));
    outbox.remove(makeRelay(3).proofHash, RemovalReason::Expired);
    outbox.remove(makeRelay(5).proofHash, RemovalReason::Delivered);
    outbox.remove(makeRelay(5).proofHash, RemovalReason::Delivered);    // twice: the second misses
    outbox.remove(makeRelay(999).proofHash, RemovalReason::Delivered);  // never stored
    outbox.flush();
    const OutboxStats s = outbox.stats();
    QCOMPARE(s.depth, 5);
    QCOMPARE(s.removed, 5u);
    QCOMPARE(s.removeMisses, 2u);
    QCOMPARE(s.removedFor(RemovalReason::Delivered), 2u);
    QCOMPARE(s.removedFor(RemovalReason::Rejected), 1u);
    QCOMPARE(s.removedFor(RemovalReason::SessionInvalid), 1u);
    QCOMPARE(s.removedFor(RemovalReason::Expired), 1u);
    QCOMPARE(s.queuedRemoves, 0);
    QCOMPARE(s.nodes.value(QStringLiteral("http://a")).depth, 1);
    QCOMPARE(s.nodes.value(QStringLiteral("http://a")).oldestCreatedMs, kBaseMs + 4000);
    QCOMPARE(s.nodes.value(QStringLiteral("http://b")).depth, 4);
    QVERIFY(waitFor([&] { return batchSignals.load() == 7; })); // signal carries the removes of each batch

    // Removing the last relay of a node drops the node from the stats.
    outbox.remove(makeRelay(4).proofHash, RemovalReason::KeyRemoved);
    outbox.flush();
    QVERIFY(!outbox.stats().nodes.contains(QStringLiteral("http://a")));

    Replayed out;
    QVERIFY(replayAll(outbox, &context, out));
    QCOMPARE(out.total, 4);
    QSet<QByteArray> left;
    for (const OutboxRelay& r : std::as_const(out.relays)) left.insert(r.proofHash);
    QCOMPARE(left, (QSet<QByteArray>{makeRelay(6).proofHash, makeRelay(7).proofHash, makeRelay(8).proofHash,
                                     makeRelay(9).proofHash}));
}

void TestRelayOutbox::duplicateProofHash()
{
    QTemporaryDir dir;
    QObject context;
    RelayOutbox outbox(optionsFor(dir.filePath(QStringLiteral("relays.sqlite"))));
    QVERIFY(outbox.open());
    Commits commits;
    OutboxRelay first = makeRelay(7);
    OutboxRelay again = makeRelay(7);
    again.body = "a different body with the same proof hash";
    outbox.store(first, &context, commits.callback());
    outbox.store(again, &context, commits.callback());
    QVERIFY(waitFor([&] { return commits.total() == 2; }));
    QCOMPARE(commits.ok, 2); // a repeat is the same relay: ok, not an error
    const OutboxStats s = outbox.stats();
    QCOMPARE(s.depth, 1);
    QCOMPARE(s.stored, 1u);
    QCOMPARE(s.duplicates, 1u);
    Replayed out;
    QVERIFY(replayAll(outbox, &context, out));
    QCOMPARE(out.relays.size(), 1);
    QCOMPARE(out.relays.first(), first); // the first one stays
}

void TestRelayOutbox::groupCommitBatches()
{
    QTemporaryDir dir;
    QObject context;
    RelayOutbox outbox(optionsFor(dir.filePath(QStringLiteral("relays.sqlite"))));
    QVERIFY(outbox.open());

    // A lone relay is committed at once (no batching timer).
    Commits one;
    QElapsedTimer lone;
    lone.start();
    outbox.store(makeRelay(-1), &context, one.callback());
    QVERIFY(waitFor([&] { return one.ok == 1; }));
    const qint64 loneUs = lone.nsecsElapsed() / 1000;

    constexpr int n = 10000;
    QList<OutboxRelay> relays;
    for (int i = 0; i < n; ++i) relays << makeRelay(i);
    Commits commits;
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < n; ++i) outbox.store(relays[i], &context, commits.callback());
    const qint64 enqueueUs = t.nsecsElapsed() / 1000;
    QVERIFY(waitFor([&] { return commits.total() == n; }, 120000));
    const qint64 totalUs = t.nsecsElapsed() / 1000;
    QCOMPARE(commits.ok, n);
    const OutboxStats s = outbox.stats();
    qInfo("group commit: %d stores in %lld batches (avg %.1f/batch, last commit %lld us, max %lld us); "
          "enqueue %.2f us/store; all committed in %lld ms; lone store callback after %lld us",
          n, qlonglong(s.batches - 1), double(n) / double(s.batches - 1), qlonglong(s.lastCommitUs),
          qlonglong(s.maxCommitUs), double(enqueueUs) / n, qlonglong(totalUs / 1000), qlonglong(loneUs));
    QVERIFY2(s.batches - 1 <= n / 10, qPrintable(QStringLiteral("%1 batches for %2 stores").arg(s.batches - 1).arg(n)));
    QVERIFY(s.batches >= 2);
    QCOMPARE(s.depth, n + 1);
}

void TestRelayOutbox::callbacksRunOnContextThread()
{
    QTemporaryDir dir;
    RelayOutbox outbox(optionsFor(dir.filePath(QStringLiteral("relays.sqlite"))));
    QVERIFY(outbox.open());
    QThread* const mainThread = QThread::currentThread();

    // (a) context in this thread.
    QObject context;
    std::atomic<QThread*> seenA{nullptr};
    outbox.store(makeRelay(1), &context, [&](bool ok, const QString&) {
        if (ok) seenA = QThread::currentThread();
    });
    QVERIFY(waitFor([&] { return seenA.load() != nullptr; }));
    QCOMPARE(seenA.load(), mainThread);

    // (b) context living in another thread with its own event loop.
    QThread other;
    other.start();
    auto* remoteContext = new QObject;
    remoteContext->moveToThread(&other);
    std::atomic<QThread*> seenB{nullptr};
    outbox.store(makeRelay(2), remoteContext, [&](bool ok, const QString&) {
        if (ok) seenB = QThread::currentThread();
    });
    QVERIFY(waitFor([&] { return seenB.load() != nullptr; }));
    QCOMPARE(seenB.load(), &other);

    // (c) store() called from a third thread for a context of this thread.
    std::atomic<QThread*> seenC{nullptr};
    std::unique_ptr<QThread> caller(QThread::create([&] {
        outbox.store(makeRelay(3), &context, [&](bool ok, const QString&) {
            if (ok) seenC = QThread::currentThread();
        });
    }));
    caller->start();
    QVERIFY(caller->wait(10000));
    QVERIFY(waitFor([&] { return seenC.load() != nullptr; }));
    QCOMPARE(seenC.load(), mainThread);

    remoteContext->deleteLater(); // in its own thread, at the latest when that thread finishes
    other.quit();
    QVERIFY(other.wait(10000));

    // The sink of the finished thread is gone; stores for this thread still get their callbacks.
    std::atomic<int> after{0};
    outbox.store(makeRelay(4), &context, [&](bool ok, const QString&) { after += ok ? 1 : 0; });
    QVERIFY(waitFor([&] { return after.load() == 1; }));
}

void TestRelayOutbox::deadContextDropsCallback()
{
    QTemporaryDir dir;
    RelayOutbox outbox(optionsFor(dir.filePath(QStringLiteral("relays.sqlite"))));
    QVERIFY(outbox.open());
    bool deadCalled = false;
    auto* dying = new QObject;
    outbox.store(makeRelay(1), dying, [&](bool, const QString&) { deadCalled = true; });
    delete dying;   // before this thread ever returns to its event loop
    outbox.flush(); // committed; its delivery is queued to this thread before the next one
    bool liveCalled = false;
    QObject live;
    outbox.store(makeRelay(2), &live, [&](bool ok, const QString&) { liveCalled = ok; });
    QVERIFY(waitFor([&] { return liveCalled; }));
    QVERIFY(!deadCalled);
    QCOMPARE(outbox.stats().depth, 2); // the relay itself was stored all the same
}

void TestRelayOutbox::closeFlushesPending()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("relays.sqlite"));
    QObject context;
    Commits commits;
    constexpr int n = 5000;
    {
        RelayOutbox outbox(optionsFor(path));
        QVERIFY(outbox.open());
        for (int i = 0; i < n; ++i) outbox.store(makeRelay(i), &context, commits.callback());
        outbox.remove(makeRelay(0).proofHash, RemovalReason::Delivered);
        QVERIFY(outbox.close()); // no event processing in between
        QVERIFY(!QFile::exists(path + QStringLiteral("-wal"))); // checkpointed into the database file
        QVERIFY(waitFor([&] { return commits.total() == n; }));
        QCOMPARE(commits.ok, n);

        Commits late;
        outbox.store(makeRelay(n), &context, late.callback());
        QVERIFY(waitFor([&] { return late.total() == 1; }));
        QCOMPARE(late.failed, 1);
        QVERIFY(late.lastError.contains(QLatin1String("not open")));
        QVERIFY(outbox.close()); // idempotent
    }
    RelayOutbox reopened(optionsFor(path));
    QVERIFY(reopened.open());
    QCOMPARE(reopened.stats().depth, n - 1);
}

void TestRelayOutbox::flushBlocksUntilCommitted()
{
    QTemporaryDir dir;
    RelayOutbox outbox(optionsFor(dir.filePath(QStringLiteral("relays.sqlite"))));
    QVERIFY(outbox.open());
    for (int i = 0; i < 3000; ++i) outbox.store(makeRelay(i), nullptr, {});
    outbox.flush();
    const OutboxStats s = outbox.stats();
    QCOMPARE(s.queuedStores, 0);
    QCOMPARE(s.stored, 3000u);
    QCOMPARE(s.depth, 3000);
}

void TestRelayOutbox::refusesBadInput()
{
    QTemporaryDir dir;
    QObject context;
    RelayOutbox outbox(optionsFor(dir.filePath(QStringLiteral("relays.sqlite"))));
    Commits beforeOpen;
    outbox.store(makeRelay(1), &context, beforeOpen.callback());
    QVERIFY(waitFor([&] { return beforeOpen.total() == 1; }));
    QCOMPARE(beforeOpen.failed, 1);

    QVERIFY(outbox.open());
    QVERIFY(!outbox.open()); // once
    Commits bad;
    OutboxRelay r = makeRelay(2);
    r.proofHash = r.proofHash.left(31);
    outbox.store(r, &context, bad.callback());
    QVERIFY(waitFor([&] { return bad.total() == 1; }));
    QCOMPARE(bad.failed, 1);
    QVERIFY(bad.lastError.contains(QLatin1String("32 bytes")));

    // Empty and null fields are stored as empty values and come back the same way.
    Commits empty;
    OutboxRelay bare;
    bare.proofHash = makeRelay(3).proofHash;
    outbox.store(bare, &context, empty.callback());
    QVERIFY(waitFor([&] { return empty.total() == 1; }));
    QVERIFY2(empty.ok == 1, qPrintable(empty.lastError));
    Replayed out;
    QVERIFY(replayAll(outbox, &context, out));
    QCOMPARE(out.relays.size(), 1);
    QCOMPARE(out.relays.first().proofHash, bare.proofHash);
    QVERIFY(out.relays.first().body.isEmpty());
    QVERIFY(outbox.stats().rejectedStores >= 2);
}

void TestRelayOutbox::openErrors()
{
    QTemporaryDir dir;
    QVERIFY(pocket::test::writeFile(dir.path(), QStringLiteral("file"), "x"));
    {   // the folder cannot be created: a file is in the way (we run as root: no permission games)
        RelayOutbox o(optionsFor(dir.filePath(QStringLiteral("file/relays.sqlite"))));
        const auto r = o.open();
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QLatin1String("cannot create the folder")), qPrintable(r.error().message));
        Commits c;
        QObject context;
        o.store(makeRelay(1), &context, c.callback());
        QVERIFY(waitFor([&] { return c.total() == 1; }));
        QCOMPARE(c.failed, 1);
    }
    {   // a folder at the path (what pogreb leaves behind)
        QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("relays.pkt")));
        RelayOutbox o(optionsFor(dir.filePath(QStringLiteral("relays.pkt"))));
        const auto r = o.open();
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QLatin1String("folder")), qPrintable(r.error().message));
    }
    {   // not a database at all
        QVERIFY(pocket::test::writeFile(dir.path(), QStringLiteral("garbage.sqlite"), QByteArray(8192, 'g')));
        RelayOutbox o(optionsFor(dir.filePath(QStringLiteral("garbage.sqlite"))));
        const auto r = o.open();
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QLatin1String("not a database")), qPrintable(r.error().message));
    }
    const QString foreign = dir.filePath(QStringLiteral("foreign.sqlite"));
    {   // an SQLite file of somebody else
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("foreign"));
        db.setDatabaseName(foreign);
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("CREATE TABLE things (x)")));
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("foreign"));
    {
        RelayOutbox o(optionsFor(foreign));
        const auto r = o.open();
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QLatin1String("not a pocket-mesh relay outbox")), qPrintable(r.error().message));
    }
    const QString newer = dir.filePath(QStringLiteral("newer.sqlite"));
    {
        RelayOutbox o(optionsFor(newer));
        QVERIFY(o.open());
    }
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("newer"));
        db.setDatabaseName(newer);
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("UPDATE meta SET value = '99' WHERE key = 'schema_version'")));
        q.finish();
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("newer"));
    {
        RelayOutbox o(optionsFor(newer));
        const auto r = o.open();
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QLatin1String("newer")), qPrintable(r.error().message));
    }
}

void TestRelayOutbox::secondInstanceIsLocked()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("relays.sqlite"));
    RelayOutbox first(optionsFor(path));
    QVERIFY(first.open());
    {
        RelayOutbox second(optionsFor(path));
        const auto r = second.open();
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QLatin1String("locked")), qPrintable(r.error().message));
    }
    QVERIFY(first.close());
    RelayOutbox third(optionsFor(path));
    QVERIFY(third.open());
}

void TestRelayOutbox::diskFullFailsStoresThenRecovers()
{
    QTemporaryDir dir;
    RelayOutboxOptions options = optionsFor(dir.filePath(QStringLiteral("relays.sqlite")));
    options.maxDatabaseBytes = 256 * 1024; // SQLite answers "database or disk is full" beyond this
    RelayOutbox outbox(options);
    QVERIFY(outbox.open());
    QObject context;
    std::atomic<int> failedSignals{0};
    connect(&outbox, &RelayOutbox::commitFailed, this, [&](const QString&) { ++failedSignals; },
            Qt::DirectConnection);
    QList<QByteArray> okHashes;
    int failed = 0;
    QString error;
    for (int i = 0; i < 200 && failed == 0; ++i) {
        const OutboxRelay r = makeRelay(i, QStringLiteral("http://a"), 8000);
        bool answered = false;
        outbox.store(r, &context, [&, hash = r.proofHash](bool ok, const QString& e) {
            answered = true;
            if (ok) okHashes << hash;
            else {
                ++failed;
                error = e;
            }
        });
        QVERIFY(waitFor([&] { return answered; }));
    }
    QVERIFY2(failed == 1, "the size cap was never reached");
    QVERIFY2(error.contains(QLatin1String("full")), qPrintable(error));
    QVERIFY(okHashes.size() > 5);
    const OutboxStats s = outbox.stats();
    QCOMPARE(s.failedBatches, 1u);
    QCOMPARE(s.depth, okHashes.size()); // the failed relay is not counted
    QVERIFY(s.lastError.contains(QLatin1String("full")));
    QVERIFY(waitFor([&] { return failedSignals.load() == 1; }));

    // Space freed by removals is reused: the outbox keeps working.
    for (const QByteArray& h : std::as_const(okHashes)) outbox.remove(h, RemovalReason::Delivered);
    Commits after;
    outbox.store(makeRelay(1000, QStringLiteral("http://a"), 8000), &context, after.callback());
    QVERIFY(waitFor([&] { return after.total() == 1; }));
    QVERIFY2(after.ok == 1, qPrintable(after.lastError));
    QCOMPARE(outbox.stats().depth, 1);
}

void TestRelayOutbox::periodicSync()
{
    QTemporaryDir dir;
    RelayOutboxOptions options = optionsFor(dir.filePath(QStringLiteral("relays.sqlite")));
    options.syncIntervalMs = 20;
    RelayOutbox outbox(options);
    QVERIFY(outbox.open());
    QObject context;
    Commits c;
    outbox.store(makeRelay(1), &context, c.callback());
    QVERIFY(waitFor([&] { return c.ok == 1; }));
    QVERIFY(waitFor([&] { return outbox.stats().syncs >= 1; }));
    QVERIFY(outbox.stats().lastSyncMs > 0);
    // Nothing new committed: no further checkpoint work is counted.
    const quint64 syncs = outbox.stats().syncs;
    outbox.flush();
    QVERIFY(outbox.stats().syncs <= syncs + 1);
}

void TestRelayOutbox::crashSafety()
{
    constexpr int n = 20000;
    constexpr int rounds = 4;
    for (int round = 0; round < rounds; ++round) {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("relays.sqlite"));
        // Round 0 kills right after the first commit; the others at a random point of the stream.
        const int killAfter = round == 0 ? 1 : int(QRandomGenerator::global()->bounded(100, n - 100));
        QProcess child;
        child.setProgram(QCoreApplication::applicationFilePath());
        child.setArguments({QStringLiteral("--crash-child"), path, QString::number(n)});
        child.setProcessChannelMode(QProcess::SeparateChannels);
        child.start();
        QVERIFY(child.waitForStarted());
        QByteArray out;
        QVERIFY(waitFor(
            [&] {
                out += child.readAllStandardOutput();
                return out.count('\n') >= killAfter || child.state() == QProcess::NotRunning;
            },
            120000));
        child.kill(); // SIGKILL
        QVERIFY(child.waitForFinished(10000));
        out += child.readAllStandardOutput();
        const QByteArray err = child.readAllStandardError();
        QVERIFY2(err.isEmpty(), err.constData());

        QSet<QByteArray> committed;
        const QList<QByteArray> lines = out.split('\n');
        for (qsizetype i = 0; i + 1 < lines.size(); ++i) { // the last piece has no newline: incomplete
            QVERIFY2(lines[i].startsWith("c "), lines[i].constData());
            committed.insert(makeRelay(lines[i].mid(2).toInt()).proofHash);
        }
        QVERIFY(!committed.isEmpty());

        QHash<QByteArray, OutboxRelay> expected;
        for (int i = 0; i < n; ++i) {
            const OutboxRelay r = makeRelay(i);
            expected.insert(r.proofHash, r);
        }
        RelayOutbox reopened(optionsFor(path));
        const auto opened = reopened.open();
        QVERIFY2(opened, opened ? "" : qPrintable(opened.error().message));
        QObject context;
        Replayed replayed;
        QVERIFY(replayAll(reopened, &context, replayed));
        QSet<QByteArray> present;
        for (const OutboxRelay& r : std::as_const(replayed.relays)) {
            QVERIFY(expected.contains(r.proofHash));
            QCOMPARE(r, expected.value(r.proofHash)); // no torn rows
            present.insert(r.proofHash);
        }
        int lost = 0;
        for (const QByteArray& h : std::as_const(committed)) lost += present.contains(h) ? 0 : 1;
        qInfo("crash round %d: SIGKILL after %d callbacks seen; %lld confirmed commits, %lld rows present, %d lost",
              round, killAfter, qlonglong(committed.size()), qlonglong(present.size()), lost);
        QCOMPARE(lost, 0);
        QCOMPARE(reopened.stats().depth, present.size());
        QVERIFY(reopened.close());

        // The file is a sound SQLite database after the crash and the recovery.
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("check"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("PRAGMA integrity_check")) && q.next());
            QCOMPARE(q.value(0).toString(), QStringLiteral("ok"));
            q.finish();
            db.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("check"));
    }
}

void TestRelayOutbox::replayStopsWhenContextDies()
{
    QTemporaryDir dir;
    RelayOutboxOptions options = optionsFor(dir.filePath(QStringLiteral("relays.sqlite")));
    options.replayPageSize = 1000;
    RelayOutbox outbox(options);
    QVERIFY(outbox.open());
    constexpr int n = 30000;
    for (int i = 0; i < n; ++i) outbox.store(makeRelay(i, QStringLiteral("http://a"), 100), nullptr, {});
    outbox.flush();

    auto* dying = new QObject;
    int dyingPages = 0;
    bool dyingDone = false;
    outbox.replay(
        dying,
        [&](QList<OutboxRelay>) {
            ++dyingPages;
            delete dying; // the consumer goes away in the middle of the replay
        },
        [&](qint64, const QString&) { dyingDone = true; });

    // A second replay runs to its end meanwhile; by then the first one had every chance to go on.
    QObject context;
    Replayed second;
    QVERIFY(replayAll(outbox, &context, second));
    QCOMPARE(second.total, n);
    QCOMPARE(dyingPages, 1);
    QVERIFY(!dyingDone);
    // The first replay read at most the pages already in flight when its context died, not all 30.
    const quint64 firstRead = outbox.stats().replayedRelays - quint64(n);
    QVERIFY2(firstRead <= 3 * 1000, qPrintable(QString::number(firstRead)));
}

void TestRelayOutbox::storeRemoveThroughput()
{
    // The steady state of a mesh: every relay is stored, and removed once its notification is done.
    constexpr int n = 100000;
    constexpr int window = 5000; // relays waiting for their commit (HTTP requests in flight)
    QList<OutboxRelay> relays;
    relays.reserve(n);
    for (int i = 0; i < n; ++i) relays << makeRelay(i, QStringLiteral("http://node-%1").arg(i % 4));
    QTemporaryDir dir;
    RelayOutboxOptions options = optionsFor(dir.filePath(QStringLiteral("relays.sqlite")));
    options.syncIntervalMs = 200; // the periodic checkpoint must also get its turn under constant load
    RelayOutbox outbox(options);
    QVERIFY(outbox.open());
    QObject context;
    int sent = 0, committed = 0, failed = 0;
    QElapsedTimer t;
    t.start();
    while (committed + failed < n) {
        for (; sent < n && sent - committed - failed < window; ++sent) {
            outbox.store(relays[sent], &context, [&, hash = relays[sent].proofHash](bool ok, const QString&) {
                ok ? ++committed : ++failed;
                if (ok) outbox.remove(hash, RemovalReason::Delivered); // "notified" right away
            });
        }
        QVERIFY(waitFor([&] { return sent < n ? sent - committed - failed < window : committed + failed == n; },
                        60000));
    }
    outbox.flush();
    const double secs = double(t.nsecsElapsed()) / 1e9;
    QCOMPARE(failed, 0);
    const OutboxStats s = outbox.stats();
    QCOMPARE(s.depth, 0);
    QCOMPARE(s.removedFor(RemovalReason::Delivered), quint64(n));
    qInfo("store+remove: %d relays in %.2f s = %.0f relays/s wall; outbox thread CPU %.1f us/relay (= %.0f "
          "relays/s per core); %llu batches, avg %.0f operations, max commit %.1f ms; %llu periodic syncs",
          n, secs, n / secs, double(s.workerCpuUs) / n, n / (double(s.workerCpuUs) / 1e6),
          qulonglong(s.batches), s.averageBatchSize(), double(s.maxCommitUs) / 1000.0, qulonglong(s.syncs));
    if (secs > 1.0) QVERIFY(s.syncs >= 1);
}

void TestRelayOutbox::replayLargeBacklogIsPaged()
{
    const int n = qEnvironmentVariableIsSet("POCKET_OUTBOX_REPLAY_RELAYS")
                      ? qEnvironmentVariableIntValue("POCKET_OUTBOX_REPLAY_RELAYS")
                      : 200000;
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("relays.sqlite"));
    RelayOutboxOptions options = optionsFor(path);
    QObject context;
    {
        RelayOutbox outbox(options);
        QVERIFY(outbox.open());
        // Like HTTP threads: at most `window` relays waiting for their commit at any time.
        constexpr int window = 20000;
        Commits commits;
        int sent = 0;
        qint64 inStoreNs = 0;
        QElapsedTimer t;
        t.start();
        while (sent < n) {
            QVERIFY(waitFor([&] { return sent - commits.total() < window; }, 60000));
            const int until = qMin(n, commits.total() + window);
            QElapsedTimer call;
            call.start();
            for (; sent < until; ++sent) outbox.store(makeRelay(sent, QStringLiteral("http://node-%1").arg(sent % 4)), &context, commits.callback());
            inStoreNs += call.nsecsElapsed();
        }
        QVERIFY(waitFor([&] { return commits.total() == n; }, 120000));
        const double secs = double(t.nsecsElapsed()) / 1e9;
        QCOMPARE(commits.ok, n);
        const OutboxStats s = outbox.stats();
        qInfo("store: %d relays (700 B bodies) in %.2f s = %.0f relays/s wall; outbox thread CPU %.1f us/relay "
              "(= %.0f relays/s per core); %.2f us per store() call on the caller's thread (incl. building the "
              "relay); %llu batches, avg %.0f, max commit %.1f ms",
              n, secs, n / secs, double(s.workerCpuUs) / n, n / (double(s.workerCpuUs) / 1e6),
              double(inStoreNs) / 1000.0 / n, qulonglong(s.batches), s.averageBatchSize(),
              double(s.maxCommitUs) / 1000.0);
        QVERIFY(outbox.close());
    }

    RelayOutbox outbox(options);
    QElapsedTimer openTimer;
    openTimer.start();
    QVERIFY(outbox.open());
    const qint64 openMs = openTimer.elapsed();
    QCOMPARE(outbox.stats().depth, n);
    QCOMPARE(outbox.stats().nodes.size(), 4);

    // Memory bound: while this thread does not consume pages, the worker stops after
    // replayPagesInFlight pages instead of reading the whole backlog into the event queue.
    const qint64 rssBefore = rssKiB("VmRSS:");
    const int pageSize = options.replayPageSize;
    const quint64 window = quint64(options.replayPagesInFlight) * quint64(pageSize);
    Replayed out;
    QSet<QByteArray> seen;
    seen.reserve(n);
    bool ordered = true;
    qint64 lastCreated = -1;
    qint64 highWaterKiB = 0;
    QElapsedTimer t;
    t.start();
    outbox.replay(
        &context,
        [&](QList<OutboxRelay> page) {
            ++out.pages;
            out.largestPage = qMax(out.largestPage, page.size());
            for (const OutboxRelay& r : std::as_const(page)) {
                seen.insert(r.proofHash);
                ordered = ordered && r.createdMs > lastCreated;
                lastCreated = r.createdMs;
            }
            if (out.pages % 10 == 0) highWaterKiB = qMax(highWaterKiB, rssKiB("VmRSS:"));
        },
        [&](qint64 total, const QString& error) {
            out.total = total;
            out.error = error;
            out.done = true;
        });
    if (n > 2 * pageSize) {
        QDeadlineTimer deadline(30000);
        while (outbox.stats().replayedRelays < window && !deadline.hasExpired()) QThread::msleep(1);
        QCOMPARE(outbox.stats().replayedRelays, window);
        QDeadlineTimer hold(200); // no event processing here: nothing may be acknowledged
        while (!hold.hasExpired()) {
            QVERIFY(outbox.stats().replayedRelays <= window);
            QThread::msleep(5);
        }
    }
    QVERIFY(waitFor([&] { return out.done; }, 300000));
    const double secs = double(t.nsecsElapsed()) / 1e9 - (n > 2 * pageSize ? 0.2 : 0.0);
    QVERIFY2(out.error.isEmpty(), qPrintable(out.error));
    QCOMPARE(out.total, n);
    QCOMPARE(seen.size(), n);
    QVERIFY(ordered);
    QVERIFY(out.largestPage <= pageSize);
    QCOMPARE(out.pages, (n + pageSize - 1) / pageSize);
    const double replayCpuUs = double(outbox.stats().workerCpuUs);
    qInfo("replay: %d relays in %d pages in %.2f s = %.0f relays/s wall; outbox thread CPU %.1f us/relay "
          "(= %.0f relays/s per core); open() with stats load %lld ms; RSS %lld KiB before, high water %lld KiB "
          "during",
          n, out.pages, secs, n / secs, replayCpuUs / n, n / (replayCpuUs / 1e6), qlonglong(openMs),
          qlonglong(rssBefore), qlonglong(highWaterKiB));
}

void TestRelayOutbox::benchmarkBacklog()
{
    // A measurement, not an assertion: POCKET_OUTBOX_BENCH_RELAYS=1000000 ./tst_relayoutbox benchmarkBacklog
    const int n = qEnvironmentVariableIntValue("POCKET_OUTBOX_BENCH_RELAYS");
    if (n <= 0) QSKIP("set POCKET_OUTBOX_BENCH_RELAYS to run");
    qputenv("POCKET_OUTBOX_REPLAY_RELAYS", QByteArray::number(n));
    replayLargeBacklogIsPaged();
}

int main(int argc, char** argv)
{
    if (argc >= 2 && qstrcmp(argv[1], "--crash-child") == 0) return crashChild(argc, argv);
    QCoreApplication app(argc, argv);
    TestRelayOutbox test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_relayoutbox.moc"
