// ChainExecutor against an in-process HTTP backend that records every request exactly as it arrived: URL
// joining and path clean-up (PROTOCOL §10.1 steps 1-2), method and body (steps 3-4), headers and basic auth
// from chains.json (step 5), chain_drop_connections (step 6), the JSON sort switch (§10.3, Appendix A.5), and
// the debug lines of log_chain_request / log_chain_response — never a credential.
// Expected request-targets are worked out from the PROTOCOL text (and Go's net/url where it says so), not
// from the implementation. Slots are defined out of line: Qt 6.4's moc mis-reads some raw strings in a class.
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSet>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include "chain/chainexecutor.h"
#include "config/chains.h"
#include "httprequestbuffer.h"
#include "testslots.h"
#include "testsupport.h"

using namespace pocket;

namespace {

// One request as the backend received it (head: request line and header lines, up to and including the empty
// line, byte for byte).
struct Received : pocket::test::BufferedHttpRequest
{
    int connection = -1; // index of the accepted TCP connection it came on

    QByteArray requestLine() const { return head.left(head.indexOf("\r\n")); }
    // The single value of `name`; null when absent, "<n values>" when repeated (hides the base's first one).
    QByteArray header(QByteArrayView name) const
    {
        const QList<QByteArray> values = headerValues(name);
        if (values.isEmpty()) return {};
        return values.size() == 1 ? values.first() : "<" + QByteArray::number(values.size()) + " values>";
    }
};

// Answers every request with 200 and `body`; never closes a connection itself, so whether one is reused or
// dropped is the client's choice. Requests are framed by Content-Length (the only framing Go uses for a
// bytes body).
class Backend : public QObject
{
public:
    explicit Backend(QByteArray body = "{}") : m_body(std::move(body))
    {
        m_server.listen(QHostAddress::LocalHost);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = m_server.nextPendingConnection()) {
                const int index = accepted++;
                ++open;
                connect(s, &QTcpSocket::disconnected, this, [this, s] {
                    --open;
                    m_buffers.remove(s);
                    s->deleteLater();
                });
                connect(s, &QTcpSocket::readyRead, this, [this, s, index] { onData(s, index); });
            }
        });
    }
    // The accepted sockets are children of m_server and die with it, after this class's members: their
    // `disconnected` must not reach the handlers above by then.
    ~Backend() override
    {
        for (QTcpSocket* s : m_server.findChildren<QTcpSocket*>()) QObject::disconnect(s, nullptr, this, nullptr);
    }
    // http://127.0.0.1:<port> (no path): tests append the chain URL's path.
    QString origin() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()); }
    QString urlWithUserinfo() const
    {
        return QStringLiteral("http://user:chainsecret@127.0.0.1:%1/").arg(m_server.serverPort());
    }
    QByteArray hostHeader() const { return "127.0.0.1:" + QByteArray::number(m_server.serverPort()); }

    QList<Received> received;
    QByteArray lastRequest; // raw bytes of the last request
    int accepted = 0;       // TCP connections accepted so far
    int open = 0;           // of those, still open

private:
    void onData(QTcpSocket* s, int index)
    {
        QByteArray& buffer = m_buffers[s];
        buffer += s->readAll();
        while (auto request = pocket::test::takeHttpRequest(buffer)) {
            Received r{std::move(*request), index};
            lastRequest = r.head + r.body;
            received.append(r);
            s->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                     + QByteArray::number(m_body.size()) + "\r\n\r\n" + m_body);
        }
    }

    QTcpServer m_server;
    QByteArray m_body;
    QHash<QTcpSocket*, QByteArray> m_buffers;
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
    int status = 0; // the httpStatus handed to the callback
    Result<ChainResult> result = fail(PocketError::internal(QStringLiteral("not called")));
};

std::shared_ptr<Call> run(ChainExecutor& executor, const ConfiguredChain& chain, const Payload& payload)
{
    auto call = std::make_shared<Call>();
    executor.execute(chain, payload, &executor, [call](Result<ChainResult> r, int status) {
        call->result = std::move(r);
        call->status = status;
        call->done = true;
    });
    return call;
}

QString describe(const Call& call)
{
    return call.result ? QStringLiteral("ok, status %1").arg(call.result->httpStatus) : call.result.error().message;
}

