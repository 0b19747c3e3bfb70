// The mock chain of pocket-localnet: JSON-RPC answers (single, batch, echo), the REST echo, the exact
// request record (body bytes, method, target, headers), and injected latency, 500s, hangs and fixed mode.
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include "localnetprocess.h"
#include "testsupport.h"

using namespace pocket::test;

class TestMockChain : public QObject
{
    Q_OBJECT

private:
    LocalnetProcess m_net;

    QJsonObject lastRecord()
    {
        const QJsonArray list = m_net.chainAdmin("GET", "/admin/requests").value("requests").toArray();
        return list.isEmpty() ? QJsonObject() : list.last().toObject();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        QVERIFY2(m_net.start({"--block-ms", "0"}, &error), qPrintable(error));
    }

    void init()
    {
        m_net.chainAdmin("POST", "/admin/config",
                         {{"latency_ms", 0}, {"error_rate", 0}, {"hang_rate", 0}, {"fixed", false}, {"height", 4096}});
        m_net.chainAdmin("POST", "/admin/requests/clear");
    }

    void jsonRpc()
    {
        const HttpResult r = httpPost(m_net.chainUrl(), "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],\"id\":7}",
                                      {{"Content-Type", "application/json"}});
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value("result").toString(), QStringLiteral("0x1000"));
        QCOMPARE(r.json().value("id").toInt(), 7);
        QCOMPARE(r.json().value("jsonrpc").toString(), QStringLiteral("2.0"));

        m_net.chainAdmin("POST", "/admin/config", {{"height", 17}});
        QCOMPARE(httpPost(m_net.chainUrl(), "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"id\":1}").json().value("result"),
                 QJsonValue("0x11"));
        QCOMPARE(httpPost(m_net.chainUrl(), "{\"jsonrpc\":\"2.0\",\"method\":\"eth_chainId\",\"id\":1}").json().value("result"),
                 QJsonValue("0x1"));
        QVERIFY(httpPost(m_net.chainUrl(), "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getBalance\",\"params\":[\"0x0\",\"latest\"],\"id\":1}")
                    .json().value("result").toString().startsWith("0x"));
        // Anything else echoes its method and params.
        const QJsonObject echo = httpPost(m_net.chainUrl(), "{\"jsonrpc\":\"2.0\",\"method\":\"net_peerCount\",\"params\":[1,\"a\"],\"id\":\"x\"}")
                                     .json();
        QCOMPARE(echo.value("id"), QJsonValue("x"));
        QCOMPARE(echo.value("result").toObject().value("method"), QJsonValue("net_peerCount"));
        QCOMPARE(echo.value("result").toObject().value("params").toArray(), (QJsonArray{1, "a"}));
        // Batches answer an array in order.
        const QJsonArray batch = httpPost(m_net.chainUrl(), "[{\"jsonrpc\":\"2.0\",\"method\":\"eth_chainId\",\"id\":1},"
                                                             "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"id\":2}]")
                                     .jsonArray();
        QCOMPARE(batch.size(), 2);
        QCOMPARE(batch.at(0).toObject().value("id").toInt(), 1);
        QCOMPARE(batch.at(1).toObject().value("result"), QJsonValue("0x11"));
        QCOMPARE(httpPost(m_net.chainUrl(), "{oops").json().value("error").toObject().value("code").toInt(), -32700);
    }

    void restEcho()
    {
        const HttpResult r = httpGet(m_net.chainUrl() + "/v1/blocks/latest?limit=5&x=a%20b");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value("method").toString(), QStringLiteral("GET"));
        QCOMPARE(r.json().value("path").toString(), QStringLiteral("/v1/blocks/latest"));
        QCOMPARE(r.json().value("query").toString(), QStringLiteral("limit=5&x=a%20b"));
        const HttpResult post = httpPost(m_net.chainUrl() + "/v1/query/height", "{}");
        QCOMPARE(post.json().value("body").toString(), QStringLiteral("{}"));
        QCOMPARE(post.json().value("height").toInt(), 4096);
    }

    void recordsExactRequests()
    {
        const QByteArray body = "{ \"jsonrpc\" : \"2.0\",\"method\":\"eth_call\",\"id\":1,\"p\":\"\xc3\xbc<&>\" }\n";
        httpRequest("PUT", m_net.chainUrl() + "/some/path?q=1&r=%2F", body, {{"X-Test-Header", "Value 1"}});
        const QJsonObject rec = lastRecord();
        QCOMPARE(rec.value("method").toString(), QStringLiteral("PUT"));
        QCOMPARE(rec.value("path").toString(), QStringLiteral("/some/path"));
        QCOMPARE(rec.value("query").toString(), QStringLiteral("q=1&r=%2F"));
        QCOMPARE(rec.value("target").toString(), QStringLiteral("/some/path?q=1&r=%2F"));
        QCOMPARE(QByteArray::fromBase64(rec.value("body_base64").toString().toLatin1()), body);
        bool header = false;
        for (const QJsonValue& h : rec.value("headers").toArray()) {
            header |= h.toArray().at(0).toString() == QLatin1String("X-Test-Header")
                && h.toArray().at(1).toString() == QLatin1String("Value 1");
        }
        QVERIFY(header);
        QCOMPARE(m_net.chainAdmin("GET", "/admin/requests").value("count").toInt(), 1);
        QCOMPARE(m_net.chainAdmin("POST", "/admin/requests/clear").value("cleared").toInt(), 1);
        QCOMPARE(m_net.chainAdmin("GET", "/admin/requests").value("count").toInt(), 0);
    }

    void injectedFaults()
    {
        m_net.chainAdmin("POST", "/admin/config", {{"latency_ms", 250}});
        const HttpResult slow = httpPost(m_net.chainUrl(), "{\"jsonrpc\":\"2.0\",\"method\":\"eth_chainId\",\"id\":1}");
        QCOMPARE(slow.status, 200);
        QVERIFY(slow.elapsedMs >= 250);

        m_net.chainAdmin("POST", "/admin/config", {{"latency_ms", 0}, {"error_rate", 1.0}});
        QCOMPARE(httpPost(m_net.chainUrl(), "{}").status, 500);

        m_net.chainAdmin("POST", "/admin/config", {{"error_rate", 0}, {"hang_rate", 1.0}});
        const HttpResult hang = httpPost(m_net.chainUrl(), "{}", {}, 600);
        QVERIFY(hang.transportError);
        QVERIFY(hang.elapsedMs >= 550);
        const QJsonObject stats = m_net.chainAdmin("GET", "/admin/stats");
        QVERIFY(stats.value("errors_injected").toInt() >= 1);
        QVERIFY(stats.value("hangs_injected").toInt() >= 1);
        QCOMPARE(m_net.chainAdmin("POST", "/admin/config", {{"error_rate", "x"}}).value("error").toString(),
                 QStringLiteral("error_rate must be a number"));
    }

    void fixedMode()
    {
        m_net.chainAdmin("POST", "/admin/config", {{"fixed", true}, {"fixed_body", "{\"result\":\"fixed\"}"}});
        const HttpResult r = httpPost(m_net.chainUrl() + "/anything", "not even json");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("{\"result\":\"fixed\"}"));
        QCOMPARE(m_net.chainAdmin("GET", "/admin/requests").value("count").toInt(), 0); // fast mode records nothing
    }

    void cleanupTestCase()
    {
        QString error;
        QVERIFY2(m_net.stopGracefully(&error), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestMockChain)
#include "tst_mockchain.moc"
