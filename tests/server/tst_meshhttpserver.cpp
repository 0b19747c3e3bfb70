// MeshHttpServer over raw sockets: the limits, timeouts and connection rules QHttpServer 6.4 lacks
// (QT64-NOTES), ordered pipelining, the Responder's safety rules, automatic answers, several threads.
#include <QElapsedTimer>
#include <QMutex>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <atomic>
#include <memory>
#include <thread>

#include "rawhttpclient.h"
#include "server/httpresponses.h"
#include "server/meshhttpserver.h"
#include "testsupport.h"

using namespace pocket;
using namespace pocket::test;

namespace {

// What the handlers record; written in server threads, read in the test thread (under the mutex).
struct Recorder
{
    QMutex mutex;
    QList<QByteArray> started;      // "<path>?<query>" in handler start order
    QList<Responder> held;          // responders kept by /hold
    QList<bool> aliveAfterLeave;    // /late: isAlive() when it finally answered
    QList<ServerRequest> requests;  // every request /echo saw
    std::atomic<int> lateAnswers{0};

    void start(const ServerRequest& r)
    {
        QMutexLocker l(&mutex);
        started.append(r.rawQuery.isEmpty() ? r.path : r.path + '?' + r.rawQuery);
    }
    QList<QByteArray> startedCopy()
    {
        QMutexLocker l(&mutex);
        return started;
    }
    int heldCount()
    {
        QMutexLocker l(&mutex);
        return int(held.size());
    }
    Responder takeHeld()
    {
        QMutexLocker l(&mutex);
        return held.takeFirst();
    }
};

HttpServerOptions testOptions()
{
    HttpServerOptions o;
    o.address = QHostAddress::LocalHost;
    o.port = 0;
    return o;
}

// A server with the test routes on every thread.
std::unique_ptr<MeshHttpServer> startServer(HttpServerOptions options, std::shared_ptr<Recorder> rec)
{
    auto server = std::make_unique<MeshHttpServer>(options, [rec](ServerThreadContext& ctx) {
        QObject* owner = ctx.owner();
        const int thread = ctx.threadIndex();
        ctx.route("GET", "/hello", [rec](ServerRequest r, Responder resp) {
            rec->start(r);
            resp.send(200, {{"Content-Type", "text/plain; charset=utf-8"}}, "hello");
        });
        ctx.route("POST", "/echo", [rec](ServerRequest r, Responder resp) {
            rec->start(r);
            {
                QMutexLocker l(&rec->mutex);
                rec->requests.append(r);
            }
            resp.send(200, {{"X-Body-Size", QByteArray::number(r.body.size())}}, r.body);
        });
        ctx.route("POST", "/v1/client/relay", [](ServerRequest, Responder resp) {
            resp.send(200, http::relayCorsHeaders(), "relay");
        });
        ctx.route("GET", "/V1/Mixed", [](ServerRequest, Responder resp) { resp.send(200, {}, "mixed"); });
        ctx.route("GET", "/fast", [rec](ServerRequest r, Responder resp) {
            rec->start(r);
            resp.send(200, {}, "fast" + r.rawQuery);
        });
        ctx.route("GET", "/slow", [rec, owner](ServerRequest r, Responder resp) {
            rec->start(r);
            QTimer::singleShot(300, owner, [resp] { resp.send(200, {}, "slow"); });
        });
        ctx.route("GET", "/hold", [rec](ServerRequest r, Responder resp) {
            rec->start(r);
            QMutexLocker l(&rec->mutex);
            rec->held.append(resp);
        });
        ctx.route("GET", "/late", [rec, owner](ServerRequest r, Responder resp) {
            rec->start(r);
            QTimer::singleShot(800, owner, [rec, resp] {
                {
                    QMutexLocker l(&rec->mutex);
                    rec->aliveAfterLeave.append(resp.isAlive());
                }
                resp.send(200, {}, "too late");
                rec->lateAnswers.fetch_add(1);
            });
        });
        ctx.route("GET", "/drop", [rec](ServerRequest r, Responder) { rec->start(r); });
        ctx.route("GET", "/throw", [](ServerRequest, Responder) { throw std::runtime_error("boom"); });
        ctx.route("GET", "/tid", [thread](ServerRequest, Responder resp) {
            resp.send(200, {}, QByteArray::number(thread));
        });
        ctx.route("GET", "/crossthread", [](ServerRequest, Responder resp) {
            std::thread([resp] { resp.send(200, {}, "from another thread"); }).detach();
        });
        ctx.route("GET", "/huge", [](ServerRequest, Responder resp) {
            resp.send(200, {}, QByteArray(32 * 1024 * 1024, 'x'));
        });
        ctx.route("HEAD", "/hello", [](ServerRequest, Responder resp) { resp.send(200, {}, "hello"); });
    });
    if (!server->listen()) return nullptr;
    return server;
}

QByteArray get(const QByteArray& path, const QByteArray& extra = {})
{
    return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

QByteArray post(const QByteArray& path, const QByteArray& body, const QByteArray& extra = {})
{
    return "POST " + path + " HTTP/1.1\r\nHost: test\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n"
           + extra + "\r\n" + body;
}

} // namespace

class TestMeshHttpServer : public QObject
{
    Q_OBJECT
private:
    std::shared_ptr<Recorder> m_rec;
    std::unique_ptr<MeshHttpServer> m_server;

