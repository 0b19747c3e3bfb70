// PROTOCOL.md Appendix A vectors (generated with Go encoding/json + x/crypto/sha3). They live in the spec, not
// in the vector file, so they are copied here as the spec's literals.
#include <QtTest>

#include "protocol/crypto.h"
#include "protocol/gojson.h"
#include "protocol/jsonsort.h"
#include "protocol/relay.h"
#include "protocol/relayvalidator.h"
#include "testslots.h"

using namespace pocket;

// Declared before any raw string literal and without bodies: Qt 6.4.2's moc mis-tokenises some raw strings in
// a class body and silently drops the slots after them (five of these eight never ran). initTestCase checks that
// moc registered every slot listed there.
class TestAppendixA : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void a1Keys();
    void a2Relay();
    void a3ResponseAndSession();
    void a3Escaping();
    void a4ErrorTexts();
    void a4OurErrorBody();
    void a5JsonSort();
    void successBodyInvalidUtf8();
};

namespace {

QByteArray unhex(QByteArrayView h) { return crypto::hexDecode(h).value_or(QByteArray()); }

// A.1: keys from 32-byte seeds of repeated bytes.
QByteArray privateKeyOf(char seedByte)
{
    const QByteArray seed(32, seedByte);
    return seed + crypto::publicKeyFromSeed(seed);
}
QByteArray publicKeyHexOf(char seedByte) { return crypto::hexEncode(crypto::publicKeyFromSeed(QByteArray(32, seedByte))); }

const QByteArray kServicerPub = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
const QByteArray kAppPub = "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394";
const QByteArray kClientPub = "ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1";
const QByteArray kAatSig = "7dfe517ad2fe6c19d75aaeb7bbaf813e6b7847f10015188eb97b290423956d64c03d0a776dd543c3ae36c9260aa1cdbf211b06b971827ea737bca396e4b8cc0b";
const QByteArray kAatHash = "bcde420fc57d1828428071a6dc2c86262e1e66ad52c349ab67f150084244cfed";
const QByteArray kRequestHash = "4202026a62a02400e1be7686105822e92a2ec844ce7b1b69fa830ef129b51f96";
const QByteArray kProofHash = "2ba2f2c84ac5f20f8b2d2f2cf45267b9f59d222b9c0af40ea0333beb604882d1";
const QByteArray kClientSig = "bf489234b0d9a34dd58d5d33f251c17d2ed60065e35dc69cbde1a0205a549c75eb9e960d5f5d43076ccdde7c597b4b4bdaa8b73ab956804aabb476f42e2d9f0b";
const QByteArray kServicerSig = "62c558f491beb6f1a49e44e60b60f9106361b5ebb65e0bc63f24007731dbdfe7b18d4a50a5ad8b31d420c5d76b444322fde7f9bf91e2afeaed8b9dbaadc12b01";

Relay a2Relay()
{
    Relay r;
    r.payload.data = R"({"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":1})";
    r.payload.method = "POST";
    r.meta.blockHeight = 1234;
    r.proof.requestHash = kRequestHash;
    r.proof.entropy = 1234567890123;
    r.proof.sessionBlockHeight = 1233;
    r.proof.servicerPubKey = kServicerPub;
    r.proof.blockchain = "0021";
    r.proof.aat = Aat{"0.0.1", kAppPub, kClientPub, kAatSig};
    r.proof.signature = kClientSig;
    return r;
}

// The reference's relay error body (PROTOCOL §2.3), built here only to check that errorText() nests exactly like
// the reference: {"dispatch":null,"error":{"code":1,"codespace":"sdk","message":E(sdk,1,X)},"signature":false}.
QByteArray referenceErrorBody(const QString& x)
{
    GoJsonWriter w;
    w.beginObject().key("dispatch").null().key("error").beginObject();
    w.key("code").integer(1).key("codespace").string("sdk");
    w.key("message").string(PocketError::internal(x).errorText().toUtf8());
    w.endObject().key("signature").boolean(false).endObject();
    return w.take();
}

} // namespace

void TestAppendixA::initTestCase()
{
    const QString why = test::testSlotMismatch(
        this, {"a1Keys", "a2Relay", "a3ResponseAndSession", "a3Escaping", "a4ErrorTexts", "a4OurErrorBody",
               "a5JsonSort", "successBodyInvalidUtf8"});
    QVERIFY2(why.isEmpty(), qPrintable(why));
    QVERIFY(crypto::init());
}

