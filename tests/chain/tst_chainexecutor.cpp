// ChainExecutor against an in-process HTTP backend: the request it sends (PROTOCOL §10.1), the JSON sort
// (§10.3), and the debug lines of log_chain_request / log_chain_response — never a credential.
#include <QLoggingCategory>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include "chain/chainexecutor.h"
#include "testsupport.h"

using namespace pocket;

namespace {

// Answers every request with `body`; keeps the raw bytes of the last request.
class Backend : public QObject
{
public:
    explicit Backend(QByteArray body) : m_body(std::move(body))
    {
        m_server.listen(QHostAddress::LocalHost);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = m_server.nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, this, [this, s] {
                    m_buffer += s->readAll();
                    const qsizetype end = m_buffer.indexOf("\r\n\r\n");
                    if (end < 0) return;
                    const qsizetype cl = m_buffer.toLower().indexOf("content-length: ");
                    qsizetype need = end + 4;
                    if (cl >= 0) need += m_buffer.mid(cl + 16, m_buffer.indexOf("\r\n", cl) - cl - 16).toLongLong();
                    if (m_buffer.size() < need) return;
                    lastRequest = m_buffer;
                    m_buffer.clear();
                    s->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + QByteArray::number(m_body.size()) + "\r\n\r\n" + m_body);
                });
            }
        });
    }
    QString url() const { return QStringLiteral("http://user:chainsecret@127.0.0.1:%1/").arg(m_server.serverPort()); }
    QByteArray lastRequest;

private:
    QTcpServer m_server;
    QByteArray m_body;
    QByteArray m_buffer;
};

QStringList g_lines;
QtMessageHandler g_previous = nullptr;
void capture(QtMsgType, const QMessageLogContext& ctx, const QString& msg)
{
    if (ctx.category && QByteArray(ctx.category) == "pocket.chain") g_lines.append(msg);
}

struct Call
{
    bool done = false;
    Result<ChainResult> result = fail(PocketError::internal(QStringLiteral("not called")));
};

std::shared_ptr<Call> run(ChainExecutor& executor, const ConfiguredChain& chain, const Payload& payload)
{
    auto call = std::make_shared<Call>();
    executor.execute(chain, payload, &executor, [call](Result<ChainResult> r, int) {
        call->result = std::move(r);
        call->done = true;
    });
    return call;
}

} // namespace

class TestChainExecutor : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void cleanup()
    {
        qInstallMessageHandler(g_previous);
        QLoggingCategory::setFilterRules(QString());
        g_lines.clear();
    }

    void requestAndSortedAnswer()
    {
        Backend backend(R"({"b":1,"a":{"d":2,"c":3}})");
        HttpClient client;
        ChainExecutor executor(&client, ChainCallOptions{});
        ConfiguredChain chain{"0021", backend.url(), QStringLiteral("basic"), QStringLiteral("pw")};
        Payload payload{R"({"jsonrpc":"2.0","method":"eth_blockNumber","id":1})", "", "/v1/x", std::nullopt};
        auto call = run(executor, chain, payload);
        QVERIFY(pocket::test::waitFor([&] { return call->done; }));
        QVERIFY2(call->result.has_value(), qPrintable(call->result ? QString() : call->result.error().message));
        QCOMPARE(call->result->response, QByteArray(R"({"a":{"c":3,"d":2},"b":1})"));
        QCOMPARE(call->result->httpStatus, 200);
        QVERIFY(backend.lastRequest.startsWith("POST /v1/x HTTP/1.1\r\n"));
        QVERIFY(backend.lastRequest.contains("Content-Type: application/json\r\n"));
        QVERIFY(backend.lastRequest.contains("Authorization: Basic " + QByteArray("basic:pw").toBase64() + "\r\n"));
        QVERIFY(backend.lastRequest.endsWith(payload.data));
    }

    void debugLinesCarryPayloadsOnlyWhenAsked_data()
    {
        QTest::addColumn<bool>("debug");
        QTest::addColumn<bool>("logRequest");
        QTest::addColumn<bool>("logResponse");
        QTest::newRow("debug off") << false << true << true;
        QTest::newRow("debug, no payloads") << true << false << false;
        QTest::newRow("debug, request") << true << true << false;
        QTest::newRow("debug, response") << true << false << true;
        QTest::newRow("debug, both") << true << true << true;
    }
    void debugLinesCarryPayloadsOnlyWhenAsked()
    {
        QFETCH(bool, debug);
        QFETCH(bool, logRequest);
        QFETCH(bool, logResponse);
        QLoggingCategory::setFilterRules(debug ? QStringLiteral("pocket.chain.debug=true")
                                               : QStringLiteral("pocket.chain.debug=false"));
        g_previous = qInstallMessageHandler(capture);
        Backend backend(R"({"result":"0x10"})");
        HttpClient client;
        ChainCallOptions options;
        options.logRequest = logRequest;
        options.logResponse = logResponse;
        ChainExecutor executor(&client, options);
        ConfiguredChain chain{"0021", backend.url(), QStringLiteral("user"), QStringLiteral("basicsecret")};
        Payload payload{R"({"method":"eth_chainId"})", "POST", "", std::nullopt};
        auto call = run(executor, chain, payload);
        QVERIFY(pocket::test::waitFor([&] { return call->done; }));
        QVERIFY(call->result.has_value());
        if (!debug) {
            QCOMPARE(g_lines.size(), 0);
            return;
        }
        QCOMPARE(g_lines.size(), 1);
        const QString line = g_lines.first();
        QVERIFY2(line.contains(QStringLiteral("CHAIN=0021 PATH= METHOD=POST STATUS=200")), qPrintable(line));
        QCOMPARE(line.contains(QStringLiteral("REQ={\"method\":\"eth_chainId\"}")), logRequest);
        QCOMPARE(line.contains(QStringLiteral("RES={\"result\":\"0x10\"}")), logResponse);
        QVERIFY(!line.contains(QStringLiteral("secret")));
        QVERIFY(!line.contains(QStringLiteral("127.0.0.1")));
        QVERIFY(!line.contains(QLatin1Char('\n')));
    }
};

QTEST_GUILESS_MAIN(TestChainExecutor)
#include "tst_chainexecutor.moc"