// Appendix A.5 as written in PROTOCOL.md: the sorted pair, and the input that is not an object.
struct AppendixA5
{
    QByteArray in, out, notAnObject;
};
AppendixA5 readAppendixA5(QString* why)
{
    bool ok = false;
    const QString text = QString::fromUtf8(pocket::test::readFile(pocket::test::sharedPath(
        QStringLiteral("spec/PROTOCOL.md")), &ok));
    const qsizetype start = text.indexOf(QLatin1String("### A.5 JSON sort"));
    if (!ok || start < 0) {
        *why = QStringLiteral("PROTOCOL.md or its section A.5 not found");
        return {};
    }
    const QString section = text.mid(start, text.indexOf(QLatin1String("\n```\n"), start + 25) - start);
    AppendixA5 a5;
    const QRegularExpression pair(QStringLiteral("\nin : (\\{.*)\nout: (\\{.*)\n"));
    const QRegularExpression unchanged(QStringLiteral("\nin : (\\S+)\\s+out: unchanged"));
    const auto p = pair.match(section);
    const auto u = unchanged.match(section);
    if (!p.hasMatch() || !u.hasMatch()) {
        *why = QStringLiteral("A.5 in PROTOCOL.md no longer has the in/out lines this test reads");
        return {};
    }
    a5.in = p.captured(1).toUtf8();
    a5.out = p.captured(2).toUtf8();
    a5.notAnObject = u.captured(1).toUtf8();
    return a5;
}

} // namespace

class TestChainExecutor : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();

    void requestAndSortedAnswer();
    void debugLinesCarryPayloadsOnlyWhenAsked_data();
    void debugLinesCarryPayloadsOnlyWhenAsked();
    void urlJoining_data();
    void urlJoining();
    void pathCleanup_data();
    void pathCleanup();
    void dropConnections_data();
    void dropConnections();
    void jsonSortSwitch_data();
    void jsonSortSwitch();
    void methodAndBody_data();
    void methodAndBody();
    void defaultContentType_data();
    void defaultContentType();
    void payloadHeadersCanonical();
    void payloadHeadersOverride();
    void payloadHostAndContentLengthIgnored();
    void basicAuthFromChainsJson_data();
    void basicAuthFromChainsJson();
};

void TestChainExecutor::initTestCase()
{
    const QString why = pocket::test::testSlotMismatch(
        this, {"requestAndSortedAnswer", "debugLinesCarryPayloadsOnlyWhenAsked", "urlJoining", "pathCleanup",
               "dropConnections", "jsonSortSwitch", "methodAndBody", "defaultContentType",
               "payloadHeadersCanonical", "payloadHeadersOverride", "payloadHostAndContentLengthIgnored",
               "basicAuthFromChainsJson"});
    QVERIFY2(why.isEmpty(), qPrintable(why));
    // Only debugLinesCarryPayloadsOnlyWhenAsked wants the per-call debug lines.
    QLoggingCategory::setFilterRules(QStringLiteral("pocket.chain.debug=false"));
}

void TestChainExecutor::cleanup()
{
    qInstallMessageHandler(g_previous);
    QLoggingCategory::setFilterRules(QStringLiteral("pocket.chain.debug=false"));
    g_lines.clear();
}

void TestChainExecutor::requestAndSortedAnswer()
{
    Backend backend(R"({"b":1,"a":{"d":2,"c":3}})");
    HttpClient client;
    ChainExecutor executor(&client, ChainCallOptions{});
    ConfiguredChain chain{"0021", backend.origin() + QLatin1Char('/'), QStringLiteral("basic"), QStringLiteral("pw")};
    Payload payload{R"({"jsonrpc":"2.0","method":"eth_blockNumber","id":1})", "", "/v1/x", std::nullopt};
    auto call = run(executor, chain, payload);
    QVERIFY(pocket::test::waitFor([&] { return call->done; }));
    QVERIFY2(call->result.has_value(), qPrintable(describe(*call)));
    QCOMPARE(call->result->response, QByteArray(R"({"a":{"c":3,"d":2},"b":1})"));
    QCOMPARE(call->result->httpStatus, 200);
    QVERIFY(backend.lastRequest.startsWith("POST /v1/x HTTP/1.1\r\n"));
    QVERIFY(backend.lastRequest.contains("Content-Type: application/json\r\n"));
    QVERIFY(backend.lastRequest.contains("Authorization: Basic " + QByteArray("basic:pw").toBase64() + "\r\n"));
    QVERIFY(backend.lastRequest.endsWith(payload.data));
}

