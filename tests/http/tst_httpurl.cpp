// HttpUrl against Go 1.19 net/url behaviour (PROTOCOL §10.1): the expected strings are what Go's
// url.Parse / RequestURI / ResolveReference produce for the same input.
#include <QTest>

#include "http/httpurl.h"

using pocket::HttpUrl;

class TestHttpUrl : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void requestUri_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<QByteArray>("uri");
        QTest::newRow("plain") << QByteArray("http://n:8545/v1/x") << QByteArray("/v1/x");
        QTest::newRow("empty path") << QByteArray("http://n:8545") << QByteArray("/");
        QTest::newRow("query only") << QByteArray("http://n:8545/?a=1") << QByteArray("/?a=1");
        QTest::newRow("no slash before query") << QByteArray("http://n:8545?a=1") << QByteArray("/?a=1");
        QTest::newRow("force query") << QByteArray("http://n/x?") << QByteArray("/x?");
        QTest::newRow("space") << QByteArray("http://n/b c") << QByteArray("/b%20c");
        QTest::newRow("non-ascii") << QByteArray("http://n/\xc3\xbc") << QByteArray("/%C3%BC");
        QTest::newRow("valid escape kept") << QByteArray("http://n/a%41") << QByteArray("/a%41");
        QTest::newRow("escaped slash kept") << QByteArray("http://n/a%2Fb") << QByteArray("/a%2Fb");
        // Go re-escapes the decoded path when the raw one needs escaping: %2F turns into '/'.
        QTest::newRow("re-escape decodes") << QByteArray("http://n/a%2Fb c") << QByteArray("/a/b%20c");
        QTest::newRow("query as-is") << QByteArray("http://n/p?q=a b&x=%zz&u=\xc3\xbc")
                                     << QByteArray("/p?q=a b&x=%zz&u=\xc3\xbc");
        QTest::newRow("sub-delims kept") << QByteArray("http://n/a:b@c;d,e=f&g+h$i!'()*")
                                         << QByteArray("/a:b@c;d,e=f&g+h$i!'()*");
        QTest::newRow("brackets") << QByteArray("http://n/[x]") << QByteArray("/[x]");
        QTest::newRow("quote escaped") << QByteArray("http://n/a\"b<c>") << QByteArray("/a%22b%3Cc%3E");
        QTest::newRow("fragment dropped") << QByteArray("http://n/x?y#frag") << QByteArray("/x?y");
        QTest::newRow("dot segments kept") << QByteArray("http://n/a/../b/./c") << QByteArray("/a/../b/./c");
    }
    void requestUri()
    {
        QFETCH(QByteArray, raw);
        QFETCH(QByteArray, uri);
        const auto url = HttpUrl::parse(raw);
        QVERIFY2(url.has_value(), qPrintable(url ? QString() : url.error()));
        QCOMPARE(url->requestUri(), uri);
    }

    void errors_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<QString>("error");
        QTest::newRow("tab") << QByteArray("http://n/a\tb") << QStringLiteral("net/url: invalid control character in URL");
        QTest::newRow("newline in query") << QByteArray("http://n/a?b\nc") << QStringLiteral("net/url: invalid control character in URL");
        QTest::newRow("del") << QByteArray("http://n/a\x7f") << QStringLiteral("net/url: invalid control character in URL");
        QTest::newRow("bad escape") << QByteArray("http://n/%zz") << QStringLiteral("invalid URL escape \"%zz\"");
        QTest::newRow("short escape") << QByteArray("http://n/a%4") << QStringLiteral("invalid URL escape \"%4\"");
        QTest::newRow("lone percent") << QByteArray("http://n/%") << QStringLiteral("invalid URL escape \"%\"");
        QTest::newRow("bad port") << QByteArray("http://n:abc/") << QStringLiteral("invalid port \":abc\" after host");
        QTest::newRow("missing scheme") << QByteArray(":foo") << QStringLiteral("missing protocol scheme");
        QTest::newRow("space in host") << QByteArray("http://a b/") << QStringLiteral("invalid character \" \" in host name");
        QTest::newRow("ipv6 unclosed") << QByteArray("http://[::1/") << QStringLiteral("missing ']' in host");
        QTest::newRow("colon in first segment") << QByteArray("a:b/c") << QString(); // a:b/c is scheme "a"
        QTest::newRow("bad fragment escape") << QByteArray("http://n/#%zz") << QStringLiteral("invalid URL escape \"%zz\"");
    }
    void errors()
    {
        QFETCH(QByteArray, raw);
        QFETCH(QString, error);
        const auto url = HttpUrl::parse(raw);
        if (error.isEmpty()) {
            QVERIFY(url.has_value());
            return;
        }
        QVERIFY(!url.has_value());
        QCOMPARE(url.error(), error);
    }

    void userinfoNeverInErrors()
    {
        const auto url = HttpUrl::parse("http://us er:s3cret%zz@n/");
        QVERIFY(!url.has_value());
        QVERIFY(!url.error().contains(QStringLiteral("s3cret")));
        QCOMPARE(url.error(), QStringLiteral("net/url: invalid userinfo"));
    }

    void components()
    {
        const auto url = HttpUrl::parse("HTTP://user:p%40ss@Example.COM:8080/x");
        QVERIFY(url.has_value());
        QCOMPARE(url->scheme, QByteArray("http"));
        QCOMPARE(url->host, QByteArray("Example.COM:8080")); // Go keeps the host's case
        QCOMPARE(url->hostname(), QByteArray("Example.COM"));
        QCOMPARE(url->port(), QByteArray("8080"));
        QVERIFY(url->hasUser && url->hasPassword);
        QCOMPARE(url->username, QByteArray("user"));
        QCOMPARE(url->password, QByteArray("p@ss"));
        QCOMPARE(url->toString(false), QByteArray("http://Example.COM:8080/x"));
        QCOMPARE(url->toString(true), QByteArray("http://user:p%40ss@Example.COM:8080/x"));

        const auto v6 = HttpUrl::parse("http://[::1]:9/");
        QVERIFY(v6.has_value());
        QCOMPARE(v6->hostname(), QByteArray("::1"));
        QCOMPARE(v6->port(), QByteArray("9"));
        const auto v6NoPort = HttpUrl::parse("http://[::1]/");
        QVERIFY(v6NoPort.has_value());
        QCOMPARE(v6NoPort->port(), QByteArray());

        const auto opaque = HttpUrl::parse("http:opaque");
        QVERIFY(opaque.has_value());
        QCOMPARE(opaque->opaque, QByteArray("opaque"));
        QVERIFY(opaque->host.isEmpty());
    }

    // RFC 3986 §5.4 examples, as Go's ResolveReference answers them.
    void resolve_data()
    {
        QTest::addColumn<QByteArray>("ref");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("g") << QByteArray("g") << QByteArray("http://a/b/c/g");
        QTest::newRow("./g") << QByteArray("./g") << QByteArray("http://a/b/c/g");
        QTest::newRow("g/") << QByteArray("g/") << QByteArray("http://a/b/c/g/");
        QTest::newRow("/g") << QByteArray("/g") << QByteArray("http://a/g");
        QTest::newRow("//g") << QByteArray("//g") << QByteArray("http://g");
        QTest::newRow("?y") << QByteArray("?y") << QByteArray("http://a/b/c/d;p?y");
        QTest::newRow("g?y") << QByteArray("g?y") << QByteArray("http://a/b/c/g?y");
        QTest::newRow("#s") << QByteArray("#s") << QByteArray("http://a/b/c/d;p?q#s");
        QTest::newRow("..") << QByteArray("..") << QByteArray("http://a/b/");
        QTest::newRow("../g") << QByteArray("../g") << QByteArray("http://a/b/g");
        QTest::newRow("../../g") << QByteArray("../../g") << QByteArray("http://a/g");
        QTest::newRow("../../../g") << QByteArray("../../../g") << QByteArray("http://a/g");
        QTest::newRow("empty") << QByteArray("") << QByteArray("http://a/b/c/d;p?q");
        QTest::newRow("absolute") << QByteArray("https://x:1/y") << QByteArray("https://x:1/y");
    }
    void resolve()
    {
        QFETCH(QByteArray, ref);
        QFETCH(QByteArray, expected);
        const auto base = HttpUrl::parse("http://a/b/c/d;p?q");
        QVERIFY(base.has_value());
        const auto url = base->resolve(ref);
        QVERIFY(url.has_value());
        QCOMPARE(url->toString(true), expected);
    }

    void resolveKeepsUserinfoForRelative()
    {
        const auto base = HttpUrl::parse("http://u:p@a/b");
        const auto rel = base->resolve("/c");
        QVERIFY(rel.has_value());
        QVERIFY(rel->hasUser);
        const auto abs = base->resolve("http://other/c");
        QVERIFY(abs.has_value());
        QVERIFY(!abs->hasUser);
    }
};

QTEST_GUILESS_MAIN(TestHttpUrl)
#include "tst_httpurl.moc"