void TestAppendixA::a1Keys()
{
    QCOMPARE(crypto::hexEncode(privateKeyOf(0x01)),
             QByteArray("0101010101010101010101010101010101010101010101010101010101010101"
                        "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"));
    QCOMPARE(publicKeyHexOf(0x01), kServicerPub);
    QCOMPARE(crypto::hexEncode(crypto::addressFromPublicKey(unhex(kServicerPub))),
             QByteArray("34750f98bd59fcfc946da45aaabe933be154a4b5"));
    QCOMPARE(publicKeyHexOf(0x02), kAppPub);
    QCOMPARE(publicKeyHexOf(0x03), kClientPub);
}

void TestAppendixA::a2Relay()
{
    const Relay r = ::a2Relay();
    QCOMPARE(aatHashInput(r.proof.aat),
             QByteArray(R"({"version":"0.0.1","app_pub_key":"8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394","client_pub_key":"ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1","signature":""})"));
    QCOMPARE(aatHashHex(r.proof.aat), kAatHash);
    QCOMPARE(crypto::hexEncode(crypto::sign(privateKeyOf(0x02), unhex(kAatHash))), kAatSig);

    QCOMPARE(requestHashInput(r.payload, r.meta),
             QByteArray(R"({"payload":{"data":"{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],\"id\":1}","method":"POST","path":"","headers":null},"meta":{"block_height":1234}})"));
    QCOMPARE(requestHashHex(r.payload, r.meta), kRequestHash);

    QCOMPARE(proofHashInput(r.proof, kAatHash),
             QByteArray(R"({"entropy":1234567890123,"session_block_height":1233,"servicer_pub_key":"8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c","blockchain":"0021","signature":"","token":"bcde420fc57d1828428071a6dc2c86262e1e66ad52c349ab67f150084244cfed","request_hash":"4202026a62a02400e1be7686105822e92a2ec844ce7b1b69fa830ef129b51f96"})"));
    QCOMPARE(crypto::hexEncode(proofHash(r.proof)), kProofHash);
    QCOMPARE(crypto::hexEncode(crypto::sign(privateKeyOf(0x03), proofHash(r.proof))), kClientSig);

    const QByteArray notify =
        R"({"payload":{"data":"{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],\"id\":1}","method":"POST","path":"","headers":null},"meta":{"block_height":1234},"proof":{"request_hash":"4202026a62a02400e1be7686105822e92a2ec844ce7b1b69fa830ef129b51f96","entropy":1234567890123,"session_block_height":1233,"servicer_pub_key":"8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c","blockchain":"0021","aat":{"version":"0.0.1","app_pub_key":"8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394","client_pub_key":"ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1","signature":"7dfe517ad2fe6c19d75aaeb7bbaf813e6b7847f10015188eb97b290423956d64c03d0a776dd543c3ae36c9260aa1cdbf211b06b971827ea737bca396e4b8cc0b"},"signature":"bf489234b0d9a34dd58d5d33f251c17d2ed60065e35dc69cbde1a0205a549c75eb9e960d5f5d43076ccdde7c597b4b4bdaa8b73ab956804aabb476f42e2d9f0b"}})";
    QCOMPARE(encodeRelay(r), notify);
    const auto decoded = decodeRelay(notify);
    QVERIFY(decoded.has_value());
    QCOMPARE(*decoded, r);

    const auto v = validateRelayStateless(*decoded);
    QVERIFY2(v.has_value(), qPrintable(v ? QString() : v.error().toString()));
    QCOMPARE(v->proofHashHex, kProofHash);
    QCOMPARE(v->aatHashHex, kAatHash);
    QCOMPARE(v->requestHashHex, kRequestHash);
}