void TestChainExecutor::debugLinesCarryPayloadsOnlyWhenAsked_data()
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

void TestChainExecutor::debugLinesCarryPayloadsOnlyWhenAsked()
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
    ConfiguredChain chain{"0021", backend.urlWithUserinfo(), QStringLiteral("user"), QStringLiteral("basicsecret")};
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

// §10.1 step 1: every leading/trailing '/' trimmed from both parts, joined by one '/' only when the payload
// path is non-empty; Go then sends the URL's RequestURI ("/" for an empty path), percent-encoding spaces and
// non-ASCII in the path, keeping valid escapes and the query as written.
void TestChainExecutor::urlJoining_data()
{
    QTest::addColumn<QString>("chainPath"); // appended to http://127.0.0.1:<port>
    QTest::addColumn<QByteArray>("path");    // payload.path
    QTest::addColumn<QByteArray>("target");  // request-target the backend must see
    QTest::newRow("spec example: url '/', path '/v1/x/'") << "/" << QByteArray("/v1/x/") << QByteArray("/v1/x");
    QTest::newRow("no slash on either side") << "" << QByteArray("v1/x") << QByteArray("/v1/x");
    QTest::newRow("base path, doubled trailing slash") << "/base//" << QByteArray("/v1/x") << QByteArray("/base/v1/x");
    QTest::newRow("base path, path with trailing slashes") << "/base" << QByteArray("v1/x//") << QByteArray("/base/v1/x");
    QTest::newRow("inner slashes kept") << "/a/b/" << QByteArray("//v1//x") << QByteArray("/a/b/v1//x");
    QTest::newRow("empty path, base with slash") << "/base/" << QByteArray() << QByteArray("/base");
    QTest::newRow("empty path, root with slash") << "/" << QByteArray() << QByteArray("/");
    QTest::newRow("empty path, no path at all") << "" << QByteArray() << QByteArray("/");
    QTest::newRow("path of slashes only") << "/base" << QByteArray("//") << QByteArray("/base/");
    QTest::newRow("spec example: query only") << "/" << QByteArray("?a=1") << QByteArray("/?a=1");
    QTest::newRow("query kept as written") << "/base" << QByteArray("/v1?a=1&b=%2F") << QByteArray("/base/v1?a=1&b=%2F");
    QTest::newRow("space in path encoded") << "/" << QByteArray("/b c") << QByteArray("/b%20c");
    QTest::newRow("non-ASCII in path encoded") << "/" << QByteArray("/\xC3\xBC") << QByteArray("/%C3%BC");
    QTest::newRow("valid escape kept") << "/" << QByteArray("/a%2Fb") << QByteArray("/a%2Fb");
}

void TestChainExecutor::urlJoining()
{
    QFETCH(QString, chainPath);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, target);
    Backend backend;
    HttpClient client;
    ChainExecutor executor(&client, ChainCallOptions{});
    auto call = run(executor, ConfiguredChain{"0021", backend.origin() + chainPath, {}, {}},
                    Payload{"{}", "POST", path, std::nullopt});
    QVERIFY(pocket::test::waitFor([&] { return call->done; }));
    QVERIFY2(call->result.has_value(), qPrintable(describe(*call)));
    QCOMPARE(backend.received.size(), 1);
    QCOMPARE(backend.received[0].requestLine(), "POST " + target + " HTTP/1.1");
    QCOMPARE(backend.received[0].header("Host"), backend.hostHeader());
}

