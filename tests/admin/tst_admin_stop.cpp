// Graceful stop through POST /v1/private/mesh/stop (issue 5 item 9, PROTOCOL §6.2, §12.4): the mesh answers,
// finishes the request in flight (its relay answered and stored), closes the outbox and exits 0, like on
// SIGTERM; at the next start every stored relay is replayed and delivered exactly once.
#include <QSet>
#include <QTest>

#include "admintest.h"

using namespace pocket;
using namespace pocket::test;

class TestAdminStop : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(crypto::init()); }

    void stopRouteDrainsAndReplays()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({}, &error), qPrintable(error));
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        net.emulatorAdmin("POST", "/admin/fail", {{"status", 500}, {"ms", 3600000}, {"path", "/v1/private/mesh/relay"}});

        const TestKey servicer = localnetServicer(0);
        const RelayBatch batch = relaysFor(servicer, 6, 9300000);
        for (int i = 0; i < 5; ++i) {
            const QString why = checkRelaySuccess(net.postRelay(batch.bodies.at(i)), batch.proofHashes.at(i).toLatin1(),
                                                  servicer.publicKeyHex);
            QVERIFY2(why.isEmpty(), qPrintable(why));
        }
        QVERIFY2(waitFor([&] { return outboxDepth(net) == 5; }, 10000), qPrintable(net.meshLogTail()));

        // The sixth relay is in its chain call (slowed down) when the stop arrives.
        net.chainAdmin("POST", "/admin/config", {{"latency_ms", 1500}});
        const int chainRequests = net.chainAdmin("GET", "/admin/stats").value("requests").toInt();
        QObject context;
        std::optional<Answer> inFlight;
        net.requestAsync(net.relayRequest(batch.bodies.at(5)), &context, [&](Answer a) { inFlight = a; });
        QVERIFY(waitFor([&] { return net.chainAdmin("GET", "/admin/stats").value("requests").toInt() > chainRequests; },
                        10000));
        QVERIFY(!inFlight);

        const Answer stop = admin(net, "POST", "stop");
        QCOMPARE(stop.status, 200);
        QCOMPARE(stop.body, QByteArray("{\"stopping\":true}\n"));
        QVERIFY2(waitFor([&] { return inFlight.has_value(); }, 15000), "the relay in flight was not answered");
        const QString why = checkRelaySuccess(*inFlight, batch.proofHashes.at(5).toLatin1(), servicer.publicKeyHex);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        int code = -1;
        QVERIFY2(net.waitMeshExit(30000, &code), qPrintable(net.meshLogTail()));
        QCOMPARE(code, 0);
        const QByteArray log = net.meshLog();
        QVERIFY(log.contains("graceful stop requested through the admin API"));
        QVERIFY(log.contains("mesh node stopped"));
        QVERIFY(!log.contains("outbox close:")); // closed without error
        QVERIFY(QFileInfo::exists(net.dataDir() + "/data/relays.sqlite"));
        QCOMPARE(net.request("GET", net.meshUrl() + "/v1/private/mesh/health", {}, {{"Authorization", net.meshToken()}},
                             3000).status, 0);

        // Next start: all six relays replayed and delivered once.
        net.chainAdmin("POST", "/admin/config", {{"latency_ms", 0}});
        net.emulatorAdmin("POST", "/admin/fail", {{"ms", 0}, {"count", 0}});
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        QCOMPARE(admin(net, "GET", "health").json().value("replayed").toInt(), 6);
        QVERIFY2(waitFor([&] { return outboxDepth(net) == 0; }, 60000), qPrintable(net.meshLogTail()));
        const QStringList evidence = evidenceProofHashes(net.evidence());
        QCOMPARE(QSet<QString>(evidence.begin(), evidence.end()),
                 QSet<QString>(batch.proofHashes.begin(), batch.proofHashes.end()));
        QCOMPARE(evidence.size(), 6);

        QVERIFY2(net.stopMesh(&error), qPrintable(error + "\n" + net.meshLogTail()));
        QVERIFY2(net.stopLocalnet(&error), qPrintable(error));
        const QStringList reports = net.sanitizerReports();
        QVERIFY2(reports.isEmpty(), qPrintable(reports.join('\n')));
    }
};

QTEST_GUILESS_MAIN(TestAdminStop)
#include "tst_admin_stop.moc"