void TestAppendixA::a3ResponseAndSession()
{
    const QByteArray response = R"({"id":1,"jsonrpc":"2.0","result":"0x10"})";
    QCOMPARE(responseHashInput(response, kProofHash),
             QByteArray(R"({"signature":"","payload":"{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":\"0x10\"}","Proof":"2ba2f2c84ac5f20f8b2d2f2cf45267b9f59d222b9c0af40ea0333beb604882d1"})"));
    QCOMPARE(crypto::hexEncode(crypto::sha3_256(responseHashInput(response, kProofHash))),
             QByteArray("ad1c85067fcf7187cfbf52c65ce03b92f6877698182da3d2390083b21e8183bd"));
    const QByteArray sig = signResponse(privateKeyOf(0x01), response, kProofHash);
    QCOMPARE(sig, kServicerSig);
    QCOMPARE(relaySuccessBody(response, sig),
             QByteArray(R"({"response":"{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":\"0x10\"}","signature":")") + kServicerSig
                 + "\"}\n");
    QVERIFY(signResponse(QByteArray(32, 'x'), response, kProofHash).isEmpty()); // not a 64-byte key

    QCOMPARE(sessionHeaderHashInput(kAppPub, "0021", 1233),
             QByteArray(R"({"app_public_key":"8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394","chain":"0021","session_height":1233})"));
    const QByteArray sessionHash = sessionHeaderHashHex(kAppPub, "0021", 1233);
    QCOMPARE(sessionHash, QByteArray("36095e3e1f9b8de19c12197aa4f4eb8532f298ced140432d3d04bcf423532026"));
    QCOMPARE(sessionHash + "-" + kServicerPub,
             QByteArray("36095e3e1f9b8de19c12197aa4f4eb8532f298ced140432d3d04bcf423532026-"
                        "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"));
}

void TestAppendixA::a3Escaping()
{
    Payload p;
    p.data = "a<b>&c\xE2\x80\xA8\x01\t\"";
    p.path = "/v1/x";
    p.headers = HeaderMap{{"X-B", "2"}, {"Content-Type", "application/json"}, {"a", "1"}};
    const RelayMeta meta{7};
    QCOMPARE(requestHashInput(p, meta),
             QByteArray(R"({"payload":{"data":"a\u003cb\u003e\u0026c\u2028\u0001\t\"","method":"","path":"/v1/x","headers":{"Content-Type":"application/json","X-B":"2","a":"1"}},"meta":{"block_height":7}})"));
    QCOMPARE(requestHashHex(p, meta), QByteArray("24b5a262e32bae141b245c3387ceba12ee52d8e14db506789c3e5863cd545eda"));
    Payload empty;
    empty.data = "x";
    empty.headers = HeaderMap{};
    QCOMPARE(requestHashInput(empty, meta),
             QByteArray(R"({"payload":{"data":"x","method":"","path":"","headers":{}},"meta":{"block_height":7}})"));
}

void TestAppendixA::a4ErrorTexts()
{
    // errorText() nests exactly like the reference's error bodies of A.4.
    QCOMPARE(referenceErrorBody("pocket node is currently unavailable"),
             QByteArray(R"({"dispatch":null,"error":{"code":1,"codespace":"sdk","message":"ERROR:\nCodespace: sdk\nCode: 1\nMessage: \"pocket node is currently unavailable\"\n"},"signature":false})"));
    const QString inner74 = PocketError::pocketcore(74).errorText();
    QCOMPARE(inner74, QStringLiteral("ERROR:\nCodespace: pocketcore\nCode: 74\nMessage: \"the request hash does not match the payload hash\"\n"));
    QCOMPARE(referenceErrorBody(inner74),
             QByteArray(R"({"dispatch":null,"error":{"code":1,"codespace":"sdk","message":"ERROR:\nCodespace: sdk\nCode: 1\nMessage: \"ERROR:\\nCodespace: pocketcore\\nCode: 74\\nMessage: \\\"the request hash does not match the payload hash\\\"\\n\"\n"},"signature":false})"));
    // 90 set by the mesh itself: the stored message is already E(pocketcore,90,...) (triple nesting).
    const PocketError stored90 = PocketError::pocketcore(90);
    const PocketError rebuilt90{QStringLiteral("pocketcore"), 90, stored90.errorText()};
    QCOMPARE(referenceErrorBody(rebuilt90.errorText()),
             QByteArray(R"({"dispatch":null,"error":{"code":1,"codespace":"sdk","message":"ERROR:\nCodespace: sdk\nCode: 1\nMessage: \"ERROR:\\nCodespace: pocketcore\\nCode: 90\\nMessage: \\\"ERROR:\\\\nCodespace: pocketcore\\\\nCode: 90\\\\nMessage: \\\\\\\"the evidence is sealed, either max relays reached or claim already submitted\\\\\\\"\\\\n\\\"\\n\"\n"},"signature":false})"));
    // 71 set by a servicer notify reply: the stored message is the servicer's plain text.
    const PocketError rebuilt71{QStringLiteral("pocketcore"), 71, pocketcoreMessage(71)};
    QCOMPARE(referenceErrorBody(rebuilt71.errorText()),
             QByteArray(R"({"dispatch":null,"error":{"code":1,"codespace":"sdk","message":"ERROR:\nCodespace: sdk\nCode: 1\nMessage: \"ERROR:\\nCodespace: pocketcore\\nCode: 71\\nMessage: \\\"the max number of relays serviced for this node is exceeded\\\"\\n\"\n"},"signature":false})"));

    // The servicer's own shapes (what the mesh parses): plain message in /relay, multi-line in /session.
    GoJsonWriter relayReply;
    relayReply.beginObject().key("dispatch").null().key("error").beginObject();
    relayReply.key("code").integer(37).key("codespace").string("pocketcore");
    relayReply.key("message").string(PocketError::pocketcore(37).message.toUtf8());
    relayReply.endObject().key("signature").boolean(false).endObject();
    QCOMPARE(relayReply.bytes(),
             QByteArray(R"({"dispatch":null,"error":{"code":37,"codespace":"pocketcore","message":"the Proof with specific merkleHash already found, check entropy"},"signature":false})"));
    GoJsonWriter sessionReply;
    sessionReply.beginObject().key("dispatch").null().key("error").beginObject();
    sessionReply.key("code").integer(71).key("codespace").string("pocketcore");
    sessionReply.key("message").string(PocketError::pocketcore(71).errorText().toUtf8());
    sessionReply.endObject().key("remaining_relays").integer(0).key("success").boolean(false).endObject();
    QCOMPARE(sessionReply.bytes(),
             QByteArray(R"({"dispatch":null,"error":{"code":71,"codespace":"pocketcore","message":"ERROR:\nCodespace: pocketcore\nCode: 71\nMessage: \"the max number of relays serviced for this node is exceeded\"\n"},"remaining_relays":0,"success":false})"));
}