// §10.1 step 2: chain_request_path_cleanup drops every non-graphic code point from the whole joined URL
// (after step 1's trimming); off, Go's URL parser encodes non-ASCII and rejects control characters (a
// request-build error, §10.2: 28 "unable to process blockchain request", 500, nothing sent).
void TestChainExecutor::pathCleanup_data()
{
    QTest::addColumn<bool>("cleanup");
    QTest::addColumn<QString>("chainPath");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("target"); // empty: request-build error
    const QByteArray zwsp = "\xE2\x80\x8B";    // U+200B ZERO WIDTH SPACE, format (Cf)
    const QByteArray shy = "\xC2\xAD";         // U+00AD SOFT HYPHEN, format (Cf)
    const QByteArray nbsp = "\xC2\xA0";        // U+00A0 NO-BREAK SPACE, space separator (Zs): graphic
    const QString zwspText = QString::fromUtf8(zwsp);
    QTest::newRow("off: zero-width space encoded") << false << "/" << "/v1/x" + zwsp << QByteArray("/v1/x%E2%80%8B");
    QTest::newRow("on: zero-width space dropped") << true << "/" << "/v1/x" + zwsp << QByteArray("/v1/x");
    QTest::newRow("on: dropped after trimming, slash before it kept")
        << true << "/" << "/v1/x/" + zwsp << QByteArray("/v1/x/");
    QTest::newRow("on: slash after it trimmed") << true << "/" << "/v1/x" + zwsp + "/" << QByteArray("/v1/x");
    QTest::newRow("off: tab rejected") << false << "/" << QByteArray("/v1/\tx") << QByteArray();
    QTest::newRow("off: DEL rejected") << false << "/" << QByteArray("/v1/\x7Fx") << QByteArray();
    QTest::newRow("on: tab, newline, DEL dropped") << true << "/" << QByteArray("/v1/\tx\n\x7F") << QByteArray("/v1/x");
    QTest::newRow("on: soft hyphen dropped") << true << "/" << "/so" + shy + "ft" << QByteArray("/soft");
    QTest::newRow("on: ordinary space kept") << true << "/" << QByteArray("/b c") << QByteArray("/b%20c");
    QTest::newRow("on: no-break space kept") << true << "/" << "/b" + nbsp + "c" << QByteArray("/b%C2%A0c");
    QTest::newRow("on: letters kept") << true << "/" << QByteArray("/\xC3\xBC") << QByteArray("/%C3%BC");
    QTest::newRow("on: chain URL cleaned too")
        << true << "/ba" + zwspText + "se/" << QByteArray("v1") << QByteArray("/base/v1");
    QTest::newRow("off: chain URL left alone")
        << false << "/ba" + zwspText + "se/" << QByteArray("v1") << QByteArray("/ba%E2%80%8Bse/v1");
    QTest::newRow("on: malformed escape still rejected") << true << "/" << QByteArray("/a%zz") << QByteArray();
}

void TestChainExecutor::pathCleanup()
{
    QFETCH(bool, cleanup);
    QFETCH(QString, chainPath);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, target);
    Backend backend;
    HttpClient client;
    ChainCallOptions options;
    options.pathCleanup = cleanup;
    ChainExecutor executor(&client, options);
    auto call = run(executor, ConfiguredChain{"0021", backend.origin() + chainPath, {}, {}},
                    Payload{"{}", "POST", path, std::nullopt});
    QVERIFY(pocket::test::waitFor([&] { return call->done; }));
    if (target.isEmpty()) {
        QVERIFY2(!call->result.has_value(), qPrintable(describe(*call)));
        QCOMPARE(call->result.error().codespace, QStringLiteral("pocketcore"));
        QCOMPARE(call->result.error().code, 28u);
        QCOMPARE(call->result.error().message,
                 QStringLiteral("error executing the http request: unable to process blockchain request"));
        QCOMPARE(call->status, 500);
        QCOMPARE(backend.accepted, 0);
        return;
    }
    QVERIFY2(call->result.has_value(), qPrintable(describe(*call)));
    QCOMPARE(backend.received.size(), 1);
    QCOMPARE(backend.received[0].requestLine(), "POST " + target + " HTTP/1.1");
}

// §10.1 step 6: chain_drop_connections sends `Connection: close` and keeps no connection alive, so every
// call opens a new one; off, sequential calls reuse one keep-alive connection (Go sends no Connection header).
void TestChainExecutor::dropConnections_data()
{
    QTest::addColumn<bool>("drop");
    QTest::newRow("on") << true;
    QTest::newRow("off") << false;
}

