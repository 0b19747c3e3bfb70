// Many relays at once through the real mesh: three servicer keys on one node (lean mode), two chains,
// hundreds of concurrent relays with duplicates among them, while the servicer fails the first notifications.
// Every relay is answered exactly once (200, or 37 for the second copy), and the servicer ends up with exactly
// one piece of evidence per served relay, per servicer.
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTest>

#include "meshnet.h"
#include "protocol/crypto.h"
#include "testsupport.h"

using namespace pocket;
using namespace pocket::test;

class TestRelayLoad : public QObject
{
    Q_OBJECT

private:
    MeshNet m_net;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(crypto::init());
        QString error;
        QVERIFY2(m_net.startLocalnet({"--servicers", "3"}, &error), qPrintable(error));
        QVERIFY2(m_net.startMesh(&error), qPrintable(error));
    }

    void concurrentRelaysExactlyOnce()
    {
        const VectorKeys base = vectorKeys();
        bool ok = false;
        const QJsonArray keyFile =
            QJsonDocument::fromJson(readFile(m_net.dataDir() + "/key/key.json", &ok)).array();
        QVERIFY(ok);
        const QJsonArray privateKeys = keyFile.first().toObject().value("keys").toArray();
        QCOMPARE(privateKeys.size(), 3);
        QList<VectorKeys> servicers;
        for (const QJsonValue& k : privateKeys) {
            VectorKeys v = base;
            v.servicer.privateKey = *crypto::hexDecode(k.toString().toLatin1());
            v.servicer.publicKeyHex = crypto::hexEncode(v.servicer.privateKey.mid(32));
            servicers.append(v);
        }

        const int n = 300, duplicated = 30;
        QList<HttpRequest> requests;
        QList<QByteArray> proofs; // per request
        QHash<QByteArray, QByteArray> servicerOf; // proof hash -> servicer public key hex
        QSet<QByteArray> distinct;
        for (int i = 0; i < n; ++i) {
            const VectorKeys& keys = servicers.at(i % 3);
            Payload p;
            p.data = "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],\"id\":" + QByteArray::number(i)
                     + "}";
            p.method = "POST";
            const Relay r = craftRelay(keys, p, keys.sessionHeight, 5'000'000 + i, (i / 3) % 2 ? "0001" : "0021");
            const QByteArray body = jsRelayBody(r);
            const QByteArray h = proofHashHexOf(r);
            requests.append(m_net.relayRequest(body));
            proofs.append(h);
            if (i < duplicated) { // the same relay twice in the same burst
                requests.append(m_net.relayRequest(body));
                proofs.append(h);
            }
            servicerOf.insert(h, keys.servicer.publicKeyHex);
            distinct.insert(h);
        }
        QCOMPARE(distinct.size(), n);

        // The first notifications fail: they are retried like any other.
        m_net.emulatorAdmin("POST", "/admin/fail", {{"status", 500}, {"count", 200}, {"path", "/v1/private/mesh/relay"}});
        QElapsedTimer clock;
        clock.start();
        const QList<Answer> answers = m_net.requestAll(requests, 120000);
        const qint64 burstMs = clock.elapsed();
        QHash<QByteArray, int> servedCount, duplicateCount;
        for (int i = 0; i < answers.size(); ++i) {
            const Answer& a = answers.at(i);
            const QByteArray& h = proofs.at(i);
            if (a.status == 200) {
                // Signed by the relay's own servicer key.
                const QString why = checkRelaySuccess(a, h, servicerOf.value(h));
                QVERIFY2(why.isEmpty(), qPrintable(QStringLiteral("request %1: %2").arg(i).arg(why)));
                ++servedCount[h];
            } else {
                const QString why = checkRelayError(a, 37, "pocketcore",
                                                    "the Proof with specific merkleHash already found, check entropy");
                QVERIFY2(why.isEmpty(), qPrintable(QStringLiteral("request %1: %2").arg(i).arg(why)));
                ++duplicateCount[h];
            }
        }
        QCOMPARE(servedCount.size(), n);
        for (auto it = servedCount.begin(); it != servedCount.end(); ++it) QCOMPARE(it.value(), 1);
        QCOMPARE(duplicateCount.size(), duplicated);

        QJsonObject health;
        QVERIFY2(waitFor([&] {
            health = m_net.meshHealth();
            return health.value("outbox").toObject().value("depth").toInt(-1) == 0;
        }, 180000), qPrintable(QJsonDocument(health).toJson() + m_net.meshLogTail()));
        qInfo("%d relays (+%d duplicates) answered in %lld ms, all delivered after %lld ms", n, duplicated, burstMs,
              clock.elapsed());
        QCOMPARE(health.value("outbox").toObject().value("delivered").toInt(), n);
        const QJsonObject ev = m_net.evidence();
        QCOMPARE(ev.value("total_accepted").toInt(), n);
        QCOMPARE(ev.value("total_rejected").toInt(), 0);
        const QStringList hashes = evidenceProofHashes(ev);
        QCOMPARE(hashes.size(), n);
        QSet<QByteArray> stored;
        for (const QString& h : hashes) stored.insert(h.toLatin1());
        QCOMPARE(stored, distinct);
        const QJsonObject perServicer = ev.value("per_servicer").toObject();
        QCOMPARE(perServicer.size(), 3);
        for (auto it = perServicer.begin(); it != perServicer.end(); ++it) QCOMPARE(it.value().toInt(), n / 3);
        QCOMPARE(ev.value("sessions").toArray().size(), 2); // two chains, one session each (all servicers in it)
    }

    void cleanupTestCase()
    {
        QString why;
        QVERIFY2(m_net.shutdown(&why), qPrintable(why));
    }
};

QTEST_GUILESS_MAIN(TestRelayLoad)
#include "tst_relay_load.moc"
