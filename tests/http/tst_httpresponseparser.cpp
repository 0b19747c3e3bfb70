// HttpResponseParser: framing rules of Go 1.19 net/http for responses, fed whole and byte by byte.
#include <QTest>

#include <zlib.h>

#include "http/httpresponseparser.h"

using pocket::HttpErrorKind;
using pocket::HttpResponseParser;

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

struct Outcome {
    HttpResponseParser::State state;
    qsizetype consumed = 0;
    pocket::HttpResponse response;
    HttpErrorKind kind = HttpErrorKind::Transport;
    QString error;
    bool keepAlive = false;
};

// Feeds `bytes` the way HttpClient does: unconsumed bytes are offered again with the next ones.
Outcome run(const QByteArray& bytes, qsizetype step, bool eof, bool head = false, bool gzipRequested = false,
            qint64 maxBody = 1 << 20)
{
    HttpResponseParser p;
    p.reset(head, gzipRequested, maxBody);
    QByteArray pending;
    qsizetype consumed = 0;
    for (qsizetype i = 0; i < bytes.size() && p.state() != HttpResponseParser::State::Done
                          && p.state() != HttpResponseParser::State::Failed;
         i += step) {
        pending += bytes.mid(i, step);
        const qsizetype n = p.feed(pending.constData(), pending.size());
        consumed += n;
        pending.remove(0, n);
    }
    if (eof)
        p.finishOnEof();
    Outcome o;
    o.state = p.state();
    o.consumed = consumed;
    o.kind = p.errorKind();
    o.error = p.errorMessage();
    o.keepAlive = p.keepAlive();
    o.response = p.takeResponse();
    return o;
}

} // namespace

