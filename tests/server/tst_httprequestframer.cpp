// HttpRequestFramer: where requests end and what is refused (the guard in front of QHttpServer 6.4).
#include <QTest>

#include "server/httprequestframer.h"

using namespace pocket;
using Event = HttpRequestFramer::Event;

namespace {

struct Outcome
{
    QList<Event> events; // HeadComplete / MessageComplete / Error in order
    qsizetype consumed = 0;
    int status = 0;
    QByteArray detail;
};

// Feeds `bytes` in slices of `slice` bytes (0 = all at once), collecting events until all is consumed or
// an error.
Outcome run(HttpRequestFramer& f, const QByteArray& bytes, int slice = 0)
{
    Outcome o;
    qsizetype pos = 0;
    while (pos < bytes.size()) {
        const qsizetype n = slice > 0 ? qMin<qsizetype>(slice, bytes.size() - pos) : bytes.size() - pos;
        qsizetype done = 0;
        while (done < n) {
            const auto step = f.feed(bytes.constData() + pos + done, n - done);
            done += step.consumed;
            if (step.event != Event::NeedMore) o.events.append(step.event);
            if (step.event == Event::Error) {
                o.consumed = pos + done;
                o.status = f.errorStatus();
                o.detail = f.errorDetail();
                return o;
            }
            if (step.consumed == 0 && step.event == Event::NeedMore) break;
        }
        pos += n;
    }
    o.consumed = pos;
    return o;
}

Outcome runFresh(const QByteArray& bytes, qint64 maxHeader = 1 << 20, qint64 maxBody = 1 << 20, int slice = 0)
{
    HttpRequestFramer f(maxHeader, maxBody);
    return run(f, bytes, slice);
}

} // namespace

