// The official JS SDK client (shared/tools/pocketjs-client) through the mesh, all real processes on
// 127.0.0.1: the client dispatches at the emulator (the mesh does not proxy /v1/client/dispatch yet), the
// emulator names the mesh as the session's service_url, the SDK sends N relays to the mesh. Every relay
// must be answered, every servicer signature must verify, and the emulator must hold exactly one piece of
// evidence per relay — the very proofs the client sent, recomputed here from the client's output.
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTest>
#include <QUrl>

#include "meshnet.h"
#include "protocol/crypto.h"
#include "testsupport.h"

using namespace pocket;
using namespace pocket::test;

class TestRelaySdk : public QObject
{
    Q_OBJECT

private:
    MeshNet m_net;
    QString m_node;

    struct ClientRun
    {
        QList<QByteArray> lines; // raw stdout lines (the entropy must be read as digits, not as a double)
        QByteArray stderrText;
        int exitCode = -1;
    };

    ClientRun runClient(const QStringList& args)
    {
        ClientRun run;
        QProcess p;
        p.setWorkingDirectory(sharedPath(QStringLiteral("tools/pocketjs-client")));
        p.start(m_node, QStringList{sharedPath(QStringLiteral("tools/pocketjs-client/client.js"))} + args);
        if (!p.waitForStarted(20000)) return run;
        waitFor([&] { return p.state() == QProcess::NotRunning; }, 200000);
        if (p.state() != QProcess::NotRunning) {
            p.kill();
            p.waitForFinished();
        }
        run.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        for (const QByteArray& line : p.readAllStandardOutput().split('\n'))
            if (!line.trimmed().isEmpty()) run.lines.append(line);
        run.stderrText = p.readAllStandardError();
        return run;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(crypto::init());
        m_node = QStandardPaths::findExecutable(QStringLiteral("node"));
        QVERIFY2(!m_node.isEmpty(), "node is not installed");
        QVERIFY(QFileInfo::exists(sharedPath(QStringLiteral("tools/pocketjs-client/node_modules"))));
        QString error;
        QVERIFY2(m_net.startLocalnet({}, &error), qPrintable(error));
        QCOMPARE(m_net.info().value("service_url").toString(), m_net.meshUrl()); // --service-url mesh (default)
        QVERIFY2(m_net.startMesh(&error), qPrintable(error));
    }

