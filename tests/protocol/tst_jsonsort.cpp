// Go's generic JSON re-encoding (PROTOCOL §10.3, §1.5): map keys sorted, numbers through float64 printed the
// way encoding/json prints them, duplicates last-wins, HTML escaping. A.5 vectors are in tst_appendixa.
#include <QtTest>
#include <cmath>

#include "protocol/jsonsort.h"

using namespace pocket;

class TestJsonSort : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void formatFloat_data()
    {
        QTest::addColumn<double>("value");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("zero") << 0.0 << QByteArray("0");
        QTest::newRow("negative zero") << -0.0 << QByteArray("-0");
        QTest::newRow("one") << 1.0 << QByteArray("1");
        QTest::newRow("int") << 105843.0 << QByteArray("105843");
        QTest::newRow("negative") << -1.5 << QByteArray("-1.5");
        QTest::newRow("fraction") << 0.1 << QByteArray("0.1");
        QTest::newRow("0.1+0.2") << (0.1 + 0.2) << QByteArray("0.30000000000000004");
        QTest::newRow("1e-6 is f") << 1e-6 << QByteArray("0.000001");
        QTest::newRow("below 1e-6 is e") << std::nextafter(1e-6, 0.0) << QByteArray("9.999999999999997e-7");
        QTest::newRow("1e-7") << 1e-7 << QByteArray("1e-7");
        QTest::newRow("1.5e-10") << 1.5e-10 << QByteArray("1.5e-10");
        QTest::newRow("-2e-100") << -2e-100 << QByteArray("-2e-100");
        QTest::newRow("smallest denormal") << 5e-324 << QByteArray("5e-324");
        QTest::newRow("1e20 is f") << 1e20 << QByteArray("100000000000000000000");
        QTest::newRow("1e21 is e") << 1e21 << QByteArray("1e+21");
        QTest::newRow("1.5e300") << 1.5e300 << QByteArray("1.5e+300");
        QTest::newRow("max double") << 1.7976931348623157e308 << QByteArray("1.7976931348623157e+308");
        QTest::newRow("2^53+1 rounds") << 9007199254740993.0 << QByteArray("9007199254740992");
        QTest::newRow("big integer") << 12345678901234567890.0 << QByteArray("12345678901234567000");
        QTest::newRow("entropy-like") << 42173912345678910.0 << QByteArray("42173912345678910");
        QTest::newRow("123.456") << 123.456 << QByteArray("123.456");
        QTest::newRow("-0.000123") << -0.000123 << QByteArray("-0.000123");
    }
    void formatFloat()
    {
        QFETCH(double, value);
        QFETCH(QByteArray, expected);
        QCOMPARE(goFormatFloat(value), expected);
    }

    void sortObject_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("keys sorted at every depth") << QByteArray("{\"b\":{\"z\":1,\"a\":[{\"y\":2,\"x\":3}]},\"a\":null}")
                                                    << QByteArray("{\"a\":null,\"b\":{\"a\":[{\"x\":3,\"y\":2}],\"z\":1}}");
        QTest::newRow("byte-wise order") << QByteArray("{\"a\":1,\"B\":2,\"_\":3,\"\xC3\xA9\":4,\"Z\":5,\"aa\":6,\"\":7}")
                                         << QByteArray("{\"\":7,\"B\":2,\"Z\":5,\"_\":3,\"a\":1,\"aa\":6,\"\xC3\xA9\":4}");
        QTest::newRow("duplicates last wins") << QByteArray("{\"a\":1,\"b\":2,\"a\":{\"x\":1},\"a\":[3]}")
                                              << QByteArray("{\"a\":[3],\"b\":2}");
        QTest::newRow("numbers") << QByteArray("{\"a\":1.0,\"b\":-0,\"c\":1E2,\"d\":0.5e1,\"e\":1e-400,\"f\":-1e-400,\"g\":123456789012345678901234}")
                                 << QByteArray("{\"a\":1,\"b\":-0,\"c\":100,\"d\":5,\"e\":0,\"f\":-0,\"g\":1.2345678901234569e+23}");
        QTest::newRow("strings re-escaped") << QByteArray("{\"s\":\"\\u003c\\/\\b\\u2028\\ud800\xFF\xE2\x80\xA8\"}")
                                            << QByteArray("{\"s\":\"\\u003c/\\u0008\\u2028\xEF\xBF\xBD\xEF\xBF\xBD\\u2028\"}");
        QTest::newRow("html in keys") << QByteArray("{\"<&>\":true}") << QByteArray("{\"\\u003c\\u0026\\u003e\":true}");
        QTest::newRow("whitespace removed") << QByteArray(" \n{ \"a\" : [ 1 , 2 ] , \"b\" : { } }\t\r\n ")
                                            << QByteArray("{\"a\":[1,2],\"b\":{}}");
        QTest::newRow("empty containers") << QByteArray("{\"a\":[],\"b\":{},\"c\":[[]]}") << QByteArray("{\"a\":[],\"b\":{},\"c\":[[]]}");
        QTest::newRow("null body") << QByteArray(" null ") << QByteArray("null");
        QTest::newRow("literals") << QByteArray("{\"t\":true,\"f\":false,\"n\":null}") << QByteArray("{\"f\":false,\"n\":null,\"t\":true}");
    }
    void sortObject()
    {
        QFETCH(QByteArray, input);
        QFETCH(QByteArray, expected);
        const auto out = goSortJsonObject(input);
        QVERIFY(out.has_value());
        QCOMPARE(*out, expected);
        // Idempotent: sorting the result changes nothing.
        QCOMPARE(goSortJsonObject(*out).value_or("<fail>"), expected);
    }

    void notSorted_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::newRow("array") << QByteArray("[{\"b\":1,\"a\":2}]");
        QTest::newRow("string") << QByteArray("\"x\"");
        QTest::newRow("number") << QByteArray("12");
        QTest::newRow("bool") << QByteArray("true");
        QTest::newRow("empty") << QByteArray("");
        QTest::newRow("whitespace") << QByteArray("  ");
        QTest::newRow("invalid") << QByteArray("{\"a\":}");
        QTest::newRow("trailing garbage") << QByteArray("{\"a\":1} x");
        QTest::newRow("two objects") << QByteArray("{}{}");
        QTest::newRow("float overflow") << QByteArray("{\"a\":1e400}");
        QTest::newRow("negative overflow") << QByteArray("{\"a\":[-1e309]}");
        QTest::newRow("plain text") << QByteArray("plain text response");
        QTest::newRow("too deep") << QByteArray("{\"a\":" + QByteArray(10000, '[') + QByteArray(10000, ']') + "}");
    }
    void notSorted()
    {
        QFETCH(QByteArray, input);
        QVERIFY(!goSortJsonObject(input).has_value());
    }

    void deepNesting()
    {
        // Go accepts 10000 levels; neither parsing nor encoding may recurse on them.
        const QByteArray arrays = "{\"a\":" + QByteArray(9999, '[') + QByteArray(9999, ']') + "}";
        QCOMPARE(goSortJsonObject(arrays).value_or("<fail>"), arrays);
        QByteArray objects;
        for (int i = 0; i < 9999; ++i) objects += "{\"k\":";
        objects += "1" + QByteArray(9999, '}');
        const auto out = goSortJsonObject(objects);
        QVERIFY(out.has_value());
        QCOMPARE(*out, objects);
    }

    void reencodeAnyValue()
    {
        QCOMPARE(goReencodeJson(" [ {\"b\":1, \"a\":2} , 1.50 ] ").value_or("<fail>"), QByteArray("[{\"a\":2,\"b\":1},1.5]"));
        QCOMPARE(goReencodeJson("\"<\"").value_or("<fail>"), QByteArray("\"\\u003c\""));
        QCOMPARE(goReencodeJson("12345678901234567890").value_or("<fail>"), QByteArray("12345678901234567000"));
        QCOMPARE(goReencodeJson("null").value_or("<fail>"), QByteArray("null"));
        QVERIFY(!goReencodeJson("[1,]").has_value());
        QVERIFY(!goReencodeJson("").has_value());
    }
};

QTEST_GUILESS_MAIN(TestJsonSort)
#include "tst_jsonsort.moc"