void TestChainExecutor::dropConnections()
{
    QFETCH(bool, drop);
    constexpr int kCalls = 3;
    Backend backend;
    HttpClient client;
    ChainCallOptions options;
    options.dropConnections = drop;
    ChainExecutor executor(&client, options);
    const ConfiguredChain chain{"0021", backend.origin(), {}, {}};
    for (int i = 0; i < kCalls; ++i) {
        auto call = run(executor, chain, Payload{"{}", "", "/v1/x", std::nullopt});
        QVERIFY(pocket::test::waitFor([&] { return call->done; }));
        QVERIFY2(call->result.has_value(), qPrintable(describe(*call)));
    }
    QCOMPARE(backend.received.size(), kCalls);
    QSet<int> connections;
    for (const Received& r : std::as_const(backend.received)) {
        connections.insert(r.connection);
        if (drop) QCOMPARE(r.header("Connection"), QByteArray("close"));
        else QCOMPARE(r.headerValues("Connection").size(), 0);
    }
    if (drop) {
        QCOMPARE(backend.accepted, kCalls);
        QCOMPARE(connections.size(), kCalls);
        // The client closes them itself (the backend never does).
        QVERIFY(pocket::test::waitFor([&] { return backend.open == 0; }));
        QCOMPARE(client.idleConnections(), 0);
    } else {
        QCOMPARE(backend.accepted, 1);
        QCOMPARE(connections, QSet<int>{0});
        QCOMPARE(backend.open, 1);
        QCOMPARE(client.idleConnections(), 1);
    }
}

// §10.2/§10.3: json_sort_relay_responses off returns the chain's bytes untouched; on, an object body is
// re-encoded as in Appendix A.5 (read from PROTOCOL.md) and anything that is not one JSON object is kept.
void TestChainExecutor::jsonSortSwitch_data()
{
    QString why;
    const AppendixA5 a5 = readAppendixA5(&why);
    QVERIFY2(why.isEmpty(), qPrintable(why));
    QTest::addColumn<bool>("sort");
    QTest::addColumn<QByteArray>("body");     // what the chain answers
    QTest::addColumn<QByteArray>("expected"); // what execute() returns
    const QByteArray unsorted = "{\"b\":1,\"a\":{\"d\":1e21,\"c\":0.0000001}, \"z\":[3,2,1]}\n";
    const QByteArray spaced = " \n {\"id\":1} \r\n\t";
    QTest::newRow("off: unsorted, 1e21, spaces, newline") << false << unsorted << unsorted;
    QTest::newRow("off: A.5 input") << false << a5.in << a5.in;
    QTest::newRow("off: surrounding whitespace") << false << spaced << spaced;
    QTest::newRow("on: A.5 input") << true << a5.in << a5.out;
    QTest::newRow("on: A.5 not an object") << true << a5.notAnObject << a5.notAnObject;
    QTest::newRow("on: A.5 surrounding whitespace") << true << spaced << QByteArray("{\"id\":1}");
    QTest::newRow("on: invalid JSON") << true << QByteArray("{\"a\":") << QByteArray("{\"a\":");
    QTest::newRow("on: trailing garbage") << true << QByteArray("{\"a\":1} x") << QByteArray("{\"a\":1} x");
}

void TestChainExecutor::jsonSortSwitch()
{
    QFETCH(bool, sort);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, expected);
    Backend backend(body);
    HttpClient client;
    ChainCallOptions options;
    options.sortJson = sort;
    ChainExecutor executor(&client, options);
    auto call = run(executor, ConfiguredChain{"0021", backend.origin(), {}, {}}, Payload{"{}", "", "", std::nullopt});
    QVERIFY(pocket::test::waitFor([&] { return call->done; }));
    QVERIFY2(call->result.has_value(), qPrintable(describe(*call)));
    QCOMPARE(call->result->response, expected);
}

// §10.1 steps 3-4: payload.method verbatim (case kept), POST when empty; body = payload.data. Content-Length as
// Go writes it: sent for a non-empty body and for an empty POST, not for a body-less GET.
void TestChainExecutor::methodAndBody_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QByteArray>("requestLine");
    QTest::addColumn<QByteArray>("contentLength"); // null: no Content-Length header
    QTest::newRow("empty method is POST")
        << QByteArray() << QByteArray("{\"id\":1}") << QByteArray("/v1/x") << QByteArray("POST /v1/x HTTP/1.1")
        << QByteArray("8");
    QTest::newRow("empty method, empty body")
        << QByteArray() << QByteArray() << QByteArray() << QByteArray("POST / HTTP/1.1") << QByteArray("0");
    QTest::newRow("GET with path, no body")
        << QByteArray("GET") << QByteArray() << QByteArray("/v1/health") << QByteArray("GET /v1/health HTTP/1.1")
        << QByteArray();
    QTest::newRow("GET with a body")
        << QByteArray("GET") << QByteArray("{\"a\":1}") << QByteArray("/q") << QByteArray("GET /q HTTP/1.1")
        << QByteArray("7");
    QTest::newRow("case kept") << QByteArray("Post") << QByteArray("{}") << QByteArray("x")
                               << QByteArray("Post /x HTTP/1.1") << QByteArray("2");
}

