// Notifier against a scripted servicer: the observer hook (one NotifyEvent per outcome, for metrics) and the
// per-node stats the admin API reads.
#include <QTemporaryDir>
#include <QTest>

#include "fakeservicer.h"
#include "protocol/crypto.h"
#include "servicer/notifier.h"
#include "testsupport.h"

using namespace pocket;
using namespace pocket::test;

class TestNotifier : public QObject
{
    Q_OBJECT

private:
    struct Fixture
    {
        explicit Fixture(FakeServicer::Answer answer, NotifierOptions options = {}, int pageSize = 5000)
            : servicer(std::move(answer)),
              outbox(RelayOutboxOptions{dir.filePath(QStringLiteral("o.sqlite")), 3600, 2000, pageSize, 2})
        {
            identity.publicKeyHex = QByteArray(64, 'b');
            identity.addressHex = QByteArray(40, 'c');
            identity.nodeUrl = servicer.url();
            auto ring = std::make_shared<KeyRing>();
            ring->add(identity);
            keys = ring;
            NodeStatus status;
            status.url = servicer.url();
            status.checked = true;
            status.heights = HeightView{10, 4, 1}; // latest session 9, session 5 still claimable, 1 expired
            nodes.upsert(status);
            client = std::make_unique<ServicerClient>(&http, ServicerClientOptions{"token"});
            notifier = std::make_unique<Notifier>(client.get(), &sessions, &nodes, &outbox,
                                                  [this] { return keys; }, options);
        }
        OutboxRelay relay(int i, qint64 sessionHeight = 9) const
        {
            OutboxRelay r;
            r.proofHash = crypto::sha3_256(QByteArray::number(i));
            r.nodeUrl = identity.nodeUrl;
            r.servicerAddress = identity.addressHex;
            r.chain = "0021";
            r.appPubKey = QByteArray(64, 'a');
            r.sessionHeight = sessionHeight;
            r.body = crypto::hexEncode(r.proofHash);
            r.createdMs = 1000 + i;
            return r;
        }

        QTemporaryDir dir;
        FakeServicer servicer;
        RelayOutbox outbox;
        ServicerIdentity identity;
        KeyRingPtr keys;
        NodeStatusTable nodes;
        SessionCache sessions;
        HttpClient http;
        std::unique_ptr<ServicerClient> client;
        std::unique_ptr<Notifier> notifier;
    };

    static QByteArray pocketError(int code)
    {
        return QByteArrayLiteral(R"({"error":{"code":)") + QByteArray::number(code)
               + QByteArrayLiteral(R"(,"codespace":"pocketcore","message":"x"}})");
    }

private Q_SLOTS:
    void observerSeesEveryOutcome()
    {
        // Relay 1 is delivered, relay 2 rejected for good (76), relay 3 fails once (HTTP 500) then is delivered,
        // relay 4's session expired before any attempt.
        QHash<QByteArray, int> calls;
        Fixture f([&calls](const QByteArray&, const QByteArray& body) -> FakeReply {
            const int n = ++calls[body];
            if (body == crypto::hexEncode(crypto::sha3_256("2"))) return {400, pocketError(76)};
            if (body == crypto::hexEncode(crypto::sha3_256("3")) && n == 1) return {500, "oops", "text/plain"};
            return {};
        });
        QVERIFY(f.outbox.open());
        QList<NotifyEvent> events;
        f.notifier->setObserver([&events](const NotifyEvent& e) { events.append(e); });
        QHash<QByteArray, QString> finished;
        connect(f.notifier.get(), &Notifier::relayFinished, this,
                [&finished](const QByteArray& hash, const QString& outcome) { finished.insert(hash, outcome); });
        for (int i = 1; i <= 3; ++i) f.notifier->submit(f.relay(i));
        f.notifier->submit(f.relay(4, 1));
        QVERIFY(waitFor([&] { return finished.size() == 4; }));

        QCOMPARE(events.size(), 5); // 1 delivered, 2 rejected, 3 retried + delivered, 4 expired
        int delivered = 0, retried = 0;
        QHash<QString, int> removed;
        for (const NotifyEvent& e : events) {
            QCOMPARE(e.chain, QByteArray("0021"));
            QCOMPARE(e.servicerAddressHex, f.identity.addressHex);
            QCOMPARE(e.nodeUrl, f.servicer.url());
            QVERIFY(e.durationMs >= 0);
            if (e.delivered) {
                ++delivered;
                QCOMPARE(e.httpStatus, 200);
                QVERIFY(e.removalReason.isEmpty());
                QVERIFY(e.attempted);
                QVERIFY(!e.error);
            } else if (e.removalReason.isEmpty()) {
                ++retried;
                QCOMPARE(e.httpStatus, 500);
                QVERIFY(!e.error);
            } else {
                ++removed[e.removalReason];
                if (e.removalReason == QLatin1String("rejected")) {
                    QVERIFY(e.attempted);
                    QCOMPARE(e.httpStatus, 400);
                    QVERIFY(e.error);
                    QCOMPARE(e.error->code, 76u);
                } else {
                    QCOMPARE(e.removalReason, QStringLiteral("expired"));
                    QVERIFY(!e.attempted);
                    QCOMPARE(e.httpStatus, 0);
                }
            }
        }
        QCOMPARE(delivered, 2);
        QCOMPARE(retried, 1);
        QCOMPARE(removed.value(QStringLiteral("rejected")), 1);
        QCOMPARE(removed.value(QStringLiteral("expired")), 1);
        QCOMPARE(calls.value(f.relay(4).body), 0); // an expired relay is never sent

        const QList<NodeQueueStats> stats = f.notifier->stats();
        QCOMPARE(stats.size(), 1);
        QCOMPARE(stats[0].nodeUrl, f.servicer.url());
        QCOMPARE(stats[0].delivered, 2);
        QCOMPARE(stats[0].retries, 1);
        QCOMPARE(stats[0].queued + stats[0].waiting + stats[0].inFlight, 0);
        QCOMPARE(stats[0].oldestCreatedMs, 0); // nothing held
        QCOMPARE(stats[0].removedByReason.value(QStringLiteral("rejected")), 1);
        QCOMPARE(stats[0].removedByReason.value(QStringLiteral("expired")), 1);
    }