void TestAppendixA::a4OurErrorBody()
{
    // DECISIONS 1 replaces the nested code-1 body: the real code, the plain message, no "signature" key.
    QCOMPARE(relayErrorBody(PocketError::pocketcore(74)),
             QByteArray(R"({"dispatch":null,"error":{"code":74,"codespace":"pocketcore","message":"the request hash does not match the payload hash"}})"
                        "\n"));
    QCOMPARE(relayErrorBody(PocketError::internal("pocket node is currently unavailable")),
             QByteArray(R"({"dispatch":null,"error":{"code":1,"codespace":"sdk","message":"pocket node is currently unavailable"}})"
                        "\n"));
    // HTML escaping applies to the message as everywhere (§1.5).
    QCOMPARE(relayErrorBody(PocketError::pocketcore(28, "blockchain request for CHAIN=0021 PATH=<x> METHOD=POST")),
             QByteArray(R"({"dispatch":null,"error":{"code":28,"codespace":"pocketcore","message":"error executing the http request: blockchain request for CHAIN=0021 PATH=\u003cx\u003e METHOD=POST"}})"
                        "\n"));
    // A dispatch is re-encoded like every §1.5 body: keys sorted, numbers through float64.
    QCOMPARE(relayErrorBody(PocketError::pocketcore(60), R"({"session":{"key":"k","header":{"chain":"0021"}},"block_height":1235})"),
             QByteArray(R"({"dispatch":{"block_height":1235,"session":{"header":{"chain":"0021"},"key":"k"}},"error":{"code":60,"codespace":"pocketcore","message":"the block height passed is invalid"}})"
                        "\n"));
    QCOMPARE(relayErrorBody(PocketError::pocketcore(60), "not json"),
             QByteArray(R"({"dispatch":null,"error":{"code":60,"codespace":"pocketcore","message":"the block height passed is invalid"}})"
                        "\n"));
}

void TestAppendixA::a5JsonSort()
{
    QCOMPARE(goSortJsonObject(R"({"b":1,"a":{"z":[3,2,1],"y":12345678901234567890, "x": 1e21, "w": 0.0000001,"v":"<&>"}})")
                 .value_or("<unchanged>"),
             QByteArray(R"({"a":{"v":"\u003c\u0026\u003e","w":1e-7,"x":1e+21,"y":12345678901234567000,"z":[3,2,1]},"b":1})"));
    QVERIFY(!goSortJsonObject(R"([{"b":1,"a":2}])").has_value()); // the caller keeps the body unchanged
    QCOMPARE(goSortJsonObject(" \n {\"id\":1} \r\n\t").value_or("<unchanged>"), QByteArray(R"({"id":1})"));
    QCOMPARE(goFormatFloat(1e-7), QByteArray("1e-7"));
    QCOMPARE(goFormatFloat(1e21), QByteArray("1e+21"));
    QCOMPARE(goFormatFloat(1.5e300), QByteArray("1.5e+300"));
    QCOMPARE(goFormatFloat(12345678901234567890.0), QByteArray("12345678901234567000"));
    QCOMPARE(goFormatFloat(-0.0), QByteArray("-0"));
}

void TestAppendixA::successBodyInvalidUtf8()
{
    // Go marshals "\ufffd" for a bad byte, re-parses it (§1.5) and writes a raw U+FFFD; the signature still
    // covers the response as returned by the chain.
    QCOMPARE(relaySuccessBody("a\xFF<", "00"), QByteArray("{\"response\":\"a\xEF\xBF\xBD\\u003c\",\"signature\":\"00\"}\n"));
}

QTEST_GUILESS_MAIN(TestAppendixA)
#include "tst_appendixa.moc"
