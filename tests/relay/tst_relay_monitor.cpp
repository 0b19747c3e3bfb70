// Node monitor with real processes (issue 5 items 1–2, PROTOCOL §9, DECISIONS 7): wrong chains reported by
// the servicer's /check are kept per node and shown in health; connectivity probes (?verify=true) that
// fail at start are never fatal, are retried with backoff, and recover by themselves. Also the operator's
// side of a running mesh: SIGHUP/SIGUSR1 reload instead of killing, log_relay_request.
#include <QFile>
#include <csignal>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include "meshnet.h"
#include "protocol/crypto.h"
#include "testsupport.h"

using namespace pocket;
using namespace pocket::test;

class TestRelayMonitor : public QObject
{
    Q_OBJECT

    static QJsonObject firstNode(MeshNet& net)
    {
        return net.meshHealth().value("nodes").toArray().first().toObject();
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(crypto::init()); }

    void wrongChainsKeptAndRelaysOfGoodChainsServed()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({"--chains", "0021"}, &error), qPrintable(error));
        // The mesh is told to serve 0001 too, which this servicer does not host.
        const QString chainsPath = net.dataDir() + "/chains.json";
        QFile f(chainsPath);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QJsonArray chains = QJsonDocument::fromJson(f.readAll()).array();
        f.close();
        QVERIFY(!chains.isEmpty());
        QJsonObject extra = chains.first().toObject();
        extra.insert("id", "0001");
        chains.append(extra);
        QVERIFY(writeFile(net.dataDir(), "chains.json", QJsonDocument(chains).toJson()));
        QVERIFY2(net.startMesh(&error), qPrintable(error));

        QVERIFY2(waitFor([&] { return firstNode(net).value("error").toString().contains("0001"); }, 30000),
                 qPrintable(QJsonDocument(net.meshHealth()).toJson()));
        QVERIFY(net.meshLog().contains("wrong chains"));

        const VectorKeys keys = vectorKeys();
        Payload p;
        p.data = "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],\"id\":1}";
        p.method = "POST";
        const Relay r = craftRelay(keys, p, keys.sessionHeight, 424242);
        const QString why = checkRelaySuccess(net.postRelay(jsRelayBody(r)), proofHashHexOf(r), r.proof.servicerPubKey);
        QVERIFY2(why.isEmpty(), qPrintable(why + "\n" + net.meshLogTail()));
        QString stopWhy;
        QVERIFY2(net.shutdown(&stopWhy), qPrintable(stopWhy));
    }

    void failedConnectivityRetriedUntilItRecovers()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({}, &error), qPrintable(error));
        // Every ?verify=true probe of /session fails for the first seconds of the mesh's life.
        net.emulatorAdmin("POST", "/admin/fail", {{"status", 502}, {"ms", 2500}, {"path", "/v1/private/mesh/session"}});
        QVERIFY2(net.startMesh(&error), qPrintable(error)); // never fatal: the mesh starts and gets ready
        QVERIFY2(net.meshLog().contains("connectivity check failed"), qPrintable(net.meshLogTail()));
        QVERIFY(net.meshLog().contains("retry in"));
        QVERIFY2(waitFor([&] { return firstNode(net).value("connectivity").toBool(); }, 30000),
                 qPrintable(QJsonDocument(net.meshHealth()).toJson() + net.meshLogTail()));
        QVERIFY(net.meshLog().contains("connectivity ok"));
        QString stopWhy;
        QVERIFY2(net.shutdown(&stopWhy), qPrintable(stopWhy));
    }

    void reloadSignalsKeepTheMeshRunning()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({}, &error), qPrintable(error));
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        const int chainsBefore = net.meshHealth().value("servicers").toInt();
        QVERIFY(chainsBefore > 0);
        // Without a handler SIGHUP would end the process (its default action).
        QVERIFY(net.signalMesh(SIGHUP));
        QVERIFY2(waitFor([&] { return net.meshLog().contains("SIGHUP reload done"); }, 20000), qPrintable(net.meshLogTail()));
        QVERIFY(net.signalMesh(SIGUSR1));
        QVERIFY2(waitFor([&] { return net.meshLog().contains("SIGUSR1 reload done"); }, 20000), qPrintable(net.meshLogTail()));
        QVERIFY(net.meshRunning());
        QCOMPARE(net.meshHealth().value("servicers").toInt(), chainsBefore);

        // A broken chains.json: the signal's reload keeps the last good state and says so, still running.
        QVERIFY(writeFile(net.dataDir(), "chains.json", "[{\"id\": 12}"));
        QVERIFY(net.signalMesh(SIGHUP));
        QVERIFY2(waitFor([&] { return net.meshLog().contains("SIGHUP reload kept the last good state"); }, 20000),
                 qPrintable(net.meshLogTail()));
        QVERIFY(net.meshRunning());
        QString stopWhy;
        QVERIFY2(net.shutdown(&stopWhy), qPrintable(stopWhy));
    }

    void refusedRelayLoggedWhenAsked()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({}, &error), qPrintable(error));
        QVERIFY2(net.patchMeshConfig({{"log_relay_request", true}}, &error), qPrintable(error));
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        const VectorKeys keys = vectorKeys();
        Payload p;
        p.data = "{\"jsonrpc\":\"2.0\",\"method\":\"eth_chainId\",\"id\":7}";
        p.method = "POST";
        const Relay bad = craftRelay(keys, p, keys.sessionHeight, 777001, "0999"); // chain not hosted
        HttpHeaders headers;
        headers.emplaceBack("Authorization", "Bearer client-credential-xyz");
        headers.emplaceBack("X-Trace", "trace-1");
        const Answer answer = net.request("POST", net.meshUrl() + "/v1/client/relay", jsRelayBody(bad), headers);
        QCOMPARE(answer.status, 400);
        QVERIFY2(waitFor([&] { return net.meshLog().contains("relay refused with HTTP 400"); }, 10000),
                 qPrintable(net.meshLogTail()));
        QByteArray line;
        for (const QByteArray& l : net.meshLog().split('\n'))
            if (l.contains("relay refused with HTTP 400")) line = l;
        QVERIFY2(line.contains("X-Trace: trace-1"), line.constData());
        QVERIFY2(line.contains("\"blockchain\":\"0999\""), line.constData());
        QVERIFY(line.contains("ANSWER="));
        QVERIFY(!net.meshLog().contains("client-credential-xyz"));

        // A served relay is not logged.
        const Relay good = craftRelay(keys, p, keys.sessionHeight, 777002);
        const QString why = checkRelaySuccess(net.postRelay(jsRelayBody(good)), proofHashHexOf(good), good.proof.servicerPubKey);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        QCOMPARE(net.meshLog().count("relay refused with HTTP"), 1);
        QString stopWhy;
        QVERIFY2(net.shutdown(&stopWhy), qPrintable(stopWhy));
    }

    void sessionValidationQueueCounted()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({}, &error), qPrintable(error));
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        const VectorKeys keys = vectorKeys();
        Payload p;
        p.data = "{\"jsonrpc\":\"2.0\",\"method\":\"eth_chainId\",\"id\":8}";
        p.method = "POST";
        for (qint64 e = 1; e <= 2; ++e) { // two relays of one session: one validation task
            const Relay r = craftRelay(keys, p, keys.sessionHeight, 888000 + e);
            const QString why = checkRelaySuccess(net.postRelay(jsRelayBody(r)), proofHashHexOf(r), r.proof.servicerPubKey);
            QVERIFY2(why.isEmpty(), qPrintable(why));
        }
        const int port = net.info().value("metrics_port").toInt();
        QVERIFY(port > 0);
        QByteArray line;
        QVERIFY2(waitFor([&] {
            const Answer a = net.request("GET", QStringLiteral("http://127.0.0.1:%1/metrics").arg(port));
            for (const QByteArray& l : a.body.split('\n'))
                if (l.startsWith("pocketcore_geo_mesh_optimistic_session_queue_count{")) line = l;
            return !line.isEmpty();
        }, 10000), "no optimistic_session_queue_count series");
        QVERIFY2(line.contains("chain_id=\"0021\""), line.constData());
        QVERIFY2(line.contains("session_height=\"" + QByteArray::number(keys.sessionHeight) + "\""), line.constData());
        QVERIFY2(line.contains("application_public_key=\"" + keys.app.publicKeyHex + "\""), line.constData());
        QVERIFY2(line.contains("requeue=\"false\""), line.constData());
        QVERIFY2(line.endsWith(" 1"), line.constData());
        QString stopWhy;
        QVERIFY2(net.shutdown(&stopWhy), qPrintable(stopWhy));
    }

    // PROTOCOL §6.1: /v1/client/sim only with --simulateRelay; the chain answer as a JSON string literal,
    // sorted like a relay's; unknown chain → 400 with error 46; nothing stored or notified.
    void simulatedRelays()
    {
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({}, &error), qPrintable(error));
        net.setMeshExtraArgs({"--simulateRelay"});
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        const QString url = net.meshUrl() + "/v1/client/sim";
        const QByteArray body = "{\"relay_network_id\":\"0021\",\"payload\":{\"data\":"
                                "\"{\\\"jsonrpc\\\":\\\"2.0\\\",\\\"method\\\":\\\"eth_chainId\\\",\\\"id\\\":5}\","
                                "\"method\":\"POST\",\"path\":\"\",\"headers\":null}}";
        const Answer ok = net.request("POST", url, body);
        QCOMPARE(ok.status, 200);
        const QJsonDocument wrapped = QJsonDocument::fromJson("[" + ok.body + "]");
        QVERIFY2(wrapped.isArray() && wrapped.array().first().isString(), ok.body.constData());
        const QJsonObject chainAnswer = QJsonDocument::fromJson(wrapped.array().first().toString().toUtf8()).object();
        QCOMPARE(chainAnswer.value("id").toInt(), 5);
        QVERIFY2(chainAnswer.contains("result"), ok.body.constData());

        QByteArray unknown = body;
        unknown.replace("\"0021\"", "\"0999\"");
        const Answer bad = net.request("POST", url, unknown);
        QCOMPARE(bad.status, 400);
        QCOMPARE(bad.json().value("code").toInt(), 400);
        QVERIFY2(bad.json().value("message").toString().contains("46"), bad.body.constData());
        QCOMPARE(net.request("POST", url, "{not json").status, 400);
        QCOMPARE(net.meshHealth().value("outbox").toObject().value("delivered").toInt(), 0); // never notified
        QString stopWhy;
        QVERIFY2(net.shutdown(&stopWhy), qPrintable(stopWhy));

        // Without the flag the route does not exist.
        MeshNet plain;
        QVERIFY2(plain.startLocalnet({}, &error), qPrintable(error));
        QVERIFY2(plain.startMesh(&error), qPrintable(error));
        QCOMPARE(plain.request("POST", plain.meshUrl() + "/v1/client/sim", body).status, 404);
        QVERIFY2(plain.shutdown(&stopWhy), qPrintable(stopWhy));
    }
};

QTEST_GUILESS_MAIN(TestRelayMonitor)
#include "tst_relay_monitor.moc"