    quint16 start(HttpServerOptions o = testOptions())
    {
        m_rec = std::make_shared<Recorder>();
        m_server = startServer(o, m_rec);
        return m_server ? m_server->port() : 0;
    }

private Q_SLOTS:
    void cleanup()
    {
        if (m_server) QVERIFY(m_server->stop(2000));
        m_server.reset();
    }

    void simpleAnswerAndKeepAlive()
    {
        const quint16 port = start();
        QVERIFY(port);
        RawHttpClient c(port);
        c.send(get("/hello"));
        auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->statusLine, QByteArray("HTTP/1.1 200 OK"));
        QCOMPARE(r->body, QByteArray("hello"));
        QCOMPARE(r->header("Content-Length"), QByteArray("5"));
        QVERIFY(r->header("Date").endsWith(" GMT"));
        QVERIFY(!r->hasHeader("Connection"));
        c.send(get("/hello"));
        QVERIFY(c.readResponse());
        QVERIFY(!c.closedByServer());
    }

    void bodyLimit413ExactBytes()
    {
        HttpServerOptions o = testOptions();
        o.maxBodyBytes = 10;
        const quint16 port = start(o);
        // Exactly N bytes is accepted.
        auto ok = rawExchange(port, post("/echo", "0123456789"));
        QVERIFY(ok);
        QCOMPARE(ok->status, 200);
        QCOMPARE(ok->body, QByteArray("0123456789"));

        RawHttpClient c(port);
        c.send(post("/echo", "01234567890"));
        QVERIFY(c.waitClosed());
        auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->statusLine, QByteArray("HTTP/1.1 413 Request Entity Too Large"));
        QCOMPARE(r->body, QByteArray("{\"code\":413,\"message\":\"Request body too large. Max allowed bytes is: 10\"}\n"));
        QCOMPARE(r->header("Content-Type"), QByteArray("text/plain; charset=utf-8"));
        QCOMPARE(r->header("X-Content-Type-Options"), QByteArray("nosniff"));
        QCOMPARE(r->header("Connection"), QByteArray("close"));
        QVERIFY(!r->hasHeader("Access-Control-Allow-Origin"));
        QVERIFY(c.unread().isEmpty());
        QCOMPARE(m_rec->startedCopy().size(), 1); // the handler never saw the large one
    }

    void bodyLimitChunked()
    {
        HttpServerOptions o = testOptions();
        o.maxBodyBytes = 10;
        const quint16 port = start(o);
        const QByteArray head = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
        auto ok = rawExchange(port, head + "4\r\n0123\r\n6\r\n456789\r\n0\r\n\r\n");
        QVERIFY(ok);
        QCOMPARE(ok->status, 200);
        QCOMPARE(ok->body, QByteArray("0123456789"));
        auto big = rawExchange(port, head + "4\r\n0123\r\n7\r\n4567890\r\n0\r\n\r\n");
        QVERIFY(big);
        QCOMPARE(big->status, 413);
        QVERIFY(big->body.endsWith("Max allowed bytes is: 10\"}\n"));
    }

    void expectContinue()
    {
        HttpServerOptions o = testOptions();
        o.maxBodyBytes = 100;
        const quint16 port = start(o);
        RawHttpClient c(port);
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        auto cont = c.readResponse();
        QVERIFY(cont);
        QCOMPARE(cont->raw, QByteArray("HTTP/1.1 100 Continue\r\n\r\n"));
        c.send("hello");
        auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(r->body, QByteArray("hello"));

        // Too large: 413 right away, no 100, the body is never needed.
        RawHttpClient big(port);
        big.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\nExpect: 100-continue\r\n\r\n");
        auto refused = big.readResponse();
        QVERIFY(refused);
        QCOMPARE(refused->status, 413);
        QVERIFY(big.waitClosed());

        // A client that sends the body without waiting gets no 100.
        auto direct = rawExchange(port, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nab");
        QVERIFY(direct);
        QCOMPARE(direct->status, 200);
    }

    void headerLimit431()
    {
        HttpServerOptions o = testOptions();
        o.maxHeaderBytes = 1024;
        const quint16 port = start(o);
        RawHttpClient c(port);
        c.send(get("/hello", "X-Big: " + QByteArray(2000, 'a') + "\r\n"));
        QVERIFY(c.waitClosed());
        auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->raw, QByteArray("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; "
                                    "charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large"));
        QVERIFY(m_rec->startedCopy().isEmpty());
    }

    void headerTimeoutClosesHalfSentRequest()
    {
        HttpServerOptions o = testOptions();
        o.readHeaderTimeoutMs = 300;
        const quint16 port = start(o);
        RawHttpClient c(port);
        QElapsedTimer t;
        t.start();
        c.send("GET /hello HTTP/1.1\r\nHo");
        QVERIFY(c.waitClosed(5000));
        QVERIFY2(t.elapsed() >= 250, QByteArray::number(t.elapsed()));
        QVERIFY(c.unread().isEmpty()); // closed without an answer
        // A connection that sends nothing is closed too.
        RawHttpClient silent(port);
        QVERIFY(silent.waitClosed(5000));
        QVERIFY(m_rec->startedCopy().isEmpty());
    }

    void readTimeoutClosesHalfSentBody()
    {
        HttpServerOptions o = testOptions();
        o.readTimeoutMs = 400;
        const quint16 port = start(o);
        RawHttpClient c(port);
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n012");
        QVERIFY(c.waitClosed(5000));
        QVERIFY(c.unread().isEmpty());
        QVERIFY(m_rec->startedCopy().isEmpty());
    }

    void idleTimeout()
    {
        HttpServerOptions o = testOptions();
        o.idleTimeoutMs = 300;
        const quint16 port = start(o);
        RawHttpClient c(port);
        c.send(get("/hello"));
        QVERIFY(c.readResponse());
        QElapsedTimer t;
        t.start();
        QVERIFY(c.waitClosed(5000));
        QVERIFY2(t.elapsed() >= 200, QByteArray::number(t.elapsed()));
    }

    void writeTimeoutClosesStalledReader()
    {
        HttpServerOptions o = testOptions();
        o.writeTimeoutMs = 300;
        const quint16 port = start(o);
        // A client that stops reading: its socket takes one byte, the kernel buffers fill, the answer stalls.
        QTcpSocket stalled;
        stalled.setReadBufferSize(1);
        stalled.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(stalled.waitForConnected(5000));
        stalled.write(get("/huge"));
        QVERIFY(waitFor([&] { return m_server->openConnections() == 1; }));
        QElapsedTimer t;
        t.start();
        QVERIFY(waitFor([&] { return m_server->openConnections() == 0; }, 10000));
        QVERIFY2(t.elapsed() >= 200, QByteArray::number(t.elapsed()));
    }

    void timeoutsDoNotRunWhileHandling()
    {
        // A handler slower than the read/idle timeouts: the connection stays until it answers.
        HttpServerOptions o = testOptions();
        o.readHeaderTimeoutMs = 100;
        o.readTimeoutMs = 100;
        o.idleTimeoutMs = 100;
        const quint16 port = start(o);
        RawHttpClient c(port);
        c.send(get("/slow"));
        auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->body, QByteArray("slow"));
    }

    void connectionCloseHonoured()
    {
        const quint16 port = start();
        RawHttpClient c(port);
        // The second request after "Connection: close" is never read.
        c.send(get("/hello", "Connection: close\r\n") + get("/fast"));
        QVERIFY(c.waitClosed());
        auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(r->header("Connection"), QByteArray("close"));
        QVERIFY(c.unread().isEmpty());
        QCOMPARE(m_rec->startedCopy(), QList<QByteArray>{"/hello"});
    }

    void http10()
    {
        const quint16 port = start();
        RawHttpClient c(port);
        c.send("GET /hello HTTP/1.0\r\n\r\n");
        QVERIFY(c.waitClosed());
        auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->statusLine, QByteArray("HTTP/1.0 200 OK"));
        QCOMPARE(r->header("Connection"), QByteArray("close"));

        RawHttpClient k(port);
        k.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        auto first = k.readResponse();
        QVERIFY(first);
        QCOMPARE(first->header("Connection"), QByteArray("keep-alive"));
        k.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        QVERIFY(k.readResponse());
        QVERIFY(!k.closedByServer());
    }

    void pipelinedAnswersInOrder()
    {
        const quint16 port = start();
        RawHttpClient c(port);
        c.send(get("/slow") + get("/fast?1") + post("/echo", "body") + get("/fast?2"));
        QList<QByteArray> bodies;
        for (int i = 0; i < 4; ++i) {
            auto r = c.readResponse();
            QVERIFY(r);
            bodies.append(r->body);
        }
        QCOMPARE(bodies, (QList<QByteArray>{"slow", "fast1", "body", "fast2"}));
        // Handlers ran one after the other: /fast did not start before /slow answered.
        QCOMPARE(m_rec->startedCopy(), (QList<QByteArray>{"/slow", "/fast?1", "/echo", "/fast?2"}));
    }

    void pipelinedInOrderWhenAnsweredOutOfOrder()
    {
        const quint16 port = start();
        RawHttpClient c(port);
        c.send(get("/hold?a") + get("/fast?b"));
        QVERIFY(waitFor([&] { return m_rec->heldCount() == 1; }));
        QTest::qWait(100); // give an (incorrect) early answer to /fast the chance to show up
        QVERIFY(c.unread().isEmpty());
        m_rec->takeHeld().send(200, {}, "held"); // answered from the test thread
        auto a = c.readResponse();
        auto b = c.readResponse();
        QVERIFY(a && b);
        QCOMPARE(a->body, QByteArray("held"));
        QCOMPARE(b->body, QByteArray("fastb"));
    }

    void pipelineOverflowRefused()
    {
        HttpServerOptions o = testOptions();
        o.maxPipelinedRequests = 2;
        const quint16 port = start(o);
        RawHttpClient c(port);
        c.send(get("/slow") + get("/fast?1") + get("/fast?2") + get("/fast?3") + get("/fast?4"));
        QList<int> statuses;
        for (int i = 0; i < 4; ++i) {
            auto r = c.readResponse();
            QVERIFY(r);
            statuses.append(r->status);
        }
        QCOMPARE(statuses, (QList<int>{200, 200, 200, 503}));
        QVERIFY(c.waitClosed());
        QVERIFY(c.unread().isEmpty());
    }

    void clientLeavesBeforeAsyncAnswer()
    {
        const quint16 port = start();
        {
            RawHttpClient c(port);
            c.send(get("/late"));
            QVERIFY(waitFor([&] { return m_rec->startedCopy().size() == 1; }));
            c.close();
        }
        QVERIFY(waitFor([&] { return m_rec->lateAnswers.load() == 1; }));
        {
            QMutexLocker l(&m_rec->mutex);
            QCOMPARE(m_rec->aliveAfterLeave, QList<bool>{false});
        }
        // The server is still fine.
        auto r = rawExchange(port, get("/hello"));
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QVERIFY(m_server->waitForIdle(2000));
    }

    void heldResponderAfterClientLeftIsNoOp()
    {
        const quint16 port = start();
        {
            RawHttpClient c(port);
            c.send(get("/hold"));
            QVERIFY(waitFor([&] { return m_rec->heldCount() == 1; }));
            c.close();
        }
        Responder held = m_rec->takeHeld();
        QVERIFY(waitFor([&] { return !held.isAlive(); }));
        held.send(200, {}, "nobody listens");
        QVERIFY(rawExchange(port, get("/hello")));
    }

    void handlerTimeout503()
    {
        HttpServerOptions o = testOptions();
        o.handlerTimeoutMs = 300;
        const quint16 port = start(o);
        RawHttpClient c(port);
        c.send(get("/late"));
        auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->status, 503);
        QCOMPARE(r->body, QByteArray("server Timeout Handling Request"));
        QCOMPARE(r->header("Content-Type"), QByteArray("text/plain; charset=utf-8"));
        // The connection goes on; the handler's late answer is dropped.
        c.send(get("/hello"));
        auto next = c.readResponse();
        QVERIFY(next);
        QCOMPARE(next->body, QByteArray("hello"));
        QVERIFY(waitFor([&] { return m_rec->lateAnswers.load() == 1; }));
        QTest::qWait(50);
        QVERIFY(c.unread().isEmpty());
        QMutexLocker l(&m_rec->mutex);
        QCOMPARE(m_rec->aliveAfterLeave, QList<bool>{false});
    }

    void droppedResponderAnswers500()
    {
        const quint16 port = start();
        auto r = rawExchange(port, get("/drop"));
        QVERIFY(r);
        QCOMPARE(r->status, 500);
        QCOMPARE(r->header("Content-Type"), QByteArray("application/json; charset=UTF-8"));
        QVERIFY(r->body.startsWith("{\"code\":500,"));

        auto thrown = rawExchange(port, get("/throw"));
        QVERIFY(thrown);
        QCOMPARE(thrown->status, 500);

        // A held responder released later (last copy destroyed) answers 500 too.
        RawHttpClient c(port);
        c.send(get("/hold"));
        QVERIFY(waitFor([&] { return m_rec->heldCount() == 1; }));
        { Responder gone = m_rec->takeHeld(); }
        auto late = c.readResponse();
        QVERIFY(late);
        QCOMPARE(late->status, 500);
    }

    void answerFromAnotherThread()
    {
        const quint16 port = start();
        auto r = rawExchange(port, get("/crossthread"));
        QVERIFY(r);
        QCOMPARE(r->body, QByteArray("from another thread"));
    }

    void automaticAnswers()
    {
        const quint16 port = start();
        auto wrongMethod = rawExchange(port, get("/v1/client/relay"));
        QVERIFY(wrongMethod);
        QCOMPARE(wrongMethod->status, 405);
        QCOMPARE(wrongMethod->body, QByteArray("Method Not Allowed\n"));
        QCOMPARE(wrongMethod->header("Allow"), QByteArray("OPTIONS, POST"));
        QCOMPARE(wrongMethod->header("Content-Type"), QByteArray("text/plain; charset=utf-8"));
        QCOMPARE(wrongMethod->header("X-Content-Type-Options"), QByteArray("nosniff"));

        auto unknownMethod = rawExchange(port, "BREW /v1/client/relay HTTP/1.1\r\nHost: t\r\n\r\n");
        QVERIFY(unknownMethod);
        QCOMPARE(unknownMethod->status, 405);

        auto options = rawExchange(port, "OPTIONS /v1/client/relay HTTP/1.1\r\nHost: t\r\n\r\n");
        QVERIFY(options);
        QCOMPARE(options->status, 200);
        QCOMPARE(options->header("Allow"), QByteArray("OPTIONS, POST"));
        QCOMPARE(options->header("Content-Length"), QByteArray("0"));
        QVERIFY(options->body.isEmpty());
        QVERIFY(!options->hasHeader("Access-Control-Allow-Origin"));

        auto relay = rawExchange(port, post("/v1/client/relay", "{}"));
        QVERIFY(relay);
        QCOMPARE(relay->header("Access-Control-Allow-Origin"), QByteArray("*"));
        QCOMPARE(relay->header("Access-Control-Allow-Methods"), QByteArray("POST"));
        QCOMPARE(relay->header("Access-Control-Allow-Headers"),
                 QByteArray("Accept, Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, Authorization"));

        auto notFound = rawExchange(port, get("/nope"));
        QVERIFY(notFound);
        QCOMPARE(notFound->status, 404);
        QCOMPARE(notFound->body, QByteArray("404 page not found\n"));
        QCOMPARE(notFound->header("Content-Type"), QByteArray("text/plain; charset=utf-8"));

        // httprouter redirects: trailing slash (307 for POST), fixed case (301 for GET).
        auto slash = rawExchange(port, post("/v1/client/relay/?a=1", "{}"));
        QVERIFY(slash);
        QCOMPARE(slash->status, 307);
        QCOMPARE(slash->header("Location"), QByteArray("/v1/client/relay?a=1"));
        auto fixedCase = rawExchange(port, get("/v1/mixed"));
        QVERIFY(fixedCase);
        QCOMPARE(fixedCase->status, 301);
        QCOMPARE(fixedCase->header("Location"), QByteArray("/V1/Mixed"));

        // HEAD: the length of the body, not the body.
        RawHttpClient c(port);
        c.send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n" + get("/hello"));
        auto head = c.readResponse(5000, true);
        QVERIFY(head);
        QCOMPARE(head->header("Content-Length"), QByteArray("5"));
        auto after = c.readResponse();
        QVERIFY(after);
        QCOMPARE(after->body, QByteArray("hello"));
    }

    void malformedRequestsGetGoAnswers()
    {
        const quint16 port = start();
        RawHttpClient c(port);
        c.send("GET /hello HTTP/1.1\r\n\r\n");
        QVERIFY(c.waitClosed());
        auto r = c.readResponse();
        QVERIFY(r);
        QCOMPARE(r->raw, QByteArray("HTTP/1.1 400 Bad Request: missing required Host header\r\nContent-Type: "
                                    "text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: missing "
                                    "required Host header"));
        auto te = rawExchange(port, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n");
        QVERIFY(te);
        QCOMPARE(te->status, 501);
        auto ws = rawExchange(port, get("/hello", "Connection: Upgrade\r\nUpgrade: websocket\r\n"));
        QVERIFY(ws);
        QCOMPARE(ws->status, 400);
        QVERIFY(m_rec->startedCopy().isEmpty());
    }

    void requestCopiedIntact()
    {
        const quint16 port = start();
        auto r = rawExchange(port, "POST /echo?a=1&b=%20 HTTP/1.1\r\nHost: test:81\r\nX-MiXeD: One\r\nX-Dup: 1\r\n"
                                   "X-Dup: 2\r\nContent-Length: 3\r\n\r\nabc");
        QVERIFY(r);
        QMutexLocker l(&m_rec->mutex);
        QCOMPARE(m_rec->requests.size(), 1);
        const ServerRequest& req = m_rec->requests[0];
        QCOMPARE(req.method, QByteArray("POST"));
        QCOMPARE(req.path, QByteArray("/echo"));
        QCOMPARE(req.rawQuery, QByteArray("a=1&b=%20"));
        QCOMPARE(req.query().queryItemValue("a"), QStringLiteral("1"));
        QCOMPARE(req.body, QByteArray("abc"));
        QCOMPARE(req.header("x-mixed"), QByteArray("One"));
        QCOMPARE(req.headers[1].first, QByteArray("X-MiXeD"));
        QCOMPARE(req.headers[2], (std::pair<QByteArray, QByteArray>("X-Dup", "1")));
        QCOMPARE(req.headers[3], (std::pair<QByteArray, QByteArray>("X-Dup", "2")));
        QVERIFY(req.remoteAddress.isLoopback());
    }

    void twoThreadsServeOnePort()
    {
        HttpServerOptions o = testOptions();
        o.threads = 2;
        const quint16 port = start(o);
        QCOMPARE(m_server->threadCount(), 2);
        int perThread[2] = {0, 0};
        // Many connections, several at a time, so that both threads get to accept some.
        for (int round = 0; round < 20 && (perThread[0] == 0 || perThread[1] == 0 || round < 5); ++round) {
            std::vector<std::unique_ptr<RawHttpClient>> clients;
            for (int i = 0; i < 20; ++i) {
                clients.push_back(std::make_unique<RawHttpClient>(port));
                clients.back()->send(get("/tid"));
            }
            for (auto& c : clients) {
                auto r = c->readResponse();
                QVERIFY(r);
                const int t = r->body.toInt();
                QVERIFY(t == 0 || t == 1);
                ++perThread[t];
            }
        }
        qInfo() << "connections per thread:" << perThread[0] << perThread[1];
        QVERIFY(perThread[0] > 0);
        QVERIFY(perThread[1] > 0);
    }

    void stopAcceptingRefusesNewConnections()
    {
        HttpServerOptions o = testOptions();
        o.threads = 2;
        const quint16 port = start(o);
        RawHttpClient open(port);
        m_server->stopAccepting();
        RawHttpClient late(port);
        QVERIFY(waitFor([&] { return !late.isConnected(); }, 2000));
        // The connection opened before goes on.
        open.send(get("/hello"));
        QVERIFY(open.readResponse());
    }

    void gracefulStopLetsRequestsFinish()
    {
        HttpServerOptions o = testOptions();
        o.threads = 2;
        const quint16 port = start(o);
        RawHttpClient busy(port);
        RawHttpClient idle(port);
        idle.send(get("/hello"));
        QVERIFY(idle.readResponse());
        busy.send(get("/slow"));
        QVERIFY(waitFor([&] { return m_server->inFlightRequests() == 1; }));
        QVERIFY(m_server->stop(3000)); // blocks this thread until the slow answer went out
        m_server.reset();
        auto r = busy.readResponse();
        QVERIFY(r);
        QCOMPARE(r->body, QByteArray("slow"));
        QCOMPARE(r->header("Connection"), QByteArray("close"));
        QVERIFY(busy.waitClosed());
        QVERIFY(idle.waitClosed());
        RawHttpClient late(port);
        QVERIFY(waitFor([&] { return !late.isConnected(); }, 2000));
    }

    void stopCutsOffAfterGrace()
    {
        const quint16 port = start();
        RawHttpClient c(port);
        c.send(get("/hold"));
        QVERIFY(waitFor([&] { return m_rec->heldCount() == 1; }));
        QVERIFY(!m_server->stop(200)); // the held request never finishes
        m_server.reset();
        QVERIFY(c.waitClosed());
        m_rec->takeHeld().send(200, {}, "after the server is gone"); // a no-op, not a crash
    }
};

QTEST_GUILESS_MAIN(TestMeshHttpServer)
#include "tst_meshhttpserver.moc"