    void sdkRelaysThroughTheMesh()
    {
        const int n = 40;
        const VectorKeys keys = vectorKeys();
        const ClientRun run = runClient({m_net.emulatorUrl(), "0021", QString::number(n), "--verify"});
        QVERIFY2(run.lines.size() == n + 2,
                 qPrintable(QStringLiteral("client output (%1 lines, exit %2): %3 / %4")
                                .arg(run.lines.size())
                                .arg(run.exitCode)
                                .arg(QString::fromUtf8(run.lines.join('\n').right(2000)),
                                     QString::fromUtf8(run.stderrText.right(2000)))));
        QCOMPARE(run.exitCode, 0);

        // The dispatch came from the emulator and names the mesh (the SDK normalises the URL to a trailing /).
        const QJsonObject dispatch = QJsonDocument::fromJson(run.lines.first()).object();
        QCOMPARE(dispatch.value("type").toString(), QStringLiteral("dispatch"));
        QVERIFY(dispatch.value("ok").toBool());
        const QJsonArray nodes = dispatch.value("nodes").toArray();
        QCOMPARE(nodes.size(), 1);
        QCOMPARE(QUrl(nodes.first().toObject().value("service_url").toString()), QUrl(m_net.meshUrl() + "/"));
        QCOMPARE(nodes.first().toObject().value("public_key").toString().toLatin1(), keys.servicer.publicKeyHex);
        const qint64 sessionHeight = qint64(dispatch.value("session_height").toDouble());
        QCOMPARE(sessionHeight, keys.sessionHeight);

        // The client's AAT (the vectors' app and client keys): its hash is the proof's token.
        Aat aat;
        aat.version = "0.0.1";
        aat.appPubKey = dispatch.value("app_pub_key").toString().toLatin1();
        aat.clientPubKey = dispatch.value("client_pub_key").toString().toLatin1();
        QCOMPARE(aat.appPubKey, keys.app.publicKeyHex);
        QCOMPARE(aat.clientPubKey, keys.client.publicKeyHex);
        const QByteArray token = aatHashHex(aat);

        const QRegularExpression entropyRe(QStringLiteral("\"entropy\":(-?[0-9]+)[,}]"));
        QSet<QByteArray> sentProofHashes;
        QSet<QString> signatures;
        for (int i = 1; i <= n; ++i) {
            const QByteArray& raw = run.lines.at(i);
            const QJsonObject r = QJsonDocument::fromJson(raw).object();
            QCOMPARE(r.value("type").toString(), QStringLiteral("relay"));
            QVERIFY2(r.value("ok").toBool(), raw.constData());
            QVERIFY2(r.value("servicer_signature_valid_derived").toBool(), raw.constData());
            // The mock chain's eth_blockNumber answer, JSON-sorted by the mesh (PROTOCOL §10.3).
            QVERIFY2(r.value("response").toString().startsWith("{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":\"0x"),
                     raw.constData());
            signatures.insert(r.value("signature").toString());

            // Recompute the proof hash (PROTOCOL §3.3) from what the client sent.
            const auto m = entropyRe.match(QString::fromUtf8(raw));
            QVERIFY2(m.hasMatch(), raw.constData());
            RelayProof proof;
            bool ok = false;
            proof.entropy = m.captured(1).toLongLong(&ok);
            QVERIFY2(ok, raw.constData());
            proof.sessionBlockHeight = qint64(r.value("session_block_height").toDouble());
            QCOMPARE(proof.sessionBlockHeight, sessionHeight);
            proof.servicerPubKey = r.value("servicer_pub_key").toString().toLatin1();
            QCOMPARE(proof.servicerPubKey, keys.servicer.publicKeyHex);
            proof.blockchain = "0021";
            proof.requestHash = r.value("request_hash").toString().toLatin1();
            // The SDK's request (default data, method "" and path "", headers null, meta = session height)
            // hashes the same in JS and in Go.
            Payload payload;
            payload.data = R"({"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":1})";
            QCOMPARE(proof.requestHash, requestHashHex(payload, RelayMeta{sessionHeight}));
            const QByteArray proofHash = crypto::hexEncode(crypto::sha3_256(proofHashInput(proof, token)));
            QVERIFY2(!sentProofHashes.contains(proofHash), "the client sent the same proof twice");
            sentProofHashes.insert(proofHash);
        }
        QCOMPARE(signatures.size(), n);
        const QJsonObject summary = QJsonDocument::fromJson(run.lines.last()).object();
        QCOMPARE(summary.value("type").toString(), QStringLiteral("summary"));
        QCOMPARE(summary.value("ok").toInt(), n);
        QCOMPARE(summary.value("servicer_signatures_valid").toInt(), n);

        // Notification is asynchronous: wait until the outbox is empty (every relay has its final outcome),
        // then the evidence must be exactly the client's relays, each once, all from the mesh's notify.
        QJsonObject health;
        QVERIFY2(waitFor([&] {
            health = m_net.meshHealth();
            return health.value("outbox").toObject().value("depth").toInt(-1) == 0;
        }, 120000), qPrintable(QJsonDocument(health).toJson() + m_net.meshLogTail()));
        QCOMPARE(health.value("outbox").toObject().value("delivered").toInt(), n); // the mesh's own count
        const QJsonObject ev = m_net.evidence();
        QCOMPARE(ev.value("total_accepted").toInt(), n);
        QCOMPARE(ev.value("accepted_from_notify").toInt(), n);
        QCOMPARE(ev.value("accepted_from_client_relay").toInt(), 0);
        QCOMPARE(ev.value("total_rejected").toInt(), 0);
        const QStringList hashes = evidenceProofHashes(ev);
        QCOMPARE(hashes.size(), n);
        QSet<QByteArray> stored;
        for (const QString& h : hashes) stored.insert(h.toLatin1());
        QCOMPARE(stored.size(), n); // distinct
        QCOMPARE(stored, sentProofHashes);
        QCOMPARE(ev.value("per_servicer").toObject().value(QString::fromLatin1(
                     crypto::hexEncode(crypto::addressFromPublicKey(*crypto::hexDecode(keys.servicer.publicKeyHex)))))
                     .toInt(),
                 n);
    }

    void cleanupTestCase()
    {
        QString why;
        QVERIFY2(m_net.shutdown(&why), qPrintable(why));
    }
};

QTEST_GUILESS_MAIN(TestRelaySdk)
#include "tst_relay_sdk.moc"
