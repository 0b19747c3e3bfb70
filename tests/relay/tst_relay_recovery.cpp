// DECISIONS 4 with real processes: a relay that was answered is delivered to the servicer exactly once,
// whatever happens in between — the servicer answering 500 for a while, the servicer unreachable, the mesh
// killed with SIGKILL and restarted on the same data directory, a relay the servicer already holds.
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTest>

#include "meshnet.h"
#include "protocol/crypto.h"
#include "testsupport.h"

using namespace pocket;
using namespace pocket::test;

class TestRelayRecovery : public QObject
{
    Q_OBJECT

private:
    VectorKeys m_keys;
    qint64 m_entropy = 900000;

    struct Batch
    {
        QList<QByteArray> bodies;
        QSet<QByteArray> proofHashes;
    };

    Batch makeBatch(int n) { return makeBatch(m_keys, n); }
    Batch makeBatch(const VectorKeys& keys, int n)
    {
        Batch b;
        for (int i = 0; i < n; ++i) {
            Payload p;
            // (No raw string literal here: moc 6.4 loses the class after this one.)
            const QByteArray address = QByteArray::number(i, 16).rightJustified(40, '0');
            p.data = "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getBalance\",\"params\":[\"0x" + address
                     + "\",\"latest\"],\"id\":1}";
            p.method = "POST";
            const Relay r = craftRelay(keys, p, keys.sessionHeight, ++m_entropy);
            b.bodies.append(jsRelayBody(r));
            b.proofHashes.insert(proofHashHexOf(r));
        }
        return b;
    }

    // Sends the batch concurrently; every relay must be served with a valid servicer signature.
    static bool serveAll(MeshNet& net, const Batch& batch, const VectorKeys& /*keys*/, QString* why)
    {
        QList<HttpRequest> requests;
        for (const QByteArray& body : batch.bodies) requests.append(net.relayRequest(body));
        const QList<Answer> answers = net.requestAll(requests);
        for (int i = 0; i < answers.size(); ++i) {
            const Relay r = *decodeRelay(batch.bodies.at(i));
            const QString e = checkRelaySuccess(answers.at(i), proofHashHexOf(r), r.proof.servicerPubKey);
            if (!e.isEmpty()) {
                *why = QStringLiteral("relay %1: %2").arg(i).arg(e);
                return false;
            }
        }
        return true;
    }

    static int outboxDepth(MeshNet& net)
    {
        return net.meshHealth().value("outbox").toObject().value("depth").toInt(-1);
    }

    static int injectedFailures(MeshNet& net)
    {
        return net.emulatorAdmin("GET", "/admin/state").value("requests").toObject().value("injected_failure").toInt();
    }

    static QSet<QByteArray> storedHashes(const QJsonObject& ev)
    {
        QSet<QByteArray> out;
        for (const QString& h : evidenceProofHashes(ev)) out.insert(h.toLatin1());
        return out;
    }

    static void finish(MeshNet& net)
    {
        QString error;
        const bool meshStopped = net.stopMesh(&error);
        QVERIFY2(meshStopped, qPrintable(error + "\n" + net.meshLogTail()));
        QVERIFY2(net.stopLocalnet(&error), qPrintable(error));
        const QStringList reports = net.sanitizerReports();
        QVERIFY2(reports.isEmpty(), qPrintable(reports.join('\n')));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(crypto::init());
        m_keys = vectorKeys();
    }

