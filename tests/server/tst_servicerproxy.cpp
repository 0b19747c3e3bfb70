// ServicerProxy (PROTOCOL §6.1) in a MeshHttpServer against a small QHttpServer upstream in this test:
// what goes up (method, joined path and query, body, headers, X-Forwarded-*, hop-by-hop removed), what
// comes back, and the failure answers.
#include <QAbstractHttpServer>
#include <QHttpServerRequest>
#include <QMutex>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <memory>

#include "http/httpclient.h"
#include "rawhttpclient.h"
#include "server/meshhttpserver.h"
#include "server/servicerproxy.h"
#include "testsupport.h"

using namespace pocket;
using namespace pocket::test;

namespace {

// The servicer node: records each request and answers with fixed raw bytes (runs in the test thread).
class Upstream : public QAbstractHttpServer
{
public:
    struct Seen
    {
        QHttpServerRequest::Method method;
        QByteArray pathAndQuery;
        QList<QPair<QByteArray, QByteArray>> headers;
        QByteArray body;
        QByteArray header(QByteArrayView name) const
        {
            for (const auto& h : headers)
                if (QByteArrayView(h.first).compare(name, Qt::CaseInsensitive) == 0) return h.second;
            return {};
        }
        bool has(QByteArrayView name) const
        {
            for (const auto& h : headers)
                if (QByteArrayView(h.first).compare(name, Qt::CaseInsensitive) == 0) return true;
            return false;
        }
    };
    QList<Seen> seen;
    QByteArray answerBody = "{\"height\":42}";

    quint16 start()
    {
        auto* tcp = new QTcpServer(this);
        if (!tcp->listen(QHostAddress::LocalHost, 0)) return 0;
        bind(tcp);
        return tcp->serverPort();
    }

protected:
    bool handleRequest(const QHttpServerRequest& request, QTcpSocket* socket) override
    {
        const QUrl url = request.url();
        seen.append({request.method(), url.path(QUrl::FullyEncoded).toUtf8() + (url.hasQuery() ? "?" + url.query(QUrl::FullyEncoded).toUtf8() : QByteArray()),
                     request.headers(), request.body()});
        socket->write("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Upstream: yes\r\n"
                      "Keep-Alive: timeout=5\r\nConnection: keep-alive, X-Secret-Hop\r\nX-Secret-Hop: 1\r\n"
                      "Content-Length: "
                      + QByteArray::number(answerBody.size()) + "\r\n\r\n" + answerBody);
        return true;
    }
    void missingHandler(const QHttpServerRequest&, QTcpSocket*) override {}
};

struct Target
{
    QMutex mutex;
    std::optional<QByteArray> url; // guarded by mutex
    std::optional<QByteArray> get()
    {
        QMutexLocker l(&mutex);
        return url;
    }
    void set(std::optional<QByteArray> u)
    {
        QMutexLocker l(&mutex);
        url = std::move(u);
    }
};

QByteArray post(const QByteArray& target, const QByteArray& body, const QByteArray& extra = {})
{
    return "POST " + target + " HTTP/1.1\r\nHost: mesh.example:8081\r\nContent-Length: " + QByteArray::number(body.size())
           + "\r\n" + extra + "\r\n" + body;
}

} // namespace

class TestServicerProxy : public QObject
{
    Q_OBJECT
private:
    Upstream m_upstream;
    quint16 m_upstreamPort = 0;
    std::shared_ptr<Target> m_target = std::make_shared<Target>();
    std::unique_ptr<MeshHttpServer> m_mesh;
    quint16 m_port = 0;

private Q_SLOTS:
    void initTestCase()
    {
        m_upstreamPort = m_upstream.start();
        QVERIFY(m_upstreamPort);
        HttpServerOptions o;
        o.address = QHostAddress::LocalHost;
        o.port = 0;
        o.threads = 2;
        auto target = m_target;
        m_mesh = std::make_unique<MeshHttpServer>(o, [target](ServerThreadContext& ctx) {
            auto* client = new HttpClient({}, ctx.owner());
            ServicerProxyOptions po;
            po.timeoutMs = 5000;
            auto* proxy = new ServicerProxy(*client, [target] { return target->get(); }, po, ctx.owner());
            proxy->registerRoutes(ctx);
        });
        QVERIFY(m_mesh->listen());
        m_port = m_mesh->port();
    }

    void cleanupTestCase()
    {
        QVERIFY(m_mesh->stop(2000));
    }

    void init()
    {
        m_upstream.seen.clear();
        m_target->set("http://127.0.0.1:" + QByteArray::number(m_upstreamPort) + "/base?k=v");
    }

