// GoJsonWriter / appendGoJsonString reproduce Go 1.21 encoding/json bytes (PROTOCOL §1.1).
#include <QtTest>

#include "protocol/gojson.h"

using namespace pocket;

namespace {
QByteArray enc(QByteArrayView s)
{
    QByteArray out;
    appendGoJsonString(out, s);
    return out;
}
} // namespace

class TestGoJson : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void escaping_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("empty") << QByteArray("") << QByteArray("\"\"");
        QTest::newRow("plain") << QByteArray("abc XYZ 019") << QByteArray("\"abc XYZ 019\"");
        QTest::newRow("quote backslash") << QByteArray("a\"b\\c") << QByteArray("\"a\\\"b\\\\c\"");
        QTest::newRow("newline cr tab") << QByteArray("\n\r\t") << QByteArray("\"\\n\\r\\t\"");
        // Go 1.21: \b and \f are NOT short escapes.
        QTest::newRow("backspace formfeed") << QByteArray("\b\f") << QByteArray("\"\\u0008\\u000c\"");
        QTest::newRow("controls") << QByteArray("\x00\x01\x1f\x1b", 4) << QByteArray("\"\\u0000\\u0001\\u001f\\u001b\"");
        QTest::newRow("html") << QByteArray("<a href=\"x\">&amp;</a>")
                              << QByteArray("\"\\u003ca href=\\\"x\\\"\\u003e\\u0026amp;\\u003c/a\\u003e\"");
        QTest::newRow("slash and DEL raw") << QByteArray("/\x7F") << QByteArray("\"/\x7F\"");
        QTest::newRow("line separators") << QByteArray("a\xE2\x80\xA8" "b\xE2\x80\xA9" "c")
                                         << QByteArray("\"a\\u2028b\\u2029c\"");
        QTest::newRow("U+2027 raw") << QByteArray("\xE2\x80\xA7") << QByteArray("\"\xE2\x80\xA7\"");
        QTest::newRow("U+202A raw") << QByteArray("\xE2\x80\xAA") << QByteArray("\"\xE2\x80\xAA\"");
        QTest::newRow("non-ASCII raw") << QByteArray("\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x9A\x80")
                                       << QByteArray("\"\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x9A\x80\"");
        QTest::newRow("max code point raw") << QByteArray("\xF4\x8F\xBF\xBF") << QByteArray("\"\xF4\x8F\xBF\xBF\"");
        QTest::newRow("valid U+FFFD raw") << QByteArray("\xEF\xBF\xBD") << QByteArray("\"\xEF\xBF\xBD\"");
        QTest::newRow("invalid byte") << QByteArray("a\xFF" "b") << QByteArray("\"a\\ufffdb\"");
        QTest::newRow("stray continuation") << QByteArray("\x80\xBF") << QByteArray("\"\\ufffd\\ufffd\"");
        QTest::newRow("overlong 2-byte") << QByteArray("\xC0\xAF\xC1\xBF") << QByteArray("\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
        QTest::newRow("overlong 3-byte") << QByteArray("\xE0\x80\xAF") << QByteArray("\"\\ufffd\\ufffd\\ufffd\"");
        QTest::newRow("overlong 4-byte") << QByteArray("\xF0\x80\x80\xAF") << QByteArray("\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
        QTest::newRow("UTF-8 surrogate") << QByteArray("\xED\xA0\x80\xED\xBF\xBF")
                                         << QByteArray("\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
        QTest::newRow("U+D7FF raw") << QByteArray("\xED\x9F\xBF") << QByteArray("\"\xED\x9F\xBF\"");
        QTest::newRow("above U+10FFFF") << QByteArray("\xF4\x90\x80\x80") << QByteArray("\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
        QTest::newRow("F5 lead") << QByteArray("\xF5\x80") << QByteArray("\"\\ufffd\\ufffd\"");
        QTest::newRow("truncated 2 at end") << QByteArray("x\xC3") << QByteArray("\"x\\ufffd\"");
        QTest::newRow("truncated 3 at end") << QByteArray("\xE2\x82") << QByteArray("\"\\ufffd\\ufffd\"");
        QTest::newRow("truncated 4 then ASCII") << QByteArray("\xF0\x9F\x9A" "a") << QByteArray("\"\\ufffd\\ufffd\\ufffd" "a\"");
        QTest::newRow("truncated U+2028") << QByteArray("\xE2\x80") << QByteArray("\"\\ufffd\\ufffd\"");
        QTest::newRow("lead then valid") << QByteArray("\xC3\xC3\xA9") << QByteArray("\"\\ufffd\xC3\xA9\"");
    }
    void escaping()
    {
        QFETCH(QByteArray, input);
        QFETCH(QByteArray, expected);
        QCOMPARE(enc(input), expected);
        // The fast path must not depend on where the special byte falls in a long run.
        const QByteArray pad(37, 'p');
        QCOMPARE(enc(pad + input + pad), "\"" + pad + expected.mid(1, expected.size() - 2) + pad + "\"");
    }

    void appendsToExisting()
    {
        QByteArray out = "prefix:";
        appendGoJsonString(out, "<x>");
        QCOMPARE(out, QByteArray("prefix:\"\\u003cx\\u003e\""));
    }

    void validUtf8()
    {
        QCOMPARE(goValidUtf8("abc\xC3\xA9"), QByteArray("abc\xC3\xA9"));
        QCOMPARE(goValidUtf8("a\xFF" "b\xE2\x82"), QByteArray("a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD"));
        QCOMPARE(goValidUtf8(QByteArray("\0", 1)), QByteArray("\0", 1));
        QCOMPARE(goUtf8SequenceLength("\xF0\x9F\x9A\x80", 4), 4);
        QCOMPARE(goUtf8SequenceLength("\xF0\x9F\x9A\x80", 3), 0);
        QCOMPARE(goUtf8SequenceLength("\xE0\xA0\x80", 3), 3);
        QCOMPARE(goUtf8SequenceLength("\xE0\x9F\xBF", 3), 0);
        QCOMPARE(goUtf8SequenceLength("\xC2\x80", 2), 2);
    }

    void writer()
    {
        GoJsonWriter w;
        w.beginObject();
        w.key("a").integer(std::numeric_limits<qint64>::min());
        w.key("b").integer(std::numeric_limits<qint64>::max());
        w.key("c").beginArray().integer(0).integer(-1).boolean(true).boolean(false).null().string("s").endArray();
        w.key("d").beginObject().endObject();
        w.key("e").beginArray().endArray();
        w.key("f").raw("{\"x\":1}");
        w.key("<k>").beginArray().beginObject().key("y").null().endObject().beginArray().endArray().endArray();
        w.endObject();
        QCOMPARE(w.bytes(), QByteArray("{\"a\":-9223372036854775808,\"b\":9223372036854775807,"
                                       "\"c\":[0,-1,true,false,null,\"s\"],\"d\":{},\"e\":[],\"f\":{\"x\":1},"
                                       "\"\\u003ck\\u003e\":[{\"y\":null},[]]}"));
        const QByteArray taken = w.take();
        QVERIFY(taken.startsWith("{\"a\""));
    }
};

QTEST_GUILESS_MAIN(TestGoJson)
#include "tst_gojson.moc"
