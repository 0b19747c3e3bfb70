// decodeRelay reproduces Go's json.Unmarshal into types.Relay (PROTOCOL §1.2): syntax errors with Go's texts,
// type errors with Go's field context, key folding, duplicates, null, int64 bounds, string decoding.
#include <QtTest>

#include "protocol/relay.h"

using namespace pocket;

namespace {

// A relay body with one field set at `path` (e.g. "proof.entropy") to the raw JSON `value`.
QByteArray withField(const QByteArray& path, const QByteArray& value)
{
    const QList<QByteArray> parts = path.split('.');
    QByteArray out = value;
    for (qsizetype i = parts.size() - 1; i >= 0; --i) out = "{\"" + parts[i] + "\":" + out + "}";
    return out;
}

Relay decodeOk(const QByteArray& json)
{
    const auto r = decodeRelay(json);
    if (!r) qWarning() << "unexpected error:" << r.error() << "for" << json;
    return r.value_or(Relay{});
}

} // namespace

class TestRelayDecoder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void emptyBodyIsZeroRelay()
    {
        const auto r = decodeRelay(QByteArray());
        QVERIFY(r.has_value());
        QCOMPARE(*r, Relay{});
        QVERIFY(!r->payload.headers.has_value());
        // Only a truly empty body: whitespace alone is Go's "unexpected end of JSON input".
        QCOMPARE(decodeRelay(" \n").error(), QStringLiteral("unexpected end of JSON input"));
        QCOMPARE(decodeOk("null"), Relay{});
        QCOMPARE(decodeOk(" {} "), Relay{});
    }

    void syntaxErrors_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("error");
        QTest::newRow("open brace") << QByteArray("{") << "unexpected end of JSON input";
        QTest::newRow("key only") << QByteArray("{\"payload\":") << "unexpected end of JSON input";
        QTest::newRow("truncated string") << QByteArray("{\"payload\":{\"data\":\"abc") << "unexpected end of JSON input";
        QTest::newRow("bad start") << QByteArray("x") << "invalid character 'x' looking for beginning of value";
        QTest::newRow("trailing garbage") << QByteArray("{}x") << "invalid character 'x' after top-level value";
        QTest::newRow("two values") << QByteArray("{} {}") << "invalid character '{' after top-level value";
        QTest::newRow("trailing newline ok then garbage") << QByteArray("{}\n]") << "invalid character ']' after top-level value";
        QTest::newRow("missing colon") << QByteArray("{\"a\" 1}") << "invalid character '1' after object key";
        QTest::newRow("missing comma") << QByteArray("{\"a\":1 \"b\":2}")
                                       << "invalid character '\"' after object key:value pair";
        QTest::newRow("array element") << QByteArray("{\"a\":[1 2]}") << "invalid character '2' after array element";
        QTest::newRow("number key") << QByteArray("{1:2}") << "invalid character '1' looking for beginning of object key string";
        QTest::newRow("single quotes") << QByteArray("{'a':1}")
                                       << "invalid character '\\'' looking for beginning of object key string";
        QTest::newRow("trailing comma object") << QByteArray("{\"a\":1,}")
                                               << "invalid character '}' looking for beginning of object key string";
        QTest::newRow("trailing comma array") << QByteArray("{\"a\":[1,]}")
                                              << "invalid character ']' looking for beginning of value";
        QTest::newRow("control in string") << QByteArray("{\"a\":\"\x01\"}") << "invalid character '\\x01' in string literal";
        QTest::newRow("newline in string") << QByteArray("{\"a\":\"\n\"}") << "invalid character '\\n' in string literal";
        QTest::newRow("bad escape") << QByteArray("{\"a\":\"\\x\"}") << "invalid character 'x' in string escape code";
        QTest::newRow("bad unicode escape") << QByteArray("{\"a\":\"\\u12G4\"}")
                                            << "invalid character 'G' in \\u hexadecimal character escape";
        QTest::newRow("minus alone") << QByteArray("{\"a\":-x}") << "invalid character 'x' in numeric literal";
        QTest::newRow("dot") << QByteArray("{\"a\":1.}") << "invalid character '}' after decimal point in numeric literal";
        QTest::newRow("exponent") << QByteArray("{\"a\":1e}") << "invalid character '}' in exponent of numeric literal";
        QTest::newRow("exponent sign") << QByteArray("{\"a\":1e+}") << "invalid character '}' in exponent of numeric literal";
        QTest::newRow("leading zero") << QByteArray("{\"a\":01}") << "invalid character '1' after object key:value pair";
        QTest::newRow("plus") << QByteArray("{\"a\":+1}") << "invalid character '+' looking for beginning of value";
        QTest::newRow("true") << QByteArray("{\"a\":tru}") << "invalid character '}' in literal true (expecting 'e')";
        QTest::newRow("false") << QByteArray("{\"a\":fals}") << "invalid character '}' in literal false (expecting 'e')";
        QTest::newRow("null") << QByteArray("{\"a\":nul}") << "invalid character '}' in literal null (expecting 'l')";
        QTest::newRow("NaN") << QByteArray("{\"a\":NaN}") << "invalid character 'N' looking for beginning of value";
        // At the end of input Go feeds a virtual space: a number or literal cut short reports that space.
        QTest::newRow("eof minus") << QByteArray("-") << "invalid character ' ' in numeric literal";
        QTest::newRow("eof null") << QByteArray("nul") << "invalid character ' ' in literal null (expecting 'l')";
        QTest::newRow("eof after value in object") << QByteArray("{\"a\":1") << "unexpected end of JSON input";
        QTest::newRow("BOM") << QByteArray("\xEF\xBB\xBF{}") << QString::fromUtf8("invalid character 'ï' looking for beginning of value");
        QTest::newRow("byte 0x80") << QByteArray("\x80") << "invalid character '\\u0080' looking for beginning of value";
        QTest::newRow("NUL byte") << QByteArray("{\"a\":1}\0", 8) << "invalid character '\\x00' after top-level value";
        QTest::newRow("backslash") << QByteArray("\\") << "invalid character '\\\\' looking for beginning of value";
        QTest::newRow("quote after value") << QByteArray("{}\"") << "invalid character '\"' after top-level value";
        // Syntax is checked over the whole input before decoding: it wins over an earlier type error.
        QTest::newRow("syntax beats type") << QByteArray("{\"proof\":{\"entropy\":\"x\"}} x")
                                           << "invalid character 'x' after top-level value";
    }
    void syntaxErrors()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, error);
        const auto r = decodeRelay(json);
        QVERIFY(!r.has_value());
        QCOMPARE(r.error(), error);
    }

    void depthLimit()
    {
        // Go's scanner allows 10000 levels (the relay object itself is one).
        const QByteArray ok = "{\"x\":" + QByteArray(9999, '[') + QByteArray(9999, ']') + ",\"payload\":{\"data\":\"d\"}}";
        QCOMPARE(decodeOk(ok).payload.data, QByteArray("d"));
        const QByteArray deep = "{\"x\":" + QByteArray(10000, '[') + QByteArray(10000, ']') + "}";
        QCOMPARE(decodeRelay(deep).error(), QStringLiteral("invalid character '[' exceeded max depth"));
        // A huge unbalanced input fails fast and never recurses.
        const QByteArray bomb = QByteArray(1'000'000, '[');
        QCOMPARE(decodeRelay(bomb).error(), QStringLiteral("invalid character '[' exceeded max depth"));
        const QByteArray objects = QByteArray("{\"a\":").repeated(20000);
        QCOMPARE(decodeRelay(objects).error(), QStringLiteral("invalid character '{' exceeded max depth"));
    }

    void typeErrors_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("error");
        const QString i64 = QStringLiteral(" into Go struct field RelayProof.proof.entropy of type int64");
        QTest::newRow("entropy string") << withField("proof.entropy", "\"1\"") << "json: cannot unmarshal string" + i64;
        QTest::newRow("entropy 1.0") << withField("proof.entropy", "1.0") << "json: cannot unmarshal number 1.0" + i64;
        QTest::newRow("entropy 1e3") << withField("proof.entropy", "1e3") << "json: cannot unmarshal number 1e3" + i64;
        QTest::newRow("entropy -0.5") << withField("proof.entropy", "-0.5") << "json: cannot unmarshal number -0.5" + i64;
        QTest::newRow("entropy overflow") << withField("proof.entropy", "9223372036854775808")
                                          << "json: cannot unmarshal number 9223372036854775808" + i64;
        QTest::newRow("entropy underflow") << withField("proof.entropy", "-9223372036854775809")
                                           << "json: cannot unmarshal number -9223372036854775809" + i64;
        QTest::newRow("entropy huge") << withField("proof.entropy", "123456789012345678901234567890")
                                      << "json: cannot unmarshal number 123456789012345678901234567890" + i64;
        QTest::newRow("entropy bool") << withField("proof.entropy", "true") << "json: cannot unmarshal bool" + i64;
        QTest::newRow("entropy array") << withField("proof.entropy", "[1]") << "json: cannot unmarshal array" + i64;
        QTest::newRow("entropy object") << withField("proof.entropy", "{}") << "json: cannot unmarshal object" + i64;
        QTest::newRow("session height") << withField("proof.session_block_height", "\"5\"")
            << "json: cannot unmarshal string into Go struct field RelayProof.proof.session_block_height of type int64";
        QTest::newRow("block height") << withField("meta.block_height", "1.5")
            << "json: cannot unmarshal number 1.5 into Go struct field RelayMeta.meta.block_height of type int64";
        QTest::newRow("payload string") << withField("payload", "\"x\"")
            << "json: cannot unmarshal string into Go struct field Relay.payload of type types.Payload";
        QTest::newRow("meta array") << withField("meta", "[]")
            << "json: cannot unmarshal array into Go struct field Relay.meta of type types.RelayMeta";
        QTest::newRow("proof number") << withField("proof", "7")
            << "json: cannot unmarshal number into Go struct field Relay.proof of type types.RelayProof";
        QTest::newRow("aat bool") << withField("proof.aat", "false")
            << "json: cannot unmarshal bool into Go struct field RelayProof.proof.aat of type types.AAT";
        QTest::newRow("data number") << withField("payload.data", "1")
            << "json: cannot unmarshal number into Go struct field Payload.payload.data of type string";
        QTest::newRow("method bool") << withField("payload.method", "true")
            << "json: cannot unmarshal bool into Go struct field Payload.payload.method of type string";
        QTest::newRow("path object") << withField("payload.path", "{}")
            << "json: cannot unmarshal object into Go struct field Payload.payload.path of type string";
        QTest::newRow("headers string") << withField("payload.headers", "\"x\"")
            << "json: cannot unmarshal string into Go struct field Payload.payload.headers of type map[string]string";
        QTest::newRow("headers array") << withField("payload.headers", "[]")
            << "json: cannot unmarshal array into Go struct field Payload.payload.headers of type map[string]string";
        QTest::newRow("header value number") << withField("payload.headers", "{\"a\":1}")
            << "json: cannot unmarshal number into Go struct field Payload.payload.headers of type string";
        QTest::newRow("header value object") << withField("payload.headers", "{\"a\":{}}")
            << "json: cannot unmarshal object into Go struct field Payload.payload.headers of type string";
        QTest::newRow("request_hash number") << withField("proof.request_hash", "1")
            << "json: cannot unmarshal number into Go struct field RelayProof.proof.request_hash of type string";
        QTest::newRow("servicer_pub_key array") << withField("proof.servicer_pub_key", "[\"a\"]")
            << "json: cannot unmarshal array into Go struct field RelayProof.proof.servicer_pub_key of type string";
        QTest::newRow("blockchain number") << withField("proof.blockchain", "21")
            << "json: cannot unmarshal number into Go struct field RelayProof.proof.blockchain of type string";
        QTest::newRow("proof signature bool") << withField("proof.signature", "false")
            << "json: cannot unmarshal bool into Go struct field RelayProof.proof.signature of type string";
        QTest::newRow("aat version") << withField("proof.aat.version", "1")
            << "json: cannot unmarshal number into Go struct field AAT.proof.aat.version of type string";
        QTest::newRow("aat app key") << withField("proof.aat.app_pub_key", "{}")
            << "json: cannot unmarshal object into Go struct field AAT.proof.aat.app_pub_key of type string";
        QTest::newRow("aat client key") << withField("proof.aat.client_pub_key", "true")
            << "json: cannot unmarshal bool into Go struct field AAT.proof.aat.client_pub_key of type string";
        QTest::newRow("aat signature") << withField("proof.aat.signature", "[]")
            << "json: cannot unmarshal array into Go struct field AAT.proof.aat.signature of type string";
        // The path uses the field's tag, not the spelling in the request.
        QTest::newRow("folded key in path") << QByteArray("{\"PROOF\":{\"Entropy\":\"x\"}}")
            << "json: cannot unmarshal string" + i64;
        QTest::newRow("top-level array") << QByteArray("[]") << "json: cannot unmarshal array into Go value of type types.Relay";
        QTest::newRow("top-level string") << QByteArray("\"x\"") << "json: cannot unmarshal string into Go value of type types.Relay";
        QTest::newRow("top-level number") << QByteArray("12") << "json: cannot unmarshal number into Go value of type types.Relay";
        QTest::newRow("top-level bool") << QByteArray("true") << "json: cannot unmarshal bool into Go value of type types.Relay";
        // The first type error wins; decoding continues after it (Go's saveError).
        QTest::newRow("first error wins") << QByteArray("{\"proof\":{\"entropy\":\"x\",\"session_block_height\":\"y\"},\"payload\":1}")
                                          << "json: cannot unmarshal string" + i64;
        QTest::newRow("context restored") << QByteArray("{\"proof\":{\"aat\":{}},\"payload\":1}")
            << "json: cannot unmarshal number into Go struct field Relay.payload of type types.Payload";
    }
    void typeErrors()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, error);
        const auto r = decodeRelay(json);
        QVERIFY(!r.has_value());
        QCOMPARE(r.error(), error);
    }

    void int64Bounds()
    {
        QCOMPARE(decodeOk(withField("proof.entropy", "9223372036854775807")).proof.entropy,
                 std::numeric_limits<qint64>::max());
        QCOMPARE(decodeOk(withField("proof.entropy", "-9223372036854775808")).proof.entropy,
                 std::numeric_limits<qint64>::min());
        QCOMPARE(decodeOk(withField("proof.entropy", "-0")).proof.entropy, 0);
        QCOMPARE(decodeOk(withField("proof.entropy", "0")).proof.entropy, 0);
        // Above 2^53 every digit survives (no double on the way).
        QCOMPARE(decodeOk(withField("proof.entropy", "9007199254740993")).proof.entropy, Q_INT64_C(9007199254740993));
        QCOMPARE(decodeOk(withField("meta.block_height", "-5")).meta.blockHeight, -5);
        QCOMPARE(decodeOk(withField("proof.session_block_height", "  42  ")).proof.sessionBlockHeight, 42);
    }

    void caseInsensitiveKeys()
    {
        const Relay r = decodeOk("{\"PAYLOAD\":{\"Data\":\"d\",\"METHOD\":\"GET\",\"pAtH\":\"/p\",\"HEADERS\":{\"K\":\"v\"}},"
                                 "\"Meta\":{\"BLOCK_HEIGHT\":5},\"pRoOf\":{\"ENTROPY\":7,\"Request_Hash\":\"h\","
                                 "\"AAT\":{\"VERSION\":\"0.0.1\",\"App_Pub_Key\":\"a\"}}}");
        QCOMPARE(r.payload.data, QByteArray("d"));
        QCOMPARE(r.payload.method, QByteArray("GET"));
        QCOMPARE(r.payload.path, QByteArray("/p"));
        QCOMPARE(r.payload.headers->at("K"), QByteArray("v")); // map keys are data: case kept
        QCOMPARE(r.meta.blockHeight, 5);
        QCOMPARE(r.proof.entropy, 7);
        QCOMPARE(r.proof.requestHash, QByteArray("h"));
        QCOMPARE(r.proof.aat.version, QByteArray("0.0.1"));
        QCOMPARE(r.proof.aat.appPubKey, QByteArray("a"));
        // Go's EqualFold: U+017F (long s) folds to 's', U+212A (Kelvin sign) to 'k'; escapes are decoded first.
        const Relay f = decodeOk("{\"proof\":{\"\xC5\xBFignature\":\"s\",\"blo\\u0063\xE2\x84\xAA" "chain\":\"c\"}}");
        QCOMPARE(f.proof.signature, QByteArray("s"));
        QCOMPARE(f.proof.blockchain, QByteArray("c"));
        // Near misses are unknown keys, ignored.
        const Relay n = decodeOk("{\"payload\":{\"data \":\"x\",\"dat\":\"y\",\"datas\":\"z\",\"d\xC3\xA1ta\":\"w\"}}");
        QCOMPARE(n.payload.data, QByteArray());
    }

    void duplicates()
    {
        QCOMPARE(decodeOk("{\"payload\":{\"data\":\"a\",\"data\":\"b\"}}").payload.data, QByteArray("b"));
        QCOMPARE(decodeOk("{\"payload\":{\"data\":\"a\",\"DATA\":\"b\"}}").payload.data, QByteArray("b"));
        QCOMPARE(decodeOk("{\"proof\":{\"entropy\":1,\"entropy\":2}}").proof.entropy, 2);
        // A struct is never reset: a second object for the same field merges into it (Go decodes in place).
        const Relay m = decodeOk("{\"payload\":{\"data\":\"a\"},\"payload\":{\"method\":\"b\"}}");
        QCOMPARE(m.payload.data, QByteArray("a"));
        QCOMPARE(m.payload.method, QByteArray("b"));
        // A map is reused too: keys of both objects, last duplicate wins.
        const Relay h = decodeOk("{\"payload\":{\"headers\":{\"a\":\"1\",\"c\":\"x\"},\"headers\":{\"b\":\"2\",\"c\":\"y\"}}}");
        QCOMPARE(h.payload.headers, std::optional<HeaderMap>(HeaderMap{{"a", "1"}, {"b", "2"}, {"c", "y"}}));
    }

    void nullValues()
    {
        // null leaves a string, an int64 or a struct as it was; it sets a map to nil.
        QCOMPARE(decodeOk("{\"payload\":{\"data\":\"a\",\"data\":null}}").payload.data, QByteArray("a"));
        QCOMPARE(decodeOk("{\"proof\":{\"entropy\":5,\"entropy\":null}}").proof.entropy, 5);
        QCOMPARE(decodeOk("{\"payload\":{\"data\":\"a\"},\"payload\":null}").payload.data, QByteArray("a"));
        QCOMPARE(decodeOk("{\"payload\":null,\"meta\":null,\"proof\":null}"), Relay{});
        QCOMPARE(decodeOk("{\"payload\":{\"headers\":{\"a\":\"1\"},\"headers\":null}}").payload.headers, std::nullopt);
        // A null header value stores "".
        QCOMPARE(decodeOk(withField("payload.headers", "{\"a\":null}")).payload.headers,
                 std::optional<HeaderMap>(HeaderMap{{"a", ""}}));
    }

    void headersPresence()
    {
        QCOMPARE(decodeOk("{\"payload\":{\"data\":\"x\"}}").payload.headers, std::nullopt);
        QCOMPARE(decodeOk(withField("payload.headers", "null")).payload.headers, std::nullopt);
        QCOMPARE(decodeOk(withField("payload.headers", "{}")).payload.headers, std::optional<HeaderMap>(HeaderMap{}));
        QCOMPARE(decodeOk(withField("payload.headers", " { } ")).payload.headers, std::optional<HeaderMap>(HeaderMap{}));
        const Relay r = decodeOk(withField("payload.headers", "{\"b\":\"1\",\"a\":\"2\",\"B\":\"3\"}"));
        QCOMPARE(r.payload.headers, std::optional<HeaderMap>(HeaderMap{{"B", "3"}, {"a", "2"}, {"b", "1"}}));
        // The distinction survives encoding (PROTOCOL §1.1.2).
        QVERIFY(encodeRelay(decodeOk(withField("payload.headers", "{}"))).contains("\"headers\":{}"));
        QVERIFY(encodeRelay(decodeOk(withField("payload.headers", "null"))).contains("\"headers\":null"));
        QVERIFY(encodeRelay(decodeOk("{}")).contains("\"headers\":null"));
    }

    void unknownKeysIgnored()
    {
        const Relay r = decodeOk("{\"foo\":[1,{\"x\":null,\"y\":[true,false,\"s\\\"}\"]}],\"payload\":{\"bar\":{\"data\":\"no\"},"
                                 "\"data\":\"yes\",\"baz\":-1.5e-3},\"proof\":{\"aat\":{\"extra\":1,\"version\":\"v\"}}}");
        QCOMPARE(r.payload.data, QByteArray("yes"));
        QCOMPARE(r.proof.aat.version, QByteArray("v"));
    }

    void strings_data()
    {
        QTest::addColumn<QByteArray>("jsonString"); // the JSON text of the string, quotes included
        QTest::addColumn<QByteArray>("decoded");
        QTest::newRow("plain") << QByteArray("\"abc\"") << QByteArray("abc");
        QTest::newRow("escapes") << QByteArray("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"") << QByteArray("\"\\/\b\f\n\r\t");
        QTest::newRow("NUL escape") << QByteArray("\"a\\u0000b\"") << QByteArray("a\0b", 3);
        QTest::newRow("BMP escape") << QByteArray("\"\\u00e9\\u4E2D\"") << QByteArray("\xC3\xA9\xE4\xB8\xAD");
        QTest::newRow("surrogate pair") << QByteArray("\"\\ud83d\\ude80\"") << QByteArray("\xF0\x9F\x9A\x80");
        QTest::newRow("lone high") << QByteArray("\"\\ud800\"") << QByteArray("\xEF\xBF\xBD");
        QTest::newRow("lone low") << QByteArray("\"\\udc00x\"") << QByteArray("\xEF\xBF\xBDx");
        QTest::newRow("high then letter") << QByteArray("\"\\ud800\\u0041\"") << QByteArray("\xEF\xBF\xBD" "A");
        QTest::newRow("high high low") << QByteArray("\"\\ud800\\ud800\\udc00\"") << QByteArray("\xEF\xBF\xBD\xF0\x90\x80\x80");
        QTest::newRow("raw UTF-8") << QByteArray("\"\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x9A\x80\"") << QByteArray("\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x9A\x80");
        QTest::newRow("raw U+FFFD") << QByteArray("\"\xEF\xBF\xBD\"") << QByteArray("\xEF\xBF\xBD");
        QTest::newRow("invalid byte") << QByteArray("\"a\xFFz\"") << QByteArray("a\xEF\xBF\xBDz");
        QTest::newRow("stray continuation") << QByteArray("\"\x80\"") << QByteArray("\xEF\xBF\xBD");
        QTest::newRow("overlong") << QByteArray("\"\xC0\xAF\"") << QByteArray("\xEF\xBF\xBD\xEF\xBF\xBD");
        QTest::newRow("UTF-8 surrogate") << QByteArray("\"\xED\xA0\x80\"") << QByteArray("\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
        QTest::newRow("truncated 3-byte") << QByteArray("\"\xE4\xB8\"") << QByteArray("\xEF\xBF\xBD\xEF\xBF\xBD");
        QTest::newRow("above U+10FFFF") << QByteArray("\"\xF4\x90\x80\x80\"")
                                        << QByteArray("\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
        QTest::newRow("DEL raw") << QByteArray("\"\x7F\"") << QByteArray("\x7F");
    }
    void strings()
    {
        QFETCH(QByteArray, jsonString);
        QFETCH(QByteArray, decoded);
        QCOMPARE(decodeOk(withField("payload.data", jsonString)).payload.data, decoded);
        QCOMPARE(decodeOk(withField("payload.headers", "{" + jsonString + ":" + jsonString + "}")).payload.headers,
                 std::optional<HeaderMap>(HeaderMap{{decoded, decoded}}));
    }

    void encoderRoundTrip()
    {
        // Whatever the client sent, the notify body decodes to the same relay (PROTOCOL §5.2.1, §15.6).
        const QByteArray body = "{\"payload\":{\"data\":\"<a&b>\\u2028\\u0000\\b\\f\xFF\",\"method\":\"\",\"path\":\"/\\u007f\","
                                "\"headers\":{\"z\":\"1\",\"A\":\"\\ud800\"}},\"meta\":{\"block_height\":-1},"
                                "\"proof\":{\"entropy\":-9223372036854775808,\"session_block_height\":9223372036854775807}}";
        const Relay r = decodeOk(body);
        const QByteArray wire = encodeRelay(r);
        QCOMPARE(decodeOk(wire), r);
        QCOMPARE(encodeRelay(decodeOk(wire)), wire);
        QVERIFY(wire.startsWith("{\"payload\":{\"data\":\"\\u003ca\\u0026b\\u003e\\u2028\\u0000\\u0008\\u000c\xEF\xBF\xBD\","
                                "\"method\":\"\",\"path\":\"/\x7F\",\"headers\":{\"A\":\"\xEF\xBF\xBD\",\"z\":\"1\"}},"
                                "\"meta\":{\"block_height\":-1},\"proof\":{\"request_hash\":\"\","
                                "\"entropy\":-9223372036854775808,\"session_block_height\":9223372036854775807,"));
    }
};

QTEST_GUILESS_MAIN(TestRelayDecoder)
#include "tst_relaydecoder.moc"