class TestHttpResponseParser : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void steps_data()
    {
        QTest::addColumn<qsizetype>("step");
        QTest::newRow("whole") << qsizetype(1 << 20);
        QTest::newRow("byte by byte") << qsizetype(1);
        QTest::newRow("7 bytes") << qsizetype(7);
    }

    void contentLength_data() { steps_data(); }
    void contentLength()
    {
        QFETCH(qsizetype, step);
        const QByteArray wire = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhelloEXTRA";
        const Outcome o = run(wire, step, false);
        QCOMPARE(o.state, HttpResponseParser::State::Done);
        QCOMPARE(o.response.status, 200);
        QCOMPARE(o.response.body, QByteArray("hello"));
        QCOMPARE(o.response.header("content-type"), QByteArray("application/json"));
        QCOMPARE(o.response.header("Content-Length"), QByteArray("5"));
        QVERIFY(o.keepAlive);
        QCOMPARE(o.consumed, wire.size() - 5); // the parser stops at the end of the response
    }

    void chunkedWithTrailers_data() { steps_data(); }
    void chunkedWithTrailers()
    {
        QFETCH(qsizetype, step);
        const QByteArray wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 999\r\nTrailer: X-Sum\r\n\r\n"
                                "5;ext=1\r\nhello\r\n"
                                "6 \r\n world\r\n"
                                "0\r\nX-Sum: 42\r\nX-Other:  a b \r\n\r\n";
        const Outcome o = run(wire, step, false);
        QCOMPARE(o.state, HttpResponseParser::State::Done);
        QCOMPARE(o.response.body, QByteArray("hello world"));
        QCOMPARE(o.response.header("Transfer-Encoding"), QByteArray()); // Go removes both
        QCOMPARE(o.response.header("Content-Length"), QByteArray());
        QCOMPARE(o.response.trailers.size(), 2);
        QCOMPARE(o.response.trailers[0].first, QByteArray("X-Sum"));
        QCOMPARE(o.response.trailers[0].second, QByteArray("42"));
        QCOMPARE(o.response.trailers[1].second, QByteArray("a b"));
        QVERIFY(o.keepAlive);
        QCOMPARE(o.consumed, wire.size());
    }

    void chunkedErrors_data()
    {
        QTest::addColumn<QByteArray>("chunks");
        QTest::addColumn<QString>("error");
        QTest::newRow("bad hex") << QByteArray("zz\r\n") << QStringLiteral("invalid byte in chunk length");
        QTest::newRow("empty size") << QByteArray("\r\n") << QStringLiteral("empty hex number for chunk length");
        QTest::newRow("missing crlf") << QByteArray("3\r\nabcX\r\n") << QStringLiteral("malformed chunked encoding");
        QTest::newRow("too long") << QByteArray("11111111111111111\r\n") << QStringLiteral("http chunk length too large");
    }
    void chunkedErrors()
    {
        QFETCH(QByteArray, chunks);
        QFETCH(QString, error);
        const Outcome o = run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks, 1 << 20, false);
        QCOMPARE(o.state, HttpResponseParser::State::Failed);
        QCOMPARE(o.kind, HttpErrorKind::BodyRead);
        QCOMPARE(o.error, error);
    }

    void readUntilClose()
    {
        const Outcome open = run("HTTP/1.1 200 OK\r\n\r\npartial", 1 << 20, false);
        QCOMPARE(open.state, HttpResponseParser::State::Body);
        const Outcome o = run("HTTP/1.1 200 OK\r\n\r\nall of it", 3, true);
        QCOMPARE(o.state, HttpResponseParser::State::Done);
        QCOMPARE(o.response.body, QByteArray("all of it"));
        QVERIFY(!o.keepAlive);
    }

    void truncated()
    {
        const Outcome body = run("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 1 << 20, true);
        QCOMPARE(body.state, HttpResponseParser::State::Failed);
        QCOMPARE(body.kind, HttpErrorKind::BodyRead);
        QCOMPARE(body.error, QStringLiteral("unexpected EOF"));
        const Outcome chunked = run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 1 << 20, true);
        QCOMPARE(chunked.kind, HttpErrorKind::BodyRead);
        const Outcome headers = run("HTTP/1.1 200 OK\r\nContent-Le", 1 << 20, true);
        QCOMPARE(headers.state, HttpResponseParser::State::Failed);
        QCOMPARE(headers.kind, HttpErrorKind::Transport);
        const Outcome nothing = run("", 1, true);
        QCOMPARE(nothing.kind, HttpErrorKind::Transport);
    }

    void noBody()
    {
        const Outcome head = run("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", 1 << 20, false, true);
        QCOMPARE(head.state, HttpResponseParser::State::Done);
        QCOMPARE(head.response.header("Content-Length"), QByteArray("1234"));
        QVERIFY(head.keepAlive);
        for (const char* status : {"204 No Content", "304 Not Modified"}) {
            const Outcome o = run(QByteArray("HTTP/1.1 ") + status + "\r\nContent-Length: 3\r\n\r\n", 1, false);
            QCOMPARE(o.state, HttpResponseParser::State::Done);
            QVERIFY(o.response.body.isEmpty());
        }
    }

    void informational()
    {
        const Outcome o = run("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
                              "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
                              5, false);
        QCOMPARE(o.state, HttpResponseParser::State::Done);
        QCOMPARE(o.response.status, 201);
        QCOMPARE(o.response.header("Link"), QByteArray());
        QByteArray many;
        for (int i = 0; i < 6; ++i)
            many += "HTTP/1.1 100 Continue\r\n\r\n";
        const Outcome tooMany = run(many + "HTTP/1.1 200 OK\r\n\r\n", 1 << 20, false);
        QCOMPARE(tooMany.error, QStringLiteral("net/http: too many 1xx informational responses"));
    }

    void keepAliveRules()
    {
        QVERIFY(!run("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n", 1 << 20, false).keepAlive);
        QVERIFY(!run("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 1 << 20, false).keepAlive);
        QVERIFY(run("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", 1 << 20, false).keepAlive);
        // HTTP/1.0 ignores Transfer-Encoding (Go): the body runs until close.
        const Outcome old = run("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc", 1 << 20, true);
        QCOMPARE(old.response.body, QByteArray("3\r\nabc"));
    }

    void headerEdgeCases()
    {
        const Outcome o = run("HTTP/1.1 200 OK\nX-A: 1\nX-Folded: first\n  second\n:skipped\nContent-Length: 0\n\n", 1, false);
        QCOMPARE(o.state, HttpResponseParser::State::Done);
        QCOMPARE(o.response.header("X-A"), QByteArray("1"));
        QCOMPARE(o.response.header("X-Folded"), QByteArray("first second"));
        QCOMPARE(o.response.headers.size(), 3);
        const Outcome dupSame = run("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", 1 << 20, false);
        QCOMPARE(dupSame.response.body, QByteArray("ok"));
        QCOMPARE(dupSame.response.headers.size(), 1);
    }

    void malformed_data()
    {
        QTest::addColumn<QByteArray>("wire");
        QTest::addColumn<QString>("error");
        QTest::newRow("no space") << QByteArray("HTTP/1.1\r\n\r\n") << QStringLiteral("malformed HTTP response \"HTTP/1.1\"");
        QTest::newRow("status") << QByteArray("HTTP/1.1 2000 OK\r\n\r\n") << QStringLiteral("malformed HTTP status code \"2000\"");
        QTest::newRow("version") << QByteArray("HTTX/1.1 200 OK\r\n\r\n") << QStringLiteral("malformed HTTP version \"HTTX/1.1\"");
        QTest::newRow("empty line first") << QByteArray("\r\nHTTP/1.1 200 OK\r\n\r\n") << QStringLiteral("malformed HTTP response \"\"");
        QTest::newRow("header without colon") << QByteArray("HTTP/1.1 200 OK\r\nbroken\r\n\r\n")
                                              << QStringLiteral("malformed MIME header line: \"broken\"");
        QTest::newRow("two lengths") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
                                     << QStringLiteral("http: message cannot contain multiple Content-Length headers");
        QTest::newRow("bad length") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")
                                    << QStringLiteral("bad Content-Length \"-1\"");
        QTest::newRow("gzip TE") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n")
                                 << QStringLiteral("unsupported transfer encoding: \"gzip\"");
    }
    void malformed()
    {
        QFETCH(QByteArray, wire);
        QFETCH(QString, error);
        const Outcome o = run(wire, 1 << 20, false);
        QCOMPARE(o.state, HttpResponseParser::State::Failed);
        QCOMPARE(o.kind, HttpErrorKind::Transport);
        QCOMPARE(o.error, error);
    }

    void limits()
    {
        const Outcome header = run("HTTP/1.1 200 OK\r\nX: " + QByteArray(HttpResponseParser::kMaxHeaderBytes, 'a'), 65536, false);
        QCOMPARE(header.kind, HttpErrorKind::TooLarge);
        const Outcome length = run("HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", 1 << 20, false, false, false, 100);
        QCOMPARE(length.kind, HttpErrorKind::TooLarge);
        const Outcome chunks = run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + QByteArray(64, 'x')
                                       + "\r\n40\r\n" + QByteArray(64, 'x') + "\r\n0\r\n\r\n",
                                   1 << 20, false, false, false, 100);
        QCOMPARE(chunks.kind, HttpErrorKind::TooLarge);
        const Outcome untilClose = run("HTTP/1.1 200 OK\r\n\r\n" + QByteArray(101, 'x'), 10, true, false, false, 100);
        QCOMPARE(untilClose.kind, HttpErrorKind::TooLarge);
        const Outcome exact = run("HTTP/1.1 200 OK\r\n\r\n" + QByteArray(100, 'x'), 10, true, false, false, 100);
        QCOMPARE(exact.state, HttpResponseParser::State::Done);
    }

    void gzipTransparent_data() { steps_data(); }
    void gzipTransparent()
    {
        QFETCH(qsizetype, step);
        const QByteArray plain = QByteArray("{\"jsonrpc\":\"2.0\",\"result\":\"0x1\"}").repeated(50);
        const QByteArray packed = gzip(plain);
        const QByteArray wire = "HTTP/1.1 200 OK\r\nContent-Encoding: GZIP\r\nContent-Length: "
                                + QByteArray::number(packed.size()) + "\r\nVary: x\r\n\r\n" + packed;
        const Outcome decoded = run(wire, step, false, false, true);
        QCOMPARE(decoded.state, HttpResponseParser::State::Done);
        QCOMPARE(decoded.response.body, plain);
        QCOMPARE(decoded.response.header("Content-Encoding"), QByteArray());
        QCOMPARE(decoded.response.header("Content-Length"), QByteArray());
        QCOMPARE(decoded.response.header("Vary"), QByteArray("x"));
        // Not requested by the client itself: raw bytes and headers.
        const Outcome raw = run(wire, step, false, false, false);
        QCOMPARE(raw.response.body, packed);
        QCOMPARE(raw.response.header("Content-Encoding"), QByteArray("GZIP"));
    }

    void gzipMembersAndErrors()
    {
        const QByteArray two = gzip("hello ") + gzip("world");
        const Outcome members = run("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + two, 3, true, false, true);
        QCOMPARE(members.response.body, QByteArray("hello world"));
        const Outcome empty = run("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n", 1, false, false, true);
        QCOMPARE(empty.state, HttpResponseParser::State::Done);
        QVERIFY(empty.response.body.isEmpty());
        const QByteArray packed = gzip("some body");
        const Outcome cut = run("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + packed.first(packed.size() - 4), 1 << 20,
                                true, false, true);
        QCOMPARE(cut.kind, HttpErrorKind::BodyRead);
        QCOMPARE(cut.error, QStringLiteral("unexpected EOF"));
        const Outcome garbage = run("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + packed + "junk", 1 << 20, true, false, true);
        QCOMPARE(garbage.kind, HttpErrorKind::BodyRead);
        QCOMPARE(garbage.error, QStringLiteral("gzip: invalid header"));
        const Outcome notGzip = run("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\nplain text", 1 << 20, true, false, true);
        QCOMPARE(notGzip.error, QStringLiteral("gzip: invalid header"));
        // A small compressed body that inflates past the limit (zip bomb) is TooLarge.
        const QByteArray bomb = gzip(QByteArray(10 << 20, '\0'));
        QVERIFY(bomb.size() < 64 * 1024);
        const Outcome big = run("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + bomb, 4096, true, false, true, 1 << 20);
        QCOMPARE(big.kind, HttpErrorKind::TooLarge);
    }
};

QTEST_GUILESS_MAIN(TestHttpResponseParser)
#include "tst_httpresponseparser.moc"