    void statsShowWaitingRelaysAndTheOldest()
    {
        // The servicer answers a retryable error to everything: the relays wait (back off) and stay counted.
        Fixture f([](const QByteArray&, const QByteArray&) -> FakeReply { return {503, "busy", "text/plain"}; },
                  NotifierOptions{50, 60'000, 60'000, 1000});
        QVERIFY(f.outbox.open());
        int outcomes = 0;
        f.notifier->setObserver([&outcomes](const NotifyEvent&) { ++outcomes; });
        f.notifier->submit(f.relay(7));
        f.notifier->submit(f.relay(3));
        QVERIFY(waitFor([&] { return outcomes == 2; }));
        const QList<NodeQueueStats> stats = f.notifier->stats();
        QCOMPARE(stats.size(), 1);
        QCOMPARE(stats[0].waiting, 2);
        QCOMPARE(stats[0].retries, 2);
        QCOMPARE(stats[0].oldestCreatedMs, f.relay(3).createdMs);
        QCOMPARE(f.notifier->pending(), 2);
    }

    void replayPullsPagesAndDeliversEachRelayOnce()
    {
        // 3 000 stored relays, pages of 100, at most 2 pages leased, next page once ≤ 50 replayed relays are
        // held: the notifier never holds more than 50 + 2·100 of them, and each is notified exactly once.
        constexpr int kRelays = 3000;
        QHash<QByteArray, int> calls;
        NotifierOptions options;
        options.replayLowWater = 50;
        Fixture f(
            [&calls](const QByteArray&, const QByteArray& body) -> FakeReply {
                ++calls[body];
                return {};
            },
            options, 100);
        QVERIFY(f.outbox.open());
        int committed = 0;
        for (int i = 0; i < kRelays; ++i)
            f.outbox.store(f.relay(i), this, [&committed](bool ok, const QString&) { committed += ok; });
        QVERIFY(waitFor([&] { return committed == kRelays; }));

        qint64 maxPending = 0;
        int delivered = 0;
        f.notifier->setObserver([&](const NotifyEvent& e) {
            maxPending = std::max(maxPending, f.notifier->pending());
            delivered += e.delivered;
        });
        qint64 pages = 0, relaysSeen = 0, total = -1;
        QString error = QStringLiteral("not done");
        f.notifier->replay(
            [&](const QList<OutboxRelay>& page) {
                ++pages;
                relaysSeen += page.size();
                maxPending = std::max(maxPending, f.notifier->pending());
            },
            [&](qint64 n, const QString& e) {
                total = n;
                error = e;
            });
        QVERIFY(waitFor([&] { return delivered == kRelays && total >= 0; }, 60000));
        QCOMPARE(total, kRelays);
        QVERIFY(error.isEmpty());
        QCOMPARE(pages, kRelays / 100);
        QCOMPARE(relaysSeen, kRelays);
        QVERIFY2(maxPending <= 50 + 2 * 100, qPrintable(QString::number(maxPending)));
        QCOMPARE(calls.size(), kRelays);
        for (auto it = calls.cbegin(); it != calls.cend(); ++it) QCOMPARE(it.value(), 1);
        f.outbox.flush();
        QCOMPARE(f.outbox.stats().depth, 0);
        QCOMPARE(f.notifier->pending(), 0);
        // Each replayed proof is back in its session's duplicate set (DECISIONS 3 across restarts).
        const QByteArray key = SessionCache::sessionKey(QByteArray(64, 'a'), "0021", 9, f.identity.publicKeyHex);
        QCOMPARE(f.sessions.get(key)->relaysAdmitted, kRelays);
        QCOMPARE(f.sessions.get(key)->relaysInFlight, 0);
    }

    void replayOfRelaysWhoseKeyIsGoneStillEnds()
    {
        // Every relay of the page is removed at once (key_removed): leases are released without any reply.
        NotifierOptions options;
        options.replayLowWater = 10;
        Fixture f([](const QByteArray&, const QByteArray&) -> FakeReply { return {}; }, options, 20);
        QVERIFY(f.outbox.open());
        int committed = 0;
        for (int i = 0; i < 200; ++i) {
            OutboxRelay r = f.relay(i);
            r.servicerAddress = QByteArray(40, 'd'); // not in the key ring
            f.outbox.store(r, this, [&committed](bool ok, const QString&) { committed += ok; });
        }
        QVERIFY(waitFor([&] { return committed == 200; }));
        qint64 total = -1;
        f.notifier->replay({}, [&](qint64 n, const QString&) { total = n; });
        QVERIFY(waitFor([&] { return total >= 0; }));
        QCOMPARE(total, 200);
        f.outbox.flush();
        QCOMPARE(f.outbox.stats().depth, 0);
        QCOMPARE(f.outbox.stats().removedFor(RemovalReason::KeyRemoved), 200u);
        QCOMPARE(f.servicer.requests(), 0);
    }
};

QTEST_GUILESS_MAIN(TestNotifier)
#include "tst_notifier.moc"