    // The emulator answers 500 to every notification until the test lifts it; a few relays meanwhile reach
    // the servicer another way (the emulator's own /v1/client/relay, as if a client had sent them there too).
    // Every relay stays in the outbox through many failed attempts (the reference gave up after 4), then each
    // is delivered once; the ones the servicer already held get 37, which ends them without a second piece
    // of evidence.
    void servicerAnswers500ForAWhile()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({}, &error), qPrintable(error));
        QCOMPARE(net.info().value("servicer_public_key").toString().toLatin1(), m_keys.servicer.publicKeyHex);
        QVERIFY2(net.startMesh(&error), qPrintable(error));

        const QJsonObject failing = net.emulatorAdmin(
            "POST", "/admin/fail", {{"status", 500}, {"ms", 3600000}, {"path", "/v1/private/mesh/relay"}});
        QCOMPARE(failing.value("fail_status").toInt(), 500);

        const int n = 30, alreadyHeld = 4;
        const Batch batch = makeBatch(n);
        QVERIFY2(serveAll(net, batch, m_keys, &error), qPrintable(error));
        QCOMPARE(outboxDepth(net), n);

        // At least five failed notifications per relay on average, i.e. beyond the reference's retry limit.
        QVERIFY2(waitFor([&] { return injectedFailures(net) >= 5 * n; }, 120000),
                 qPrintable(QStringLiteral("injected failures: %1").arg(injectedFailures(net))));
        QCOMPARE(outboxDepth(net), n);
        QCOMPARE(net.evidence().value("total_accepted").toInt(), 0);

        for (int i = 0; i < alreadyHeld; ++i) {
            const Answer a = net.request("POST", net.emulatorUrl() + "/v1/client/relay", batch.bodies.at(i),
                                         {{"Content-Type", "application/json"}});
            QVERIFY2(a.status == 200, a.body.constData());
        }
        QCOMPARE(net.evidence().value("accepted_from_client_relay").toInt(), alreadyHeld);

        net.emulatorAdmin("POST", "/admin/fail", {{"ms", 0}, {"count", 0}});
        QVERIFY2(waitFor([&] { return outboxDepth(net) == 0; }, 120000), qPrintable(net.meshLogTail()));
        // A 37 is not a delivery: the mesh counts only the relays the servicer accepted from it.
        QCOMPARE(net.meshHealth().value("outbox").toObject().value("delivered").toInt(), n - alreadyHeld);

        const QJsonObject ev = net.evidence();
        QCOMPARE(ev.value("total_accepted").toInt(), n);
        QCOMPARE(ev.value("accepted_from_notify").toInt(), n - alreadyHeld);
        QCOMPARE(ev.value("accepted_from_client_relay").toInt(), alreadyHeld);
        QCOMPARE(storedHashes(ev), batch.proofHashes);
        QCOMPARE(evidenceProofHashes(ev).size(), n);
        // Exactly one duplicate answer per relay the servicer already held: none was sent twice after that.
        const QJsonObject rejected = ev.value("rejected_by_code").toObject();
        QVERIFY2(rejected.keys() == QStringList{QStringLiteral("37")} && rejected.value("37").toInt() == alreadyHeld,
                 QJsonDocument(rejected).toJson().constData());

        finish(net);
    }

    // Relays wait in the outbox while the emulator fails every notification; the emulator then refuses all
    // connections and the mesh is killed with SIGKILL; it restarts on the same data directory (against the
    // unreachable emulator) and replays its outbox. Once notifications succeed, every relay is delivered
    // exactly once and nothing else reaches the servicer.
    void killedWhileServicerUnreachable()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({}, &error), qPrintable(error));
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        net.emulatorAdmin("POST", "/admin/fail",
                          {{"status", 500}, {"ms", 3600000}, {"path", "/v1/private/mesh/relay"}});

        const int n = 40;
        const Batch batch = makeBatch(n);
        QVERIFY2(serveAll(net, batch, m_keys, &error), qPrintable(error));
        QCOMPARE(outboxDepth(net), n);
        QVERIFY2(waitFor([&] { return injectedFailures(net) >= n; }, 60000), "no notification attempts");
        QCOMPARE(net.evidence().value("total_accepted").toInt(), 0);

        // Unreachable, then SIGKILL while every relay is still waiting.
        const QJsonObject refusing = net.emulatorAdmin("POST", "/admin/refuse", {{"ms", 3000}});
        QVERIFY(refusing.value("refusing").toBool());
        net.killMesh();
        QVERIFY(!net.meshRunning());

        // Restart on the same data directory; it becomes ready once the emulator listens again. Notifications
        // still fail (500), so everything it replayed is still waiting.
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        const QJsonObject health = net.meshHealth();
        QCOMPARE(health.value("replayed").toInt(), n);
        QCOMPARE(health.value("outbox").toObject().value("depth").toInt(), n);
        QCOMPARE(net.evidence().value("total_accepted").toInt(), 0);

        // A relay answered before the crash and still waiting is a duplicate after the restart too (37), not
        // a second chain call and a second notification.
        for (int i : {0, n / 2, n - 1}) {
            const QString why = checkRelayError(net.postRelay(batch.bodies.at(i)), 37, "pocketcore",
                                                "the Proof with specific merkleHash already found, check entropy");
            QVERIFY2(why.isEmpty(), qPrintable(QStringLiteral("relay %1 after the restart: %2").arg(i).arg(why)));
        }

        net.emulatorAdmin("POST", "/admin/fail", {{"ms", 0}, {"count", 0}});
        QVERIFY2(waitFor([&] { return outboxDepth(net) == 0; }, 120000), qPrintable(net.meshLogTail()));
        // The restarted mesh counts each relay as delivered once.
        QCOMPARE(net.meshHealth().value("outbox").toObject().value("delivered").toInt(), n);
        const QJsonObject ev = net.evidence();
        QCOMPARE(ev.value("total_accepted").toInt(), n);
        QCOMPARE(ev.value("accepted_from_notify").toInt(), n);
        QCOMPARE(storedHashes(ev), batch.proofHashes);
        QCOMPARE(evidenceProofHashes(ev).size(), n);
        QVERIFY2(ev.value("total_rejected").toInt() == 0 && ev.value("rejected_by_code").toObject().isEmpty(),
                 QJsonDocument(ev).toJson().constData());

        // A second restart finds nothing left to replay.
        QVERIFY2(net.stopMesh(&error), qPrintable(error));
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        QCOMPARE(net.meshHealth().value("replayed").toInt(), 0);
        QCOMPARE(outboxDepth(net), 0);
        QCOMPARE(net.evidence().value("total_accepted").toInt(), n);

        finish(net);
    }

    // The key file changes while relays wait in the outbox (an operator moves a servicer to another mesh and
    // gives the remaining one a new node URL), then the mesh restarts: the relays of the remaining key go to
    // its node's new URL and are delivered; those of the removed key are delivered too, to their stored URL
    // (the reference deleted them, PROTOCOL §8.1 start-up; issue 5 item 3). Nothing may stay stuck in the outbox.
    void keyFileChangedBetweenRuns()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({"--servicers", "2"}, &error), qPrintable(error));
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        const QString keyPath = net.dataDir() + "/key/key.json";
        bool ok = false;
        const QJsonArray keyFile = QJsonDocument::fromJson(readFile(keyPath, &ok)).array();
        QVERIFY(ok);
        const QJsonArray privateKeys = keyFile.first().toObject().value("keys").toArray();
        QCOMPARE(privateKeys.size(), 2);
        const QByteArray key1Hex = privateKeys.at(1).toString().toLatin1();
        VectorKeys keys1 = m_keys;
        keys1.servicer.privateKey = *crypto::hexDecode(key1Hex);
        keys1.servicer.publicKeyHex = crypto::hexEncode(keys1.servicer.privateKey.mid(32));
        QVERIFY(keys1.servicer.publicKeyHex != m_keys.servicer.publicKeyHex);

        net.emulatorAdmin("POST", "/admin/fail", {{"status", 500}, {"ms", 3600000}, {"path", "/v1/private/mesh/relay"}});
        const Batch removed = makeBatch(m_keys, 10);
        const Batch kept = makeBatch(keys1, 10);
        QVERIFY2(serveAll(net, removed, m_keys, &error), qPrintable(error));
        QVERIFY2(serveAll(net, kept, keys1, &error), qPrintable(error));
        QCOMPARE(outboxDepth(net), 20);
        net.killMesh();

        // Only key 1 is left, under another spelling of the same emulator's URL.
        const QString newUrl = net.emulatorUrl().replace("127.0.0.1", "localhost");
        QJsonObject node = keyFile.first().toObject();
        node.insert("url", newUrl);
        node.insert("keys", QJsonArray{QString::fromLatin1(key1Hex)});
        QVERIFY(writeFile(net.dataDir(), "key/key.json", QJsonDocument(QJsonArray{node}).toJson()));

        QVERIFY2(net.startMesh(&error), qPrintable(error));
        QCOMPARE(net.meshHealth().value("replayed").toInt(), 20);
        net.emulatorAdmin("POST", "/admin/fail", {{"ms", 0}, {"count", 0}});
        QVERIFY2(waitFor([&] { return outboxDepth(net) == 0; }, 60000),
                 qPrintable(QJsonDocument(net.meshHealth()).toJson() + net.meshLogTail()));
        // Since issue 5 item 3 (DECISIONS 4), the removed key's relays are not dropped either: the key is retired
        // (known from the relays themselves) and they are delivered to the node URL stored with them.
        const QJsonObject ev = net.evidence();
        QCOMPARE(storedHashes(ev), kept.proofHashes + removed.proofHashes);
        QCOMPARE(ev.value("total_accepted").toInt(), 20);
        QCOMPARE(ev.value("total_rejected").toInt(), 0);
        QCOMPARE(net.meshHealth().value("outbox").toObject().value("delivered").toInt(), 20);

        finish(net);
    }
};

QTEST_GUILESS_MAIN(TestRelayRecovery)
#include "tst_relay_recovery.moc"