void TestChainExecutor::methodAndBody()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, data);
    QFETCH(QByteArray, path);
    QFETCH(QByteArray, requestLine);
    QFETCH(QByteArray, contentLength);
    Backend backend;
    HttpClient client;
    ChainExecutor executor(&client, ChainCallOptions{});
    auto call = run(executor, ConfiguredChain{"0021", backend.origin(), {}, {}}, Payload{data, method, path, std::nullopt});
    QVERIFY(pocket::test::waitFor([&] { return call->done; }));
    QVERIFY2(call->result.has_value(), qPrintable(describe(*call)));
    QCOMPARE(backend.received.size(), 1);
    const Received& r = backend.received[0];
    QCOMPARE(r.requestLine(), requestLine);
    QCOMPARE(r.body, data);
    QCOMPARE(r.header("Content-Length"), contentLength);
    QVERIFY(backend.lastRequest.endsWith("\r\n\r\n" + data));
}

// §10.1 step 5: with null or empty payload headers the request gets `Content-Type: application/json`, and
// the configured User-Agent.
void TestChainExecutor::defaultContentType_data()
{
    QTest::addColumn<bool>("null");
    QTest::newRow("headers null") << true;
    QTest::newRow("headers {}") << false;
}

void TestChainExecutor::defaultContentType()
{
    QFETCH(bool, null);
    Backend backend;
    HttpClient client;
    ChainExecutor executor(&client, ChainCallOptions{});
    const std::optional<HeaderMap> headers = null ? std::nullopt : std::optional<HeaderMap>(HeaderMap{});
    auto call = run(executor, ConfiguredChain{"0021", backend.origin(), {}, {}}, Payload{"{}", "", "", headers});
    QVERIFY(pocket::test::waitFor([&] { return call->done; }));
    QVERIFY2(call->result.has_value(), qPrintable(describe(*call)));
    QCOMPARE(backend.received.size(), 1);
    QCOMPARE(backend.received[0].header("Content-Type"), QByteArray("application/json"));
    QCOMPARE(backend.received[0].header("User-Agent"), QByteArray("mesh-node"));
    QCOMPARE(backend.received[0].headerValues("Authorization").size(), 0); // no basic_auth in the chain
}

// §10.1 step 5: each payload header is set under its Go-canonical name, and then no default Content-Type.
void TestChainExecutor::payloadHeadersCanonical()
{
    Backend backend;
    HttpClient client;
    ChainExecutor executor(&client, ChainCallOptions{});
    const ConfiguredChain chain{"0021", backend.origin(), {}, {}};
    auto first = run(executor, chain,
                     Payload{"{}", "", "", HeaderMap{{"x-api-key", "k1"}, {"X-CUSTOM-thing", "Some Value"}}});
    QVERIFY(pocket::test::waitFor([&] { return first->done; }));
    QVERIFY2(first->result.has_value(), qPrintable(describe(*first)));
    auto second = run(executor, chain, Payload{"{}", "", "", HeaderMap{{"content-type", "text/plain"}}});
    QVERIFY(pocket::test::waitFor([&] { return second->done; }));
    QVERIFY2(second->result.has_value(), qPrintable(describe(*second)));
    QCOMPARE(backend.received.size(), 2);

    const Received& a = backend.received[0];
    QVERIFY2(a.head.contains("\r\nX-Api-Key: k1\r\n"), a.head.constData());
    QVERIFY2(a.head.contains("\r\nX-Custom-Thing: Some Value\r\n"), a.head.constData());
    QCOMPARE(a.headerValues("Content-Type").size(), 0);
    QCOMPARE(a.header("User-Agent"), QByteArray("mesh-node"));

    const Received& b = backend.received[1];
    QVERIFY2(b.head.contains("\r\nContent-Type: text/plain\r\n"), b.head.constData());
    QCOMPARE(b.header("Content-Type"), QByteArray("text/plain")); // exactly one, no application/json
}

