// Node monitor with real processes (issue 5 items 1–2, PROTOCOL §9, DECISIONS 7): wrong chains reported by
// the servicer's /check are kept per node and shown in health; connectivity probes (?verify=true) that
// fail at start are never fatal, are retried with backoff, and recover by themselves.
#include <QFile>
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
        QVERIFY2(net.sanitizerReports().isEmpty(), qPrintable(net.sanitizerReports().join('\n')));
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
        QVERIFY2(net.sanitizerReports().isEmpty(), qPrintable(net.sanitizerReports().join('\n')));
    }
};

QTEST_GUILESS_MAIN(TestRelayMonitor)
#include "tst_relay_monitor.moc"
