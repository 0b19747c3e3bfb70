// tests/support/httprequestbuffer.h, the request framing the other tests' fake servers share: nothing is
// taken before a request is whole, pipelined bytes stay in the buffer, the head is kept byte for byte and
// header names keep their case and order.
#include <QTest>

#include "httprequestbuffer.h"

using pocket::test::BufferedHttpRequest;
using pocket::test::takeHttpRequest;

class TestHttpRequestBuffer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void nothingUntilWhole()
    {
        const QByteArray request = "POST /v1/x?a=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
        // Every strict prefix: the head or the body is incomplete, and the buffer is left as it was.
        for (qsizetype n = 0; n < request.size(); ++n) {
            QByteArray buffer = request.left(n);
            QVERIFY2(!takeHttpRequest(buffer), qPrintable(QString::number(n)));
            QCOMPARE(buffer, request.left(n));
        }
        QByteArray buffer = request;
        const std::optional<BufferedHttpRequest> r = takeHttpRequest(buffer);
        QVERIFY(r);
        QVERIFY(buffer.isEmpty());
        QCOMPARE(r->method, QByteArray("POST"));
        QCOMPARE(r->target, QByteArray("/v1/x?a=1"));
        QCOMPARE(r->version, QByteArray("HTTP/1.1"));
        QCOMPARE(r->head, request.left(request.size() - 5));
        QCOMPARE(r->body, QByteArray("hello"));
    }

    void pipelinedRequestsStay()
    {
        const QByteArray first = "POST /a HTTP/1.1\r\ncontent-length: 3\r\n\r\nabc";
        const QByteArray second = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
        QByteArray buffer = first + second + "GET /c HT";
        const std::optional<BufferedHttpRequest> a = takeHttpRequest(buffer);
        QVERIFY(a);
        QCOMPARE(a->body, QByteArray("abc")); // the lower-case name frames the body too
        QCOMPARE(buffer, second + "GET /c HT");
        const std::optional<BufferedHttpRequest> b = takeHttpRequest(buffer);
        QVERIFY(b);
        QCOMPARE(b->target, QByteArray("/b"));
        QVERIFY(b->body.isEmpty()); // no Content-Length: no body
        QCOMPARE(buffer, QByteArray("GET /c HT"));
        QVERIFY(!takeHttpRequest(buffer));
        QCOMPARE(buffer, QByteArray("GET /c HT"));
    }

    void headersInOrderWithTheirCase()
    {
        QByteArray buffer = "GET / HTTP/1.1\r\nX-Mixed-Case:  v1 \r\nHost: h\r\nx-mixed-case: v2\r\n"
                            "Accept:\r\n\r\n";
        const std::optional<BufferedHttpRequest> r = takeHttpRequest(buffer);
        QVERIFY(r);
        const QList<QPair<QByteArray, QByteArray>> expected{
            {"X-Mixed-Case", "v1"}, {"Host", "h"}, {"x-mixed-case", "v2"}, {"Accept", ""}};
        QCOMPARE(r->headers, expected);
        QCOMPARE(r->headerValues("X-MIXED-CASE"), (QList<QByteArray>{"v1", "v2"}));
        QCOMPARE(r->header("x-mixed-case"), QByteArray("v1"));
        QCOMPARE(r->header("HOST"), QByteArray("h"));
        QVERIFY(r->header("Accept").isEmpty());
        QCOMPARE(r->headerValues("Accept").size(), 1); // present, empty
        QVERIFY(r->header("Missing").isNull());
        QVERIFY(r->headerValues("Missing").isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestHttpRequestBuffer)
#include "tst_httprequestbuffer.moc"