// §10.1 step 5: payload headers are set after basic auth and User-Agent, so they replace them.
void TestChainExecutor::payloadHeadersOverride()
{
    Backend backend;
    HttpClient client;
    ChainExecutor executor(&client, ChainCallOptions{});
    const ConfiguredChain chain{"0021", backend.origin(), QStringLiteral("alice"), QStringLiteral("pw")};
    auto call = run(executor, chain,
                    Payload{"{}", "", "", HeaderMap{{"authorization", "Bearer t"}, {"user-agent", "custom/1"}}});
    QVERIFY(pocket::test::waitFor([&] { return call->done; }));
    QVERIFY2(call->result.has_value(), qPrintable(describe(*call)));
    QCOMPARE(backend.received.size(), 1);
    QCOMPARE(backend.received[0].header("Authorization"), QByteArray("Bearer t"));
    QCOMPARE(backend.received[0].header("User-Agent"), QByteArray("custom/1"));
}

// §10.1 step 5: payload Host and Content-Length are ignored by the Go client.
void TestChainExecutor::payloadHostAndContentLengthIgnored()
{
    Backend backend;
    HttpClient client;
    ChainExecutor executor(&client, ChainCallOptions{});
    const QByteArray data = "{\"a\":1}";
    auto call = run(executor, ConfiguredChain{"0021", backend.origin(), {}, {}},
                    Payload{data, "", "", HeaderMap{{"host", "evil.example"}, {"content-length", "999"}}});
    QVERIFY(pocket::test::waitFor([&] { return call->done; }));
    QVERIFY2(call->result.has_value(), qPrintable(describe(*call)));
    QCOMPARE(backend.received.size(), 1);
    QCOMPARE(backend.received[0].header("Host"), backend.hostHeader());
    QCOMPARE(backend.received[0].header("Content-Length"), QByteArray::number(data.size()));
    QCOMPARE(backend.received[0].body, data);
}

// §10.1 step 5 with the chain as chains.json gives it (§4.2): Basic auth only when username is non-empty.
void TestChainExecutor::basicAuthFromChainsJson_data()
{
    QTest::addColumn<bool>("withBasicAuth");
    QTest::addColumn<QString>("username");
    QTest::addColumn<QString>("password");
    QTest::addColumn<QByteArray>("authorization"); // null: no header
    QTest::newRow("user and password") << true << "alice" << "s3cr:et"
                                       << "Basic " + QByteArray("alice:s3cr:et").toBase64();
    QTest::newRow("user, empty password") << true << "bob" << "" << "Basic " + QByteArray("bob:").toBase64();
    QTest::newRow("empty user") << true << "" << "pw" << QByteArray();
    QTest::newRow("no basic_auth") << false << "" << "" << QByteArray();
}

void TestChainExecutor::basicAuthFromChainsJson()
{
    QFETCH(bool, withBasicAuth);
    QFETCH(QString, username);
    QFETCH(QString, password);
    QFETCH(QByteArray, authorization);
    Backend backend;
    QJsonObject entry{{QStringLiteral("id"), QStringLiteral("0021")},
                      {QStringLiteral("url"), backend.origin() + QStringLiteral("/base/")}};
    if (withBasicAuth)
        entry.insert(QStringLiteral("basic_auth"),
                     QJsonObject{{QStringLiteral("username"), username}, {QStringLiteral("password"), password}});
    const ConfigResult<ChainTable> table =
        parseChainsFile(QJsonDocument(QJsonArray{entry}).toJson(), QStringLiteral("chains.json"));
    QVERIFY(table.ok());
    const ConfiguredChain* chain = table.value.find("0021");
    QVERIFY(chain);

    HttpClient client;
    ChainExecutor executor(&client, ChainCallOptions{});
    auto call = run(executor, *chain, Payload{"{}", "", "/v1", std::nullopt});
    QVERIFY(pocket::test::waitFor([&] { return call->done; }));
    QVERIFY2(call->result.has_value(), qPrintable(describe(*call)));
    QCOMPARE(backend.received.size(), 1);
    QCOMPARE(backend.received[0].requestLine(), QByteArray("POST /base/v1 HTTP/1.1"));
    QCOMPARE(backend.received[0].header("Authorization"), authorization);
}

QTEST_GUILESS_MAIN(TestChainExecutor)
#include "tst_chainexecutor.moc"