    void forwardsRequestAndAnswer()
    {
        auto r = rawExchange(m_port, post("/v1/query/height?x=1", "{\"a\":1}",
                                          "Content-Type: application/json\r\nX-Custom: Keep Me\r\n"
                                          "X-Forwarded-For: 1.2.3.4\r\nConnection: keep-alive, X-Hop\r\nX-Hop: drop\r\n"
                                          "Proxy-Authorization: Basic eDp5\r\nTe: gzip\r\nUser-Agent: sdk/1\r\n"));
        QVERIFY(r);
        QCOMPARE(r->status, 201);
        QCOMPARE(r->body, QByteArray("{\"height\":42}"));
        QCOMPARE(r->header("Content-Type"), QByteArray("application/json"));
        QCOMPARE(r->header("X-Upstream"), QByteArray("yes"));
        QVERIFY(!r->hasHeader("Keep-Alive"));   // hop-by-hop
        QVERIFY(!r->hasHeader("X-Secret-Hop")); // named in the node's Connection header
        QVERIFY(!r->hasHeader("Connection"));

        QCOMPARE(m_upstream.seen.size(), 1);
        const Upstream::Seen& s = m_upstream.seen[0];
        QCOMPARE(s.method, QHttpServerRequest::Method::Post);
        QCOMPARE(s.pathAndQuery, QByteArray("/base/v1/query/height?k=v&x=1"));
        QCOMPARE(s.body, QByteArray("{\"a\":1}"));
        QCOMPARE(s.header("Content-Type"), QByteArray("application/json"));
        QCOMPARE(s.header("X-Custom"), QByteArray("Keep Me"));
        QCOMPARE(s.header("User-Agent"), QByteArray("sdk/1"));
        QCOMPARE(s.header("X-Forwarded-For"), QByteArray("1.2.3.4, 127.0.0.1"));
        QCOMPARE(s.header("X-Forwarded-Host"), QByteArray("mesh.example:8081"));
        QCOMPARE(s.header("Host"), QByteArray("127.0.0.1:") + QByteArray::number(m_upstreamPort));
        for (const char* hop : {"X-Hop", "Proxy-Authorization", "Te"}) QVERIFY2(!s.has(hop), hop);
    }

    void everyPublicRouteIsProxied()
    {
        QList<std::pair<QByteArray, QByteArray>> routes = ServicerProxy::proxiedRoutes();
        QCOMPARE(routes.size(), 2 + 4 + 3 + 28);
        for (const auto& [method, path] : routes) {
            auto r = rawExchange(m_port, method + " " + path + " HTTP/1.1\r\nHost: m\r\nContent-Length: 0\r\n\r\n");
            QVERIFY2(r && r->status == 201, path.constData());
        }
        QCOMPARE(m_upstream.seen.size(), routes.size());
        QCOMPARE(m_upstream.seen.last().pathAndQuery, QByteArray("/base/v1/query/unconfirmedtx?k=v"));
        // OPTIONS on challenge/dispatch reaches the node (not the automatic OPTIONS answer).
        int options = 0;
        for (const auto& s : m_upstream.seen) options += s.method == QHttpServerRequest::Method::Options;
        QCOMPARE(options, 2);
        // No User-Agent from the client: none goes up (Go's ReverseProxy), not the client's default.
        QVERIFY(!m_upstream.seen[0].has("User-Agent"));
    }

    void notProxied()
    {
        for (const QByteArray& path : {QByteArray("/v1/private/stop"), QByteArray("/v1/private/updatechains"),
                                       QByteArray("/v1/query/allblocktxs")}) {
            auto r = rawExchange(m_port, post(path + "?authtoken=secret", "{}"));
            QVERIFY(r);
            QCOMPARE(r->status, 404);
        }
        auto wrongMethod = rawExchange(m_port, "GET /v1/query/height HTTP/1.1\r\nHost: m\r\n\r\n");
        QVERIFY(wrongMethod);
        QCOMPARE(wrongMethod->status, 405);
        QCOMPARE(wrongMethod->header("Allow"), QByteArray("OPTIONS, POST"));
        QVERIFY(m_upstream.seen.isEmpty());
    }

    void noServicerNode()
    {
        m_target->set(std::nullopt);
        auto r = rawExchange(m_port, post("/v1/query/height", "{}"));
        QVERIFY(r);
        QCOMPARE(r->status, 503);
        QCOMPARE(r->body, QByteArray("{\"code\":503,\"message\":\"no servicer node available\"}\n"));
        QCOMPARE(r->header("Content-Type"), QByteArray("application/json; charset=UTF-8"));
    }

    void upstreamDown502WithoutCredentials()
    {
        const quint16 dead = freePort();
        m_target->set("http://admin:hunter2@127.0.0.1:" + QByteArray::number(dead) + "/secret-path");
        auto r = rawExchange(m_port, post("/v1/query/height", "{}"));
        QVERIFY(r);
        QCOMPARE(r->status, 502);
        QVERIFY(r->body.startsWith("{\"code\":502,\"message\":\""));
        QVERIFY(r->body.endsWith("\"}\n"));
        for (const char* secret : {"admin", "hunter2", "secret-path", "127.0.0.1"})
            QVERIFY2(!r->body.contains(secret), r->body.constData());
    }

    void nodeCredentialsNotSent()
    {
        m_target->set("http://admin:hunter2@127.0.0.1:" + QByteArray::number(m_upstreamPort));
        auto r = rawExchange(m_port, post("/v1/query/height", "{}"));
        QVERIFY(r);
        QCOMPARE(r->status, 201);
        QCOMPARE(m_upstream.seen.size(), 1);
        QVERIFY(!m_upstream.seen[0].has("Authorization"));
        QCOMPARE(m_upstream.seen[0].pathAndQuery, QByteArray("/v1/query/height"));
    }

    void urlJoining()
    {
        ServerRequest req;
        req.rawPath = "/v1/query/tx";
        req.rawQuery = "a=%20";
        QCOMPARE(ServicerProxy::upstreamUrl("http://n:1", req), QByteArray("http://n:1/v1/query/tx?a=%20"));
        QCOMPARE(ServicerProxy::upstreamUrl("http://n:1/", req), QByteArray("http://n:1/v1/query/tx?a=%20"));
        QCOMPARE(ServicerProxy::upstreamUrl("https://n/p/?q", req), QByteArray("https://n/p/v1/query/tx?q&a=%20"));
        QVERIFY(!ServicerProxy::upstreamUrl("node:8081", req));
    }
};

QTEST_GUILESS_MAIN(TestServicerProxy)
#include "tst_servicerproxy.moc"
