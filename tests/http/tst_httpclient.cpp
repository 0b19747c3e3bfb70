// HttpClient against real servers on 127.0.0.1: a scripted QTcpServer (exact bytes both ways) and a
// QHttpServer (realistic keep-alive). PROTOCOL §10.1-10.2 Go client behaviour.
#include <QElapsedTimer>
#include <QHttpServer>
#include <QHttpServerResponder>
#include <QPointer>
#include <QProcess>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <zlib.h>

#include "http/httpclient.h"
#include "httprequestbuffer.h"
#include "testsupport.h"

using namespace pocket;
using pocket::test::waitFor;

namespace {

QByteArray gzip(const QByteArray& data)
{
    z_stream z{};
    deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    QByteArray out(qsizetype(deflateBound(&z, uLong(data.size()))) + 32, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.constData()));
    z.avail_in = uInt(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = uInt(out.size());
    deflate(&z, Z_FINISH);
    out.resize(qsizetype(z.total_out));
    deflateEnd(&z);
    return out;
}

QByteArray response(int status, const QByteArray& body, const QByteArray& extraHeaders = {})
{
    return "HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n"
           + extraHeaders + "\r\n" + body;
}

// One request as the scripted server received it (head: request line and header lines, up to and including
// the empty line, byte for byte; header(name): the first value).
struct Received : pocket::test::BufferedHttpRequest {
    int connection = -1;     // index of the accepted connection it came on
    QByteArray requestLine() const { return head.left(head.indexOf("\r\n")); }
    int headerCount(QByteArrayView name) const { return int(headerValues(name).size()); }
};

// A QTcpServer that parses requests (Content-Length bodies only) and lets the test script the answer.
class ScriptServer : public QObject {
public:
    using Handler = std::function<void(QTcpSocket*, const Received&)>;

    ScriptServer()
    {
        QVERIFY(m_server.listen(QHostAddress::LocalHost, 0));
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = m_server.nextPendingConnection()) {
                const int index = accepted++;
                ++open;
                maxOpen = std::max(maxOpen, open);
                sockets.append(s);
                connect(s, &QTcpSocket::disconnected, this, [this, s] {
                    --open;
                    s->deleteLater();
                });
                connect(s, &QTcpSocket::readyRead, this, [this, s, index] { onData(s, index); });
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }
    QByteArray url(const QByteArray& path = "/") const
    {
        return "http://127.0.0.1:" + QByteArray::number(port()) + path;
    }

    Handler handler = [](QTcpSocket* s, const Received&) { s->write(response(200, "ok")); };
    QList<Received> received;
    QList<QPointer<QTcpSocket>> sockets;
    int accepted = 0;
    int open = 0;
    int maxOpen = 0;

private:
    void onData(QTcpSocket* s, int index)
    {
        QByteArray& buf = m_buffers[s];
        buf += s->readAll();
        while (auto request = pocket::test::takeHttpRequest(buf)) {
            const Received r{std::move(*request), index};
            received.append(r);
            handler(s, r);
            if (s->state() != QAbstractSocket::ConnectedState)
                return;
        }
    }

    QTcpServer m_server;
    QHash<QTcpSocket*, QByteArray> m_buffers;
};

struct Outcome {
    bool called = false;
    int calls = 0;
    HttpResult result = std::unexpected(HttpError{HttpErrorKind::Transport, QStringLiteral("not called")});
    QElapsedTimer timer;
    qint64 elapsedMs = -1;
    bool insideSend = true; // the callback must never run while send() is still on the stack
};

// send() with a callback that records the result; `sync` is true if the callback ran inside send().
std::shared_ptr<Outcome> start(HttpClient& client, HttpRequest request, QObject* context = nullptr, bool* sync = nullptr)
{
    auto outcome = std::make_shared<Outcome>();
    outcome->timer.start();
    client.send(std::move(request), context, [outcome, sync](HttpResult result) {
        if (sync && outcome->insideSend)
            *sync = true;
        outcome->called = true;
        ++outcome->calls;
        outcome->elapsedMs = outcome->timer.elapsed();
        outcome->result = std::move(result);
    });
    outcome->insideSend = false;
    return outcome;
}

HttpResult fetch(HttpClient& client, HttpRequest request, int waitMs = 10000)
{
    auto outcome = start(client, std::move(request));
    if (!waitFor([&] { return outcome->called; }, waitMs))
        return std::unexpected(HttpError{HttpErrorKind::Transport, QStringLiteral("test: no callback")});
    return outcome->result;
}

HttpRequest get(const QByteArray& url)
{
    HttpRequest r;
    r.method = "GET";
    r.url = url;
    return r;
}

HttpRequest post(const QByteArray& url, const QByteArray& body)
{
    HttpRequest r;
    r.method = "POST";
    r.url = url;
    r.body = body;
    return r;
}

QString describe(const HttpResult& r)
{
    if (r)
        return QStringLiteral("status %1").arg(r->status);
    return httpErrorKindName(r.error().kind) + QStringLiteral(": ") + r.error().message;
}

// Each macro evaluates its argument once (it is often a whole request).
#define VERIFY_OK(expr)                                                                                 \
    do {                                                                                                \
        const HttpResult verifyResult_ = (expr);                                                        \
        QVERIFY2(verifyResult_.has_value(), qPrintable(describe(verifyResult_)));                       \
    } while (false)
#define VERIFY_ERROR(expr, errorKind)                                                                   \
    do {                                                                                                \
        const HttpResult verifyResult_ = (expr);                                                        \
        QVERIFY2(!verifyResult_.has_value(), qPrintable(describe(verifyResult_)));                      \
        QVERIFY2(verifyResult_.error().kind == (errorKind), qPrintable(describe(verifyResult_)));       \
    } while (false)

} // namespace

