// The official JS SDK client (shared/tools/pocketjs-client) against pocket-localnet in reference-node mode
// (service_url = the emulator itself, the "no mesh" baseline): dispatch, N relays through the SDK, every
// servicer signature verified, and exactly N pieces of evidence and N chain calls on the other side.
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>
#include <QUrl>

#include "localnetprocess.h"
#include "testsupport.h"

using namespace pocket::test;

class TestLocalnetSdk : public QObject
{
    Q_OBJECT

private:
    LocalnetProcess m_net;
    QString m_node;

    // Runs client.js and returns its JSON lines.
    QList<QJsonObject> runClient(const QStringList& args)
    {
        QProcess p;
        p.setWorkingDirectory(sharedPath(QStringLiteral("tools/pocketjs-client")));
        p.start(m_node, QStringList{sharedPath(QStringLiteral("tools/pocketjs-client/client.js"))} + args);
        if (!p.waitForFinished(120000)) {
            p.kill();
            p.waitForFinished();
        }
        QList<QJsonObject> lines;
        for (const QByteArray& line : p.readAllStandardOutput().split('\n')) {
            if (!line.trimmed().isEmpty()) lines.append(QJsonDocument::fromJson(line).object());
        }
        if (lines.isEmpty()) qWarning("client.js stderr: %s", p.readAllStandardError().constData());
        return lines;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_node = QStandardPaths::findExecutable(QStringLiteral("node"));
        QVERIFY2(!m_node.isEmpty(), "node is not installed");
        QVERIFY(QFileInfo::exists(sharedPath(QStringLiteral("tools/pocketjs-client/node_modules"))));
        QString error;
        QVERIFY2(m_net.start({"--block-ms", "0", "--service-url", "self"}, &error), qPrintable(error));
        QCOMPARE(m_net.info().value("service_url").toString(), m_net.emulatorUrl());
    }

    void twentyRelaysExactlyOnce()
    {
        const int n = 20;
        const QList<QJsonObject> lines = runClient({m_net.emulatorUrl(), "0021", QString::number(n), "--verify"});
        QVERIFY(lines.size() == n + 2);
        QCOMPARE(lines.first().value("type").toString(), QStringLiteral("dispatch"));
        QVERIFY(lines.first().value("ok").toBool());
        // The SDK prints the URL normalised (trailing slash).
        QCOMPARE(QUrl(lines.first().value("nodes").toArray().first().toObject().value("service_url").toString()),
                 QUrl(m_net.emulatorUrl() + "/"));
        QSet<QString> signatures;
        for (int i = 1; i <= n; ++i) {
            const QJsonObject r = lines.at(i);
            QCOMPARE(r.value("type").toString(), QStringLiteral("relay"));
            QVERIFY2(r.value("ok").toBool(), QJsonDocument(r).toJson().constData());
            QVERIFY(r.value("servicer_signature_valid_derived").toBool());
            // The mock chain's eth_blockNumber answer came back through the servicer, JSON-sorted.
            QVERIFY(r.value("response").toString().startsWith("{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":\"0x"));
            signatures.insert(r.value("signature").toString());
        }
        QCOMPARE(signatures.size(), n);
        const QJsonObject summary = lines.last();
        QCOMPARE(summary.value("ok").toInt(), n);
        QCOMPARE(summary.value("servicer_signatures_valid").toInt(), n);

        const QJsonObject ev = m_net.admin("GET", "/admin/evidence");
        QCOMPARE(ev.value("total_accepted").toInt(), n);
        QCOMPARE(ev.value("accepted_from_client_relay").toInt(), n);
        QCOMPARE(ev.value("total_rejected").toInt(), 0);
        const QJsonObject chain = m_net.chainAdmin("GET", "/admin/requests");
        QCOMPARE(chain.value("count").toInt(), n);
        for (const QJsonValue& rec : chain.value("requests").toArray()) {
            QCOMPARE(rec.toObject().value("body").toString(),
                     QStringLiteral("{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],\"id\":1}"));
        }
    }

    void restChainWithPath()
    {
        m_net.chainAdmin("POST", "/admin/requests/clear");
        const QList<QJsonObject> lines =
            runClient({m_net.emulatorUrl(), "0001", "3", "--verify", "--data", "{}", "--path", "/v1/query/height"});
        QVERIFY(lines.size() == 5);
        QCOMPARE(lines.last().value("ok").toInt(), 3);
        QCOMPARE(lines.last().value("servicer_signatures_valid").toInt(), 3);
        const QJsonArray recs = m_net.chainAdmin("GET", "/admin/requests").value("requests").toArray();
        QCOMPARE(recs.size(), 3);
        QCOMPARE(recs.first().toObject().value("path").toString(), QStringLiteral("/v1/query/height"));
        QCOMPARE(recs.first().toObject().value("method").toString(), QStringLiteral("POST"));
        QCOMPARE(m_net.admin("GET", "/admin/evidence").value("total_accepted").toInt(), 23);
    }

    void errorShapeForTheSdk()
    {
        // A relay for an app over its allowance: the official error shape with the real code and a dispatch.
        m_net.admin("POST", "/admin/apps", {{"public_key", QString::fromLatin1(vectorsKey("app").publicKeyHex)},
                                            {"max_relays", 20}});
        const QList<QJsonObject> lines = runClient({m_net.emulatorUrl(), "0021", "1"});
        QVERIFY(lines.size() == 3);
        QCOMPARE(lines.at(1).value("ok").toBool(), false);
        QCOMPARE(lines.at(1).value("error").toObject().value("code").toString(), QStringLiteral("71"));
        QCOMPARE(m_net.admin("GET", "/admin/evidence").value("rejected_by_code").toObject().value("71").toInt(), 1);
    }

    void cleanupTestCase()
    {
        QString error;
        QVERIFY2(m_net.stopGracefully(&error), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestLocalnetSdk)
#include "tst_localnet_sdk.moc"