class TestHttpRequestFramer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void simpleGet()
    {
        HttpRequestFramer f(1 << 20, 1 << 20);
        const QByteArray req = "GET /v1/health?x=1 HTTP/1.1\r\nHost: a\r\nX-Mixed-Case: Value \r\n\r\n";
        const auto o = run(f, req);
        QCOMPARE(o.events, QList<Event>{Event::MessageComplete});
        QCOMPARE(o.consumed, req.size());
        QCOMPARE(f.head().method, QByteArray("GET"));
        QCOMPARE(f.head().target, QByteArray("/v1/health?x=1"));
        QCOMPARE(f.head().minorVersion, 1);
        QVERIFY(f.head().keepAlive);
        QCOMPARE(f.head().headers.size(), 2);
        QCOMPARE(f.head().headers[1].first, QByteArray("X-Mixed-Case"));
        QCOMPARE(f.head().headers[1].second, QByteArray("Value"));
        QVERIFY(!f.inMessage());
    }

    void byteByByteEqualsWhole()
    {
        const QByteArray req = "POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: a\r\n\r\n";
        const auto whole = runFresh(req);
        const auto bytes = runFresh(req, 1 << 20, 1 << 20, 1);
        const QList<Event> expected{Event::HeadComplete, Event::MessageComplete, Event::MessageComplete};
        QCOMPARE(whole.events, expected);
        QCOMPARE(bytes.events, expected);
    }

    void pipelinedStopsAtEachRequest()
    {
        HttpRequestFramer f(1 << 20, 1 << 20);
        const QByteArray first = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n";
        const QByteArray both = first + "GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
        const auto step = f.feed(both.constData(), both.size());
        QCOMPARE(step.event, Event::MessageComplete);
        QCOMPARE(step.consumed, first.size());
        QCOMPARE(f.head().target, QByteArray("/a"));
        const auto step2 = f.feed(both.constData() + step.consumed, both.size() - step.consumed);
        QCOMPARE(step2.event, Event::MessageComplete);
        QCOMPARE(f.head().target, QByteArray("/b"));
    }

    void fixedBodyCountedWithoutData()
    {
        HttpRequestFramer f(1 << 20, 100);
        const QByteArray head = "POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n";
        QCOMPARE(f.feed(head.constData(), head.size()).event, Event::HeadComplete);
        QCOMPARE(f.fixedBodyRemaining(), 10);
        QCOMPARE(f.skipFixedBody(4).event, Event::NeedMore);
        QCOMPARE(f.bodyReceived(), 4);
        const auto last = f.skipFixedBody(100);
        QCOMPARE(last.consumed, 6);
        QCOMPARE(last.event, Event::MessageComplete);
    }

    void bodyLimitExactlyNAccepted()
    {
        const auto ok = runFresh("POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789", 1 << 20, 10);
        QCOMPARE(ok.events.last(), Event::MessageComplete);
        const auto tooBig = runFresh("POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", 1 << 20, 10);
        QCOMPARE(tooBig.events, QList<Event>{Event::Error});
        QCOMPARE(tooBig.status, 413);
    }

    void chunkedBody()
    {
        HttpRequestFramer f(1 << 20, 10);
        const auto o = run(f, "POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\n\r\n", 0);
        // 15 > 10: refused when the second chunk size is read.
        QCOMPARE(o.status, 413);
        HttpRequestFramer g(1 << 20, 15);
        const auto ok = run(g, "POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
                               "5\r\nhello\r\nA \r\n0123456789\r\n0\r\n\r\n", 3);
        QCOMPARE(ok.events, (QList<Event>{Event::HeadComplete, Event::MessageComplete}));
        QCOMPARE(g.bodyReceived(), 15);
    }

    void chunkedFramingStrict()
    {
        const QByteArray head = "POST /e HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
        QCOMPARE(runFresh(head + "5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n").status, 400); // trailers
        QCOMPARE(runFresh(head + "5\r\nhello\n0\r\n\r\n").status, 400);                   // bare LF after data
        QCOMPARE(runFresh(head + "5\nhello\r\n0\r\n\r\n").status, 400);                   // bare LF after size
        QCOMPARE(runFresh(head + "x\r\n").status, 400);
        QCOMPARE(runFresh(head + "1234567890123456\r\n").status, 400); // absurd size
    }

    void headerLimit()
    {
        const QByteArray req = "GET / HTTP/1.1\r\nHost: a\r\nX: " + QByteArray(40, 'x') + "\r\n\r\n";
        QCOMPARE(runFresh(req, req.size()).events, QList<Event>{Event::MessageComplete});
        const auto o = runFresh(req, req.size() - 1, 1 << 20, 7);
        QCOMPARE(o.status, 431);
    }

    void hostRules()
    {
        const auto missing = runFresh("GET / HTTP/1.1\r\n\r\n");
        QCOMPARE(missing.status, 400);
        QCOMPARE(missing.detail, QByteArray("missing required Host header"));
        QCOMPARE(runFresh("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").detail, QByteArray("too many Host headers"));
        QCOMPARE(runFresh("GET / HTTP/1.0\r\n\r\n").events, QList<Event>{Event::MessageComplete});
    }

    void ambiguousLengthsRefused()
    {
        QCOMPARE(runFresh("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").status, 400);
        QCOMPARE(runFresh("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx").events.last(),
                 Event::MessageComplete);
        QCOMPARE(runFresh("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n").status, 400);
        QCOMPARE(runFresh("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n").status, 400);
        QCOMPARE(runFresh("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").status, 501);
        QCOMPARE(runFresh("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n").status, 400);
    }

    void malformedLines()
    {
        QCOMPARE(runFresh("GET  / HTTP/1.1\r\nHost: a\r\n\r\n").status, 400);
        QCOMPARE(runFresh("GET / HTTP/1.1\r\nHost : a\r\n\r\n").status, 400);
        QCOMPARE(runFresh("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n").status, 400);
        QCOMPARE(runFresh("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n").status, 400);
        QCOMPARE(runFresh("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n").status, 400);
        QCOMPARE(runFresh("GET noslash HTTP/1.1\r\nHost: a\r\n\r\n").status, 400);
        QCOMPARE(runFresh("GET / HTTP/2.0\r\nHost: a\r\n\r\n").status, 505);
        QCOMPARE(runFresh("GET / FOO/1.1\r\nHost: a\r\n\r\n").status, 400);
    }

    void lenientWhereQHttpServerIsToo()
    {
        // Leading empty lines and bare-LF header lines end a request where QHttpServer 6.4 ends it.
        HttpRequestFramer f(1 << 20, 1 << 20);
        const auto o = run(f, "\r\n\r\nPOST /x HTTP/1.1\nHost: a\nContent-Length: 2\n\nab");
        QCOMPARE(o.events, (QList<Event>{Event::HeadComplete, Event::MessageComplete}));
        QCOMPARE(f.head().target, QByteArray("/x"));
    }

    void keepAliveRules()
    {
        auto keepAlive = [](const QByteArray& req) {
            HttpRequestFramer f(1 << 20, 1 << 20);
            run(f, req);
            return f.head().keepAlive;
        };
        QVERIFY(keepAlive("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        QVERIFY(!keepAlive("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n"));
        QVERIFY(!keepAlive("GET / HTTP/1.0\r\n\r\n"));
        QVERIFY(keepAlive("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    }

    void expectations()
    {
        HttpRequestFramer f(1 << 20, 1 << 20);
        run(f, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-Continue\r\n\r\n");
        QVERIFY(f.head().expectContinue);
        QCOMPARE(runFresh("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: magic\r\n\r\n").status, 417);
        HttpRequestFramer g(1 << 20, 1 << 20);
        run(g, "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n");
        QVERIFY(!g.head().expectContinue); // no body, nothing to continue
    }

    void websocketUpgradeRefused()
    {
        const auto o = runFresh("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        QCOMPARE(o.status, 400);
        // h2c upgrade attempts (curl --http2) are plain HTTP/1.1 requests for QHttpServer: accepted.
        QCOMPARE(runFresh("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                          "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n")
                     .events,
                 QList<Event>{Event::MessageComplete});
    }
};

QTEST_GUILESS_MAIN(TestHttpRequestFramer)
#include "tst_httprequestframer.moc"