class TestHttpClient : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // --- request bytes -------------------------------------------------------------------------------

    void exactRequestBytes()
    {
        ScriptServer server;
        HttpClientOptions options;
        options.userAgent = "mesh-node";
        HttpClient client(options);

        HttpRequest r = post(server.url("/v1/x?b=2&a=1"), R"({"id":1})");
        r.headers = {{"Content-Type", "application/json"}, {"Host", "evil"}, {"Content-Length", "99"},
                     {"X-Custom", "  padded  "}, {"X-Custom", "second"}, {"Transfer-Encoding", "chunked"}};
        VERIFY_OK(fetch(client, r));
        QCOMPARE(server.received.size(), 1);
        const QByteArray host = "127.0.0.1:" + QByteArray::number(server.port());
        QCOMPARE(server.received[0].head, "POST /v1/x?b=2&a=1 HTTP/1.1\r\nHost: " + host
                                              + "\r\nUser-Agent: mesh-node\r\nContent-Length: 8\r\n"
                                                "Content-Type: application/json\r\nX-Custom: padded\r\nX-Custom: second\r\n"
                                                "Accept-Encoding: gzip\r\n\r\n");
        QCOMPARE(server.received[0].body, QByteArray(R"({"id":1})"));

        // Caller's User-Agent wins; GET without body has no Content-Length; method case is kept.
        HttpRequest g = get(server.url("/"));
        g.method = "get";
        g.headers = {{"user-agent", "custom/1"}, {"Accept-Encoding", "identity"}};
        VERIFY_OK(fetch(client, g));
        QCOMPARE(server.received[1].head, "get / HTTP/1.1\r\nHost: " + host
                                              + "\r\nUser-Agent: custom/1\r\nAccept-Encoding: identity\r\n\r\n");

        // Empty POST/PUT/PATCH carry Content-Length: 0 (Go); empty DELETE does not; an empty
        // User-Agent sends none.
        for (const QByteArray method : {"POST", "PUT", "PATCH", "DELETE"}) {
            HttpRequest e = post(server.url("/e"), {});
            e.method = method;
            e.headers = {{"User-Agent", ""}};
            VERIFY_OK(fetch(client, e));
            const Received& got = server.received.last();
            QCOMPARE(got.header("Content-Length"), method == "DELETE" ? QByteArray() : QByteArray("0"));
            QCOMPARE(got.headerCount("User-Agent"), 0);
        }

        // Empty method means GET; default options send Go's User-Agent.
        HttpClient goDefaults;
        HttpRequest noMethod;
        noMethod.url = server.url("/d");
        VERIFY_OK(fetch(goDefaults, noMethod));
        QVERIFY(server.received.last().head.startsWith("GET /d HTTP/1.1\r\n"));
        QCOMPARE(server.received.last().header("User-Agent"), QByteArray("Go-http-client/1.1"));
    }

    void urlEncodingOnTheWire()
    {
        ScriptServer server;
        HttpClient client;
        // Go re-escapes the decoded path when the raw one needs escaping: %41 is sent as "A".
        VERIFY_OK(fetch(client, get(server.url("/b c/\xc3\xbc/a%41?q=x y&r=%zz&u=\xc3\xbc"))));
        VERIFY_OK(fetch(client, get(server.url("/keep%41/%2F?q"))));
        QCOMPARE(server.received[1].requestLine(), QByteArray("GET /keep%41/%2F?q HTTP/1.1"));
        QCOMPARE(server.received[0].requestLine(),
                 QByteArray("GET /b%20c/%C3%BC/aA?q=x y&r=%zz&u=\xc3\xbc HTTP/1.1"));
    }

    void basicAuthFromUserinfo()
    {
        ScriptServer server;
        HttpClient client;
        const QByteArray url = "http://user:p%40ss@127.0.0.1:" + QByteArray::number(server.port()) + "/";
        VERIFY_OK(fetch(client, get(url)));
        QCOMPARE(server.received[0].header("Authorization"), "Basic " + QByteArray("user:p@ss").toBase64());
        // An explicit Authorization header wins.
        HttpRequest explicitAuth = get(url);
        explicitAuth.headers = {{"Authorization", "Bearer t"}};
        VERIFY_OK(fetch(client, explicitAuth));
        QCOMPARE(server.received[1].header("Authorization"), QByteArray("Bearer t"));
        QCOMPARE(server.received[1].headerCount("Authorization"), 1);
    }

    // --- request validation --------------------------------------------------------------------------

    void invalidRequests_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("url");
        QTest::addColumn<QByteArray>("headerName");
        QTest::addColumn<QByteArray>("headerValue");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("message");
        const int invalid = int(HttpErrorKind::InvalidRequest);
        const int transport = int(HttpErrorKind::Transport);
        QTest::newRow("control char") << QByteArray("GET") << QByteArray("http://127.0.0.1:1/a\nb") << QByteArray() << QByteArray()
                                      << invalid << QStringLiteral("net/url: invalid control character in URL");
        QTest::newRow("bad escape") << QByteArray("GET") << QByteArray("http://127.0.0.1:1/%zz") << QByteArray() << QByteArray()
                                    << invalid << QStringLiteral("invalid URL escape \"%zz\"");
        QTest::newRow("bad method") << QByteArray("GE T") << QByteArray("http://127.0.0.1:1/") << QByteArray() << QByteArray()
                                    << invalid << QStringLiteral("net/http: invalid method \"GE T\"");
        QTest::newRow("scheme") << QByteArray("GET") << QByteArray("ftp://127.0.0.1:1/") << QByteArray() << QByteArray()
                                << transport << QStringLiteral("unsupported protocol scheme \"ftp\"");
        QTest::newRow("no host") << QByteArray("GET") << QByteArray("http:///x") << QByteArray() << QByteArray()
                                 << transport << QStringLiteral("http: no Host in request URL");
        QTest::newRow("header name") << QByteArray("GET") << QByteArray("http://127.0.0.1:1/") << QByteArray("Bad Name")
                                     << QByteArray("v") << transport << QStringLiteral("net/http: invalid header field name \"Bad Name\"");
        QTest::newRow("header value") << QByteArray("GET") << QByteArray("http://127.0.0.1:1/") << QByteArray("X-Token")
                                      << QByteArray("secret\r\nInjected: 1") << transport
                                      << QStringLiteral("net/http: invalid header field value for \"X-Token\"");
    }
    void invalidRequests()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, url);
        QFETCH(QByteArray, headerName);
        QFETCH(QByteArray, headerValue);
        QFETCH(int, kind);
        QFETCH(QString, message);
        HttpClient client;
        HttpRequest r = get(url);
        r.method = method;
        if (!headerName.isEmpty())
            r.headers = {{headerName, headerValue}};
        bool sync = false;
        auto outcome = start(client, r, nullptr, &sync);
        QVERIFY(!outcome->called); // never from inside send()
        QVERIFY(waitFor([&] { return outcome->called; }));
        QVERIFY(!sync);
        VERIFY_ERROR(outcome->result, HttpErrorKind(kind));
        QCOMPARE(outcome->result.error().message, message);
        QVERIFY(!outcome->result.error().message.contains(QStringLiteral("secret")));
        QCOMPARE(client.activeConnections(), 0);
    }

    // --- connection pool -----------------------------------------------------------------------------

    void keepAliveReuse()
    {
        ScriptServer server;
        HttpClient client;
        for (int i = 0; i < 20; ++i)
            VERIFY_OK(fetch(client, post(server.url("/"), "x")));
        QCOMPARE(server.accepted, 1);
        QCOMPARE(client.idleConnections(), 1);
        QCOMPARE(client.activeConnections(), 0);
    }

    void keepAliveWithQHttpServer()
    {
        QHttpServer http;
        http.route("/echo", [](const QHttpServerRequest& request) { return QHttpServerResponse(request.body()); });
        auto* tcp = new QTcpServer(&http);
        QVERIFY(tcp->listen(QHostAddress::LocalHost, 0));
        int accepted = 0;
        connect(tcp, &QTcpServer::newConnection, this, [&accepted] { ++accepted; });
        http.bind(tcp);
        const QByteArray url = "http://127.0.0.1:" + QByteArray::number(tcp->serverPort()) + "/echo";

        HttpClient client;
        for (int i = 0; i < 50; ++i) {
            const QByteArray body = "payload-" + QByteArray::number(i);
            const HttpResult r = fetch(client, post(url, body));
            VERIFY_OK(r);
            QCOMPARE(r->status, 200);
            QCOMPARE(r->body, body);
        }
        QCOMPARE(accepted, 1);

        // 64 concurrent requests: every one answered with its own body, connections stay bounded.
        std::vector<std::shared_ptr<Outcome>> outcomes;
        for (int i = 0; i < 64; ++i)
            outcomes.push_back(start(client, post(url, "c" + QByteArray::number(i))));
        QVERIFY(waitFor([&] { return std::all_of(outcomes.begin(), outcomes.end(), [](auto& o) { return o->called; }); }));
        for (int i = 0; i < 64; ++i) {
            VERIFY_OK(outcomes[i]->result);
            QCOMPARE(outcomes[i]->result->body, "c" + QByteArray::number(i));
        }
        QVERIFY(accepted <= 64);
        // Dials started for requests that another connection served finish later and become idle (Go).
        QVERIFY(waitFor([&] { return client.activeConnections() == 0; }));
        QCOMPARE(client.idleConnections(), accepted);
        QCOMPARE(client.queuedRequests(), 0);
    }

    void perHostLimit()
    {
        ScriptServer server;
        // Answer each request 30 ms later so that requests pile up.
        server.handler = [](QTcpSocket* s, const Received&) {
            QPointer<QTcpSocket> guard(s);
            QTimer::singleShot(30, s, [guard] {
                if (guard)
                    guard->write(response(200, "slow"));
            });
        };
        HttpClientOptions options;
        options.maxConnsPerHost = 2;
        HttpClient client(options);
        std::vector<std::shared_ptr<Outcome>> outcomes;
        for (int i = 0; i < 10; ++i)
            outcomes.push_back(start(client, get(server.url("/n" + QByteArray::number(i)))));
        QCOMPARE(client.queuedRequests(), 10); // nothing is written (or dialled) inside send() ...
        QCOMPARE(client.activeConnections(), 0);
        // ... once the event loop turned, two dials are under way and the other eight wait for them.
        QVERIFY(waitFor([&] { return client.activeConnections() == 2; }));
        QVERIFY(client.queuedRequests() >= 8);
        QVERIFY(waitFor([&] { return std::all_of(outcomes.begin(), outcomes.end(), [](auto& o) { return o->called; }); }));
        for (auto& o : outcomes)
            VERIFY_OK(o->result);
        QCOMPARE(server.accepted, 2);
        QCOMPARE(server.maxOpen, 2);
        // FIFO: requests were served in the order they were sent.
        for (int i = 0; i < 10; ++i)
            QCOMPARE(server.received[i].requestLine(), "GET /n" + QByteArray::number(i) + " HTTP/1.1");
        QCOMPARE(client.queuedRequests(), 0);
    }

    void idleLimitsAndTimeout()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket* s, const Received&) {
            QPointer<QTcpSocket> guard(s);
            QTimer::singleShot(20, s, [guard] {
                if (guard)
                    guard->write(response(200, "ok"));
            });
        };
        HttpClientOptions options;
        options.maxIdlePerHost = 1;
        options.idleTimeoutMs = 300;
        HttpClient client(options);
        std::vector<std::shared_ptr<Outcome>> outcomes;
        for (int i = 0; i < 3; ++i)
            outcomes.push_back(start(client, get(server.url())));
        QVERIFY(waitFor([&] { return std::all_of(outcomes.begin(), outcomes.end(), [](auto& o) { return o->called; }); }));
        QCOMPARE(server.accepted, 3);
        QCOMPARE(client.idleConnections(), 1); // only one kept for reuse
        QVERIFY(waitFor([&] { return server.open == 1; }));
        QElapsedTimer t;
        t.start();
        QVERIFY(waitFor([&] { return client.idleConnections() == 0; }, 3000));
        QVERIFY(waitFor([&] { return server.open == 0; }));
        QVERIFY2(t.elapsed() >= 200, qPrintable(QString::number(t.elapsed())));
    }

    void serverConnectionClose()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket* s, const Received&) { s->write(response(200, "bye", "Connection: close\r\n")); };
        HttpClient client;
        VERIFY_OK(fetch(client, get(server.url())));
        QCOMPARE(client.idleConnections(), 0);
        VERIFY_OK(fetch(client, get(server.url())));
        QCOMPARE(server.accepted, 2);
    }

    void closeConnectionOption()
    {
        ScriptServer server;
        HttpClient client;
        HttpRequest r = post(server.url(), "x");
        r.closeConnection = true;
        VERIFY_OK(fetch(client, r));
        QCOMPARE(server.received[0].header("Connection"), QByteArray("close"));
        QCOMPARE(client.idleConnections(), 0);
        // The mesh also sets the header itself (chains.go): sent once.
        r.headers = {{"Connection", "close"}};
        VERIFY_OK(fetch(client, r));
        QCOMPARE(server.received[1].headerCount("Connection"), 1);
        QCOMPARE(server.accepted, 2);
        QVERIFY(waitFor([&] { return server.open == 0; }));
    }

    // --- stale keep-alive connections ----------------------------------------------------------------

    // The server answered and closed in the same breath (no Connection: close): the next request must
    // notice before writing and use a fresh connection, whatever its method.
    void closedIdleConnectionIsNotUsed()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket* s, const Received&) {
            s->write(response(200, "ok"));
            s->flush();
            s->disconnectFromHost();
        };
        HttpClient client;
        auto first = start(client, post(server.url(), "1"));
        std::shared_ptr<Outcome> second;
        // Send the next request from the callback, before the event loop can report the close.
        auto chained = std::make_shared<Outcome>();
        client.send(post(server.url(), "1"), nullptr, [&](HttpResult r) {
            chained->called = true;
            chained->result = std::move(r);
            second = start(client, post(server.url(), "2"));
        });
        QVERIFY(waitFor([&] { return first->called && chained->called && second && second->called; }));
        VERIFY_OK(first->result);
        VERIFY_OK(chained->result);
        VERIFY_OK(second->result);
        QCOMPARE(server.received.size(), 3);
    }

    // Same, when the connection is handed straight to a queued request.
    void closedConnectionNotHandedToWaiter()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket* s, const Received&) {
            s->write(response(200, "ok"));
            s->flush();
            s->disconnectFromHost();
        };
        HttpClientOptions options;
        options.maxConnsPerHost = 1;
        HttpClient client(options);
        auto a = start(client, post(server.url("/a"), "1"));
        auto b = start(client, post(server.url("/b"), "2"));
        QVERIFY(waitFor([&] { return a->called && b->called; }));
        VERIFY_OK(a->result);
        VERIFY_OK(b->result);
        QCOMPARE(server.accepted, 2);
        QCOMPARE(server.received.size(), 2);
    }

    // The server closes a kept-alive connection as the request arrives (its keep-alive timer fired):
    // Go retries GET/HEAD/OPTIONS/TRACE and requests with an Idempotency-Key, not other POSTs.
    void staleConnectionRetry_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("idempotencyKey");
        QTest::addColumn<bool>("retried");
        QTest::newRow("GET") << QByteArray("GET") << QByteArray() << true;
        QTest::newRow("HEAD") << QByteArray("HEAD") << QByteArray() << true;
        QTest::newRow("POST") << QByteArray("POST") << QByteArray() << false;
        QTest::newRow("POST with key") << QByteArray("POST") << QByteArray("k1") << true;
    }
    void staleConnectionRetry()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, idempotencyKey);
        QFETCH(bool, retried);
        ScriptServer server;
        int perConnection[8] = {};
        server.handler = [&](QTcpSocket* s, const Received& r) {
            if (r.connection == 0 && perConnection[0]++ == 1) {
                s->abort(); // second request on the first connection: gone without a byte
                return;
            }
            s->write(response(200, "ok"));
        };
        HttpClient client;
        VERIFY_OK(fetch(client, get(server.url("/warm"))));
        QCOMPARE(client.idleConnections(), 1);
        HttpRequest r = post(server.url("/again"), "body");
        r.method = method;
        if (!idempotencyKey.isEmpty())
            r.headers = {{"Idempotency-Key", idempotencyKey}};
        const HttpResult result = fetch(client, r);
        if (retried) {
            VERIFY_OK(result);
            QCOMPARE(server.accepted, 2);
            QCOMPARE(server.received.size(), 3);
            QCOMPARE(server.received[2].connection, 1);
        } else {
            VERIFY_ERROR(result, HttpErrorKind::Transport);
            QCOMPARE(server.accepted, 1);
        }
    }

    // A fresh connection closed before any response byte is an error, never retried.
    void freshConnectionClosedIsError()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket* s, const Received&) { s->abort(); };
        HttpClient client;
        const HttpResult r = fetch(client, get(server.url()));
        VERIFY_ERROR(r, HttpErrorKind::Transport);
        QCOMPARE(server.received.size(), 1);
    }

    // --- response framing end to end -----------------------------------------------------------------

    void chunkedWithTrailers()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket* s, const Received&) {
            s->write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n4\r\nwiki\r\n");
            s->flush();
            s->write("5;name=v\r\npedia\r\n0\r\nX-T: done\r\n\r\n");
        };
        HttpClient client;
        for (int i = 0; i < 2; ++i) {
            const HttpResult r = fetch(client, get(server.url()));
            VERIFY_OK(r);
            QCOMPARE(r->body, QByteArray("wikipedia"));
            QCOMPARE(r->trailers.size(), 1);
            QCOMPARE(r->trailers[0].second, QByteArray("done"));
        }
        QCOMPARE(server.accepted, 1); // chunked responses keep the connection
    }

    void readUntilClose()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket* s, const Received&) {
            s->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ");
            s->flush();
            QPointer<QTcpSocket> guard(s);
            QTimer::singleShot(20, s, [guard] {
                if (guard) {
                    guard->write("the end");
                    guard->disconnectFromHost();
                }
            });
        };
        HttpClient client;
        const HttpResult r = fetch(client, get(server.url()));
        VERIFY_OK(r);
        QCOMPARE(r->body, QByteArray("until the end"));
        QCOMPARE(client.idleConnections(), 0);
        VERIFY_OK(fetch(client, get(server.url())));
        QCOMPARE(server.accepted, 2);
    }

    void noBodyResponses()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket* s, const Received& r) {
            if (r.requestLine().startsWith("HEAD"))
                s->write("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n");
            else if (r.requestLine().startsWith("GET /204"))
                s->write("HTTP/1.1 204 No Content\r\n\r\n");
            else
                s->write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
        };
        HttpClient client;
        HttpRequest head = get(server.url());
        head.method = "HEAD";
        const HttpResult h = fetch(client, head);
        VERIFY_OK(h);
        QCOMPARE(h->header("Content-Length"), QByteArray("5000"));
        QVERIFY(h->body.isEmpty());
        QCOMPARE(server.received[0].header("Accept-Encoding"), QByteArray()); // Go adds none for HEAD
        const HttpResult n = fetch(client, get(server.url("/204")));
        VERIFY_OK(n);
        QCOMPARE(n->status, 204);
        const HttpResult c = fetch(client, get(server.url("/continue")));
        VERIFY_OK(c);
        QCOMPARE(c->status, 200);
        QCOMPARE(c->body, QByteArray("hi"));
        QCOMPARE(server.accepted, 1);
    }

    void errorStatusIsAResponse()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket* s, const Received&) { s->write(response(503, "busy")); };
        HttpClient client;
        const HttpResult r = fetch(client, get(server.url()));
        VERIFY_OK(r); // PROTOCOL §10.2: any HTTP status is a result
        QCOMPARE(r->status, 503);
        QCOMPARE(r->body, QByteArray("busy"));
    }

    void malformedAndTruncated()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket* s, const Received& r) {
            if (r.requestLine().startsWith("GET /garbage"))
                s->write("SSH-2.0-OpenSSH\r\n\r\n");
            else
                s->write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly some");
            s->flush();
            s->disconnectFromHost();
        };
        HttpClient client;
        VERIFY_ERROR(fetch(client, get(server.url("/garbage"))), HttpErrorKind::Transport);
        VERIFY_ERROR(fetch(client, get(server.url("/short"))), HttpErrorKind::BodyRead);
        QCOMPARE(client.activeConnections(), 0);
        QCOMPARE(client.idleConnections(), 0);
    }

    void largeBodies()
    {
        QByteArray big(8 << 20, '\0');
        for (qsizetype i = 0; i < big.size(); ++i)
            big[i] = char('a' + (i * 7 + i / 4096) % 26);
        ScriptServer server;
        server.handler = [&big](QTcpSocket* s, const Received& r) {
            if (r.requestLine().startsWith("GET /chunked")) {
                s->write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                for (qsizetype off = 0; off < big.size(); off += 100000) {
                    const QByteArray part = big.mid(off, 100000);
                    s->write(QByteArray::number(part.size(), 16) + "\r\n" + part + "\r\n");
                }
                s->write("0\r\n\r\n");
            } else if (r.requestLine().startsWith("POST /echo")) {
                s->write(response(200, QByteArray::number(r.body.size())));
            } else {
                s->write(response(200, big));
            }
        };
        HttpClient client;
        const HttpResult fixed = fetch(client, get(server.url("/fixed")));
        VERIFY_OK(fixed);
        QVERIFY(fixed->body == big);
        const HttpResult chunked = fetch(client, get(server.url("/chunked")));
        VERIFY_OK(chunked);
        QVERIFY(chunked->body == big);
        const HttpResult upload = fetch(client, post(server.url("/echo"), big));
        VERIFY_OK(upload);
        QCOMPARE(upload->body, QByteArray::number(big.size()));
        QCOMPARE(server.received.last().body.size(), big.size());
        QCOMPARE(server.accepted, 1);
    }

    void tooLarge()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket* s, const Received& r) {
            if (r.requestLine().startsWith("GET /small"))
                s->write(response(200, QByteArray(1000, 'x')));
            else if (r.requestLine().startsWith("GET /bomb"))
                s->write(response(200, gzip(QByteArray(4 << 20, 'z')), "Content-Encoding: gzip\r\n"));
            else
                s->write(response(200, QByteArray(1001, 'x')));
        };
        HttpClientOptions options;
        options.maxResponseBytes = 1000;
        HttpClient client(options);
        VERIFY_OK(fetch(client, get(server.url("/small"))));
        VERIFY_ERROR(fetch(client, get(server.url("/big"))), HttpErrorKind::TooLarge);
        VERIFY_ERROR(fetch(client, get(server.url("/bomb"))), HttpErrorKind::TooLarge);
        QCOMPARE(client.activeConnections(), 0);
    }

    void gzipTransparentOrRaw()
    {
        const QByteArray plain = QByteArray(R"({"jsonrpc":"2.0","id":1,"result":"0x10d4f"})").repeated(20);
        const QByteArray packed = gzip(plain);
        ScriptServer server;
        server.handler = [&](QTcpSocket* s, const Received& r) {
            if (r.header("Accept-Encoding").contains("gzip"))
                s->write(response(200, packed, "Content-Encoding: gzip\r\n"));
            else
                s->write(response(200, plain));
        };
        HttpClient client;
        const HttpResult transparent = fetch(client, post(server.url(), "{}"));
        VERIFY_OK(transparent);
        QCOMPARE(server.received[0].header("Accept-Encoding"), QByteArray("gzip"));
        QCOMPARE(transparent->body, plain);
        QCOMPARE(transparent->header("Content-Encoding"), QByteArray());
        QCOMPARE(transparent->header("Content-Length"), QByteArray());

        // PROTOCOL §10.1 step 7: the payload set Accept-Encoding -> raw compressed bytes.
        HttpRequest raw = post(server.url(), "{}");
        raw.headers = {{"Accept-Encoding", "gzip"}};
        const HttpResult rawResult = fetch(client, raw);
        VERIFY_OK(rawResult);
        QCOMPARE(server.received[1].headerCount("Accept-Encoding"), 1);
        QCOMPARE(rawResult->body, packed);
        QCOMPARE(rawResult->header("Content-Encoding"), QByteArray("gzip"));
        QCOMPARE(server.accepted, 1);
    }

    // --- redirects -----------------------------------------------------------------------------------

    void redirects_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("expectedMethod");
        QTest::addColumn<bool>("keepsBody");
        QTest::newRow("301 POST") << 301 << QByteArray("POST") << QByteArray("GET") << false;
        QTest::newRow("302 POST") << 302 << QByteArray("POST") << QByteArray("GET") << false;
        QTest::newRow("303 POST") << 303 << QByteArray("POST") << QByteArray("GET") << false;
        QTest::newRow("303 PUT") << 303 << QByteArray("PUT") << QByteArray("GET") << false;
        QTest::newRow("302 HEAD") << 302 << QByteArray("HEAD") << QByteArray("HEAD") << false;
        QTest::newRow("307 POST") << 307 << QByteArray("POST") << QByteArray("POST") << true;
        QTest::newRow("308 PUT") << 308 << QByteArray("PUT") << QByteArray("PUT") << true;
    }
    void redirects()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, expectedMethod);
        QFETCH(bool, keepsBody);
        ScriptServer server;
        server.handler = [status](QTcpSocket* s, const Received& r) {
            if (r.requestLine().contains("/start"))
                s->write(response(status, "moved", "Location: ../final?x=1\r\n"));
            else
                s->write(response(200, r.body.isEmpty() ? "empty" : r.body));
        };
        HttpClient client;
        HttpRequest r = post(server.url("/a/start"), "the-body");
        r.method = method;
        r.headers = {{"Content-Type", "application/json"}, {"X-Keep", "1"}};
        const HttpResult result = fetch(client, r);
        VERIFY_OK(result);
        QCOMPARE(result->status, 200);
        QCOMPARE(server.received.size(), 2);
        const Received& second = server.received[1];
        QCOMPARE(second.requestLine(), expectedMethod + " /final?x=1 HTTP/1.1");
        QCOMPARE(second.header("X-Keep"), QByteArray("1"));                 // initial headers copied
        QCOMPARE(second.header("Referer"), server.url("/a/start"));          // Go adds a Referer
        if (keepsBody) {
            QCOMPARE(second.body, QByteArray("the-body"));
            QCOMPARE(second.header("Content-Length"), QByteArray("8"));
        } else {
            QVERIFY(second.body.isEmpty());
            QCOMPARE(second.header("Content-Length"), QByteArray());
        }
        // Without following: the 3xx itself.
        r.followRedirects = false;
        const HttpResult unfollowed = fetch(client, r);
        VERIFY_OK(unfollowed);
        QCOMPARE(unfollowed->status, status);
        QCOMPARE(unfollowed->header("Location"), QByteArray("../final?x=1"));
    }

    void redirectLimit()
    {
        ScriptServer server;
        int hopsBeforeOk = 0;
        server.handler = [&](QTcpSocket* s, const Received& r) {
            const int hop = r.requestLine().split('/').at(1).split(' ').at(0).toInt();
            if (hop < hopsBeforeOk)
                s->write(response(302, {}, "Location: /" + QByteArray::number(hop + 1) + "\r\n"));
            else
                s->write(response(200, "landed"));
        };
        HttpClient client;
        // Go: a chain of 10 requests (9 redirects) succeeds ...
        hopsBeforeOk = 9;
        VERIFY_OK(fetch(client, get(server.url("/0"))));
        QCOMPARE(server.received.size(), 10);
        // ... the 10th redirect is refused.
        server.received.clear();
        hopsBeforeOk = 1000;
        const HttpResult loop = fetch(client, get(server.url("/0")));
        VERIFY_ERROR(loop, HttpErrorKind::Transport);
        QCOMPARE(loop.error().message, QStringLiteral("stopped after 10 redirects"));
        QCOMPARE(server.received.size(), 10);
    }

    void redirectWithoutLocation()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket* s, const Received& r) {
            s->write(response(r.requestLine().contains("/302") ? 302 : 307, "no location"));
        };
        HttpClient client;
        const HttpResult missing = fetch(client, get(server.url("/302")));
        VERIFY_ERROR(missing, HttpErrorKind::Transport);
        QCOMPARE(missing.error().message, QStringLiteral("302 response missing Location header"));
        const HttpResult kept = fetch(client, get(server.url("/307"))); // Go returns such a 307 as is
        VERIFY_OK(kept);
        QCOMPARE(kept->status, 307);
    }

    void authorizationStrippedAcrossHosts()
    {
        ScriptServer target;
        ScriptServer origin;
        const QByteArray otherHost = "http://localhost:" + QByteArray::number(target.port()) + "/landing";
        origin.handler = [&](QTcpSocket* s, const Received& r) {
            if (r.requestLine().contains("/cross"))
                s->write(response(302, {}, "Location: " + otherHost + "\r\n"));
            else if (r.requestLine().contains("/same"))
                s->write(response(307, {}, "Location: /landed\r\n"));
            else
                s->write(response(200, "here"));
        };
        HttpClient client;
        HttpRequest same = post(origin.url("/same"), "x");
        same.headers = {{"Authorization", "Basic c2VjcmV0"}, {"Cookie", "a=b"}, {"X-Other", "kept"}};
        VERIFY_OK(fetch(client, same));
        QCOMPARE(origin.received[1].header("Authorization"), QByteArray("Basic c2VjcmV0"));

        HttpRequest cross = same;
        cross.url = origin.url("/cross");
        VERIFY_OK(fetch(client, cross));
        QCOMPARE(target.received.size(), 1);
        QCOMPARE(target.received[0].headerCount("Authorization"), 0);
        QCOMPARE(target.received[0].headerCount("Cookie"), 0);
        QCOMPARE(target.received[0].header("X-Other"), QByteArray("kept"));
        QCOMPARE(target.received[0].header("Host"), "localhost:" + QByteArray::number(target.port()));
    }

    // --- timeouts and failures -----------------------------------------------------------------------

    void timeoutWhileAwaitingHeaders()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket*, const Received&) {}; // never answers
        HttpClient client;
        HttpRequest r = post(server.url(), "x");
        r.timeoutMs = 300;
        auto outcome = start(client, r);
        QVERIFY(waitFor([&] { return outcome->called; }, 5000));
        VERIFY_ERROR(outcome->result, HttpErrorKind::Timeout);
        QVERIFY2(outcome->elapsedMs >= 290 && outcome->elapsedMs < 1500, qPrintable(QString::number(outcome->elapsedMs)));
        QCOMPARE(client.activeConnections(), 0);
        QCOMPARE(client.idleConnections(), 0);
        QVERIFY(waitFor([&] { return server.open == 0; })); // the connection was closed, not pooled
        QCOMPARE(outcome->calls, 1);
    }

    void timeoutWhileReadingBody()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket* s, const Received&) { s->write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"); };
        HttpClient client;
        HttpRequest r = get(server.url());
        r.timeoutMs = 200;
        const HttpResult result = fetch(client, r);
        VERIFY_ERROR(result, HttpErrorKind::BodyRead); // Go: the deadline hits io.ReadAll, not Do
        QVERIFY(waitFor([&] { return server.open == 0; }));
    }

    void timeoutCoversQueueing()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket*, const Received&) {};
        HttpClientOptions options;
        options.maxConnsPerHost = 1;
        HttpClient client(options);
        HttpRequest r = get(server.url());
        r.timeoutMs = 250;
        auto a = start(client, r);
        auto b = start(client, r);
        QVERIFY(waitFor([&] { return a->called && b->called; }, 5000));
        VERIFY_ERROR(a->result, HttpErrorKind::Timeout);
        VERIFY_ERROR(b->result, HttpErrorKind::Timeout); // never got a connection
        QCOMPARE(client.queuedRequests(), 0);
        QCOMPARE(server.received.size(), 1);
    }

    void connectRefused()
    {
        const quint16 port = pocket::test::freePort();
        HttpClient client;
        const QByteArray url = "http://user:s3cret@127.0.0.1:" + QByteArray::number(port) + "/path/apikey123?token=abc";
        const HttpResult r = fetch(client, get(url));
        VERIFY_ERROR(r, HttpErrorKind::Connect);
        const QString message = r.error().message;
        QVERIFY2(message.contains(QString::number(port)), qPrintable(message));
        QVERIFY2(!message.contains(QStringLiteral("s3cret")) && !message.contains(QStringLiteral("user"))
                     && !message.contains(QStringLiteral("apikey123")) && !message.contains(QStringLiteral("token")),
                 qPrintable(message));
        QCOMPARE(client.activeConnections(), 0);
    }

    void httpsToPlainPort()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket*, const Received&) {};
        // Whatever a plain HTTP server says to a TLS ClientHello, it is not a handshake.
        auto* raw = new QTcpServer(this);
        QVERIFY(raw->listen(QHostAddress::LocalHost, 0));
        connect(raw, &QTcpServer::newConnection, raw, [raw] {
            while (QTcpSocket* s = raw->nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [s] {
                    s->readAll();
                    s->write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    s->disconnectFromHost();
                });
            }
        });
        HttpClientOptions options;
        options.tlsHandshakeTimeoutMs = 600;
        HttpClient client(options);
        HttpRequest r = get("https://127.0.0.1:" + QByteArray::number(raw->serverPort()) + "/");
        r.timeoutMs = 5000;
        const HttpResult result = fetch(client, r);
        QVERIFY2(!result.has_value(), qPrintable(describe(result)));
        QVERIFY2(result.error().kind == HttpErrorKind::Connect || result.error().kind == HttpErrorKind::Transport,
                 qPrintable(describe(result)));
        // A plain server that never answers the handshake: the timeout still applies.
        HttpRequest silent = get("https://127.0.0.1:" + QByteArray::number(server.port()) + "/");
        silent.timeoutMs = 300;
        VERIFY_ERROR(fetch(client, silent), HttpErrorKind::Timeout);
        // The handshake itself gives up after tlsHandshakeTimeoutMs (Go TLSHandshakeTimeout) ...
        QCOMPARE(client.activeConnections(), 1);
        QVERIFY(waitFor([&] { return client.activeConnections() == 0; }, 3000));
        QVERIFY(waitFor([&] { return server.open == 0; }));
        // ... and fails the request waiting for it with a timeout when there is no overall one.
        silent.timeoutMs = 0;
        const HttpResult handshake = fetch(client, silent);
        VERIFY_ERROR(handshake, HttpErrorKind::Timeout);
        QVERIFY2(handshake.error().message.startsWith(QStringLiteral("net/http: TLS handshake timeout")),
                 qPrintable(handshake.error().message));
    }

    // A real TLS server with a throw-away certificate made by the openssl tool: verification failure is
    // a Connect error with the TLS reason; once the certificate is trusted, requests work and reuse
    // the encrypted connection.
    void httpsRoundTrip()
    {
        const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
        if (openssl.isEmpty() || !QSslSocket::supportsSsl())
            QSKIP("needs the openssl tool and a Qt TLS backend");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QProcess gen;
        gen.start(openssl, {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("ec"),
                            QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                            QStringLiteral("-keyout"), dir.filePath(QStringLiteral("key.pem")), QStringLiteral("-out"),
                            dir.filePath(QStringLiteral("cert.pem")), QStringLiteral("-days"), QStringLiteral("1"),
                            QStringLiteral("-subj"), QStringLiteral("/CN=localhost"), QStringLiteral("-addext"),
                            QStringLiteral("subjectAltName=DNS:localhost,IP:127.0.0.1")});
        QVERIFY(gen.waitForFinished(30000));
        QCOMPARE(gen.exitCode(), 0);
        bool ok = false;
        const QList<QSslCertificate> certs = QSslCertificate::fromData(pocket::test::readFile(dir.filePath(QStringLiteral("cert.pem")), &ok));
        QVERIFY(ok && certs.size() == 1);
        const QSslKey key(pocket::test::readFile(dir.filePath(QStringLiteral("key.pem"))), QSsl::Ec);
        QVERIFY(!key.isNull());

        QSslServer tls;
        QSslConfiguration serverConfig = QSslConfiguration::defaultConfiguration();
        serverConfig.setLocalCertificate(certs.first());
        serverConfig.setPrivateKey(key);
        tls.setSslConfiguration(serverConfig);
        QVERIFY(tls.listen(QHostAddress::LocalHost, 0));
        int accepted = 0;
        connect(&tls, &QTcpServer::pendingConnectionAvailable, this, [&] {
            while (QTcpSocket* s = tls.nextPendingConnection()) {
                ++accepted;
                auto buffer = std::make_shared<QByteArray>();
                connect(s, &QTcpSocket::readyRead, s, [s, buffer] {
                    *buffer += s->readAll();
                    while (pocket::test::takeHttpRequest(*buffer))
                        s->write(response(200, "secret over tls"));
                });
            }
        });
        const QByteArray url = "https://localhost:" + QByteArray::number(tls.serverPort()) + "/";

        HttpClient untrusting;
        const HttpResult refused = fetch(untrusting, get(url));
        VERIFY_ERROR(refused, HttpErrorKind::Connect);
        QVERIFY2(refused.error().message.contains(QStringLiteral("self signed"), Qt::CaseInsensitive)
                     || refused.error().message.contains(QStringLiteral("self-signed"), Qt::CaseInsensitive)
                     || refused.error().message.contains(QStringLiteral("certificate"), Qt::CaseInsensitive),
                 qPrintable(refused.error().message));

        const QSslConfiguration saved = QSslConfiguration::defaultConfiguration();
        QSslConfiguration trusting = saved;
        trusting.addCaCertificate(certs.first());
        QSslConfiguration::setDefaultConfiguration(trusting);
        HttpClient client;
        const HttpResult first = fetch(client, get(url));
        const HttpResult second = fetch(client, get(url));
        QSslConfiguration::setDefaultConfiguration(saved);
        VERIFY_OK(first);
        VERIFY_OK(second);
        QCOMPARE(second->body, QByteArray("secret over tls"));
        QCOMPARE(accepted, 1); // keep-alive over TLS
        // An IP literal is checked against the certificate's IP address entry.
        QSslConfiguration::setDefaultConfiguration(trusting);
        HttpClient byIp;
        const HttpResult ip = fetch(byIp, get("https://127.0.0.1:" + QByteArray::number(tls.serverPort()) + "/"));
        QSslConfiguration::setDefaultConfiguration(saved);
        VERIFY_OK(ip);
    }

    // --- callbacks and lifetime ----------------------------------------------------------------------

    void destroyedContextDropsCallback()
    {
        ScriptServer server;
        HttpClientOptions options;
        options.maxConnsPerHost = 1; // one connection: the first request completes before the second
        HttpClient client(options);
        auto* context = new QObject;
        auto dropped = start(client, get(server.url("/1")), context);
        auto kept = start(client, get(server.url("/2")));
        delete context;
        QVERIFY(waitFor([&] { return kept->called; }));
        QCOMPARE(server.received.size(), 2); // the exchange itself was not cancelled
        QVERIFY(!dropped->called);
    }

    void destroyClientWithRequestsInFlight()
    {
        ScriptServer server;
        server.handler = [](QTcpSocket*, const Received&) {};
        bool called = false;
        {
            HttpClient client;
            client.send(get(server.url()), nullptr, [&](HttpResult) { called = true; });
            QVERIFY(waitFor([&] { return server.received.size() == 1; }));
        }
        QVERIFY(waitFor([&] { return server.open == 0; }));
        QVERIFY(!called);
    }

    void destroyClientFromCallback()
    {
        ScriptServer server;
        HttpClientOptions options;
        options.maxConnsPerHost = 1;
        auto* client = new HttpClient(options);
        bool firstCalled = false;
        bool secondCalled = false;
        client->send(get(server.url("/1")), nullptr, [&](HttpResult r) {
            firstCalled = r.has_value();
            delete client; // from inside the client's own delivery
            client = nullptr;
        });
        client->send(get(server.url("/2")), nullptr, [&](HttpResult) { secondCalled = true; });
        QVERIFY(waitFor([&] { return firstCalled; }));
        QVERIFY(!client);
        QVERIFY(waitFor([&] { return server.open == 0; }));
        QCoreApplication::processEvents();
        QVERIFY(!secondCalled);
    }

    void idleTotalEvictsLeastRecentlyUsed()
    {
        ScriptServer a;
        ScriptServer b;
        HttpClientOptions options;
        options.maxIdleTotal = 1;
        HttpClient client(options);
        VERIFY_OK(fetch(client, get(a.url())));
        VERIFY_OK(fetch(client, get(b.url())));
        QCOMPARE(client.idleConnections(), 1);
        QVERIFY(waitFor([&] { return a.open == 0; })); // a's connection was the older idle one
        QCOMPARE(b.open, 1);
    }

    void sendFromCallbackAndNestedLoops()
    {
        ScriptServer server;
        HttpClient client;
        int done = 0;
        std::function<void(HttpResult)> next = [&](HttpResult r) {
            QVERIFY(r.has_value());
            if (++done < 5)
                client.send(get(server.url()), nullptr, next);
        };
        client.send(get(server.url()), nullptr, next);
        QVERIFY(waitFor([&] { return done == 5; }));
        // A callback that waits for another request (nested event loop) must not deadlock.
        bool inner = false;
        bool outer = false;
        client.send(get(server.url()), nullptr, [&](HttpResult) {
            auto o = start(client, get(server.url()));
            inner = waitFor([&] { return o->called; });
            outer = true;
        });
        QVERIFY(waitFor([&] { return outer; }));
        QVERIFY(inner);
        QCOMPARE(server.accepted, 1);
    }

    void clientInWorkerThread()
    {
        ScriptServer server; // main thread
        QThread worker;
        worker.start();
        std::atomic<bool> done{false};
        std::atomic<bool> sameThread{false};
        std::atomic<int> status{0};
        const QByteArray url = server.url();
        auto* holder = new QObject;
        holder->moveToThread(&worker);
        QMetaObject::invokeMethod(holder, [&, holder] {
            auto* client = new HttpClient({}, holder);
            client->send(get(url), nullptr, [&, client](HttpResult r) {
                sameThread = QThread::currentThread() == client->thread();
                status = r ? r->status : -1;
                done = true;
            });
        });
        QVERIFY(waitFor([&] { return done.load(); }));
        QVERIFY(sameThread.load());
        QCOMPARE(status.load(), 200);
        std::atomic<bool> deleted{false};
        QMetaObject::invokeMethod(holder, [holder, &deleted] {
            delete holder; // the client is destroyed in its own thread
            deleted = true;
        });
        QVERIFY(waitFor([&] { return deleted.load(); }));
        worker.quit();
        worker.wait();
    }
};

QTEST_GUILESS_MAIN(TestHttpClient)
#include "tst_httpclient.moc"
