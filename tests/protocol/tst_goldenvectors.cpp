// Golden vectors of the official JS SDK (shared/spec/vectors/pocketjs-vectors.json, read at run time): every
// hash, signature and body the mesh computes must equal what the SDK and a Go pocket-core node compute.
#include <QJsonArray>
#include <QJsonObject>
#include <QtTest>
#include <algorithm>

#include "protocol/crypto.h"
#include "protocol/relay.h"
#include "protocol/relayvalidator.h"
#include "testsupport.h"

using namespace pocket;

namespace {

QByteArray utf8(const QJsonValue& v) { return v.toString().toUtf8(); }
QByteArray unhex(const QJsonValue& v) { return crypto::hexDecode(utf8(v)).value_or(QByteArray()); }

// An encoder written for this test only, straight from PROTOCOL §1.1, so encodeRelay is checked against an
// independent implementation (inputs here are valid Unicode: the vector file is JSON).
QByteArray goString(const QString& s)
{
    QByteArray out = "\"";
    const QList<uint> cps = s.toUcs4();
    for (const uint cp : cps) {
        if (cp == '"') out += "\\\"";
        else if (cp == '\\') out += "\\\\";
        else if (cp == '\n') out += "\\n";
        else if (cp == '\r') out += "\\r";
        else if (cp == '\t') out += "\\t";
        else if (cp < 0x20 || cp == '<' || cp == '>' || cp == '&' || cp == 0x2028 || cp == 0x2029)
            out += "\\u" + QByteArray::number(cp, 16).rightJustified(4, '0');
        else out += QString::fromUcs4(reinterpret_cast<const char32_t*>(&cp), 1).toUtf8();
    }
    return out + "\"";
}

QByteArray expectedHeaders(const QJsonValue& headers)
{
    if (!headers.isObject()) return "null";
    QList<QByteArray> keys;
    const QJsonObject h = headers.toObject();
    for (auto it = h.begin(); it != h.end(); ++it) keys << it.key().toUtf8();
    std::sort(keys.begin(), keys.end()); // Go sorts map keys by bytes
    QByteArray out = "{";
    for (const QByteArray& k : keys) {
        if (out.size() > 1) out += ",";
        out += goString(QString::fromUtf8(k)) + ":" + goString(h.value(QString::fromUtf8(k)).toString());
    }
    return out + "}";
}

// The relay in Go wire order (PROTOCOL §5.2.1), from the case's request and proof objects.
QByteArray expectedWire(const QJsonObject& c)
{
    const QJsonObject payload = c["request"].toObject()["payload"].toObject();
    const QJsonObject meta = c["request"].toObject()["meta"].toObject();
    const QJsonObject proof = c["proof"].toObject()["object"].toObject();
    const QJsonObject aat = proof["aat"].toObject();
    QByteArray w = "{\"payload\":{\"data\":" + goString(payload["data"].toString())
                   + ",\"method\":" + goString(payload["method"].toString())
                   + ",\"path\":" + goString(payload["path"].toString())
                   + ",\"headers\":" + expectedHeaders(payload["headers"]) + "}";
    w += ",\"meta\":{\"block_height\":" + QByteArray::number(qint64(meta["block_height"].toDouble())) + "}";
    w += ",\"proof\":{\"request_hash\":" + goString(proof["request_hash"].toString());
    // entropy is usually > 2^53: take the digits from the wire text, never from a double.
    w += ",\"entropy\":" + utf8(c["proof"].toObject()["entropy_json_text"]);
    w += ",\"session_block_height\":" + QByteArray::number(qint64(proof["session_block_height"].toDouble()));
    w += ",\"servicer_pub_key\":" + goString(proof["servicer_pub_key"].toString());
    w += ",\"blockchain\":" + goString(proof["blockchain"].toString());
    w += ",\"aat\":{\"version\":" + goString(aat["version"].toString())
         + ",\"app_pub_key\":" + goString(aat["app_pub_key"].toString())
         + ",\"client_pub_key\":" + goString(aat["client_pub_key"].toString())
         + ",\"signature\":" + goString(aat["signature"].toString()) + "}";
    w += ",\"signature\":" + goString(proof["signature"].toString()) + "}}";
    return w;
}

} // namespace

class TestGoldenVectors : public QObject
{
    Q_OBJECT

private:
    QJsonObject m_root;
    QJsonArray m_cases;

    QJsonObject caseAt(int i) const { return m_cases.at(i).toObject(); }
    static bool isGoMismatch(const QJsonObject& c) { return c["name"].toString().startsWith("GO_MISMATCH_"); }

    void addCaseRows()
    {
        QTest::addColumn<int>("index");
        for (int i = 0; i < m_cases.size(); ++i)
            QTest::newRow(qPrintable(caseAt(i)["name"].toString())) << i;
    }

    Relay decodeCase(const QJsonObject& c)
    {
        auto relay = decodeRelay(utf8(c["relay_body"]));
        if (!relay) qWarning() << "decode error:" << relay.error();
        return relay.value_or(Relay{});
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(crypto::init());
        const QJsonDocument doc = test::goldenVectors();
        QVERIFY2(doc.isObject(), "cannot read spec/vectors/pocketjs-vectors.json");
        m_root = doc.object();
        m_cases = m_root["cases"].toArray();
        QVERIFY(m_cases.size() >= 8);
        int mismatches = 0;
        for (int i = 0; i < m_cases.size(); ++i) mismatches += isGoMismatch(caseAt(i));
        QCOMPARE(mismatches, 3);
    }

    void keys_data()
    {
        QTest::addColumn<QString>("who");
        for (const char* who : {"app", "client", "servicer"}) QTest::newRow(who) << QString::fromLatin1(who);
    }
    void keys()
    {
        QFETCH(QString, who);
        const QJsonObject k = m_root["keys"].toObject()[who].toObject();
        const QByteArray seed = unhex(k["seed_hex"]);
        QCOMPARE(seed.size(), 32);
        const QByteArray pub = crypto::publicKeyFromSeed(seed);
        QCOMPARE(crypto::hexEncode(pub), utf8(k["public_key_hex"]));
        QCOMPARE(crypto::hexEncode(seed + pub), utf8(k["private_key_hex"]));
        QCOMPARE(crypto::hexEncode(crypto::addressFromPublicKey(pub)), utf8(k["address_hex"]));
    }

    void aat_data() { addCaseRows(); }
    void aat()
    {
        QFETCH(int, index);
        const QJsonObject c = caseAt(index);
        const QJsonObject v = c["aat"].toObject();
        const QJsonObject o = v["object"].toObject();
        const Aat aat{utf8(o["version"]), utf8(o["app_pub_key"]), utf8(o["client_pub_key"]), utf8(o["signature"])};
        QCOMPARE(aatHashInput(aat), utf8(v["hash_input"]));
        QCOMPARE(aatHashHex(aat), utf8(v["hash_hex"]));
        QCOMPARE(aat.signature, utf8(v["signature_hex"]));
        const QJsonObject appKey = c["keys"].toObject()["app"].toObject();
        QCOMPARE(aat.appPubKey, utf8(appKey["public_key_hex"]));
        const QByteArray digest = unhex(v["hash_hex"]);
        QVERIFY(crypto::verify(unhex(appKey["public_key_hex"]), digest, unhex(v["signature_hex"])));
        // ed25519 is deterministic: the app key reproduces the token signature.
        QCOMPARE(crypto::hexEncode(crypto::sign(unhex(appKey["private_key_hex"]), digest)), aat.signature);
        // The hash input is what Go hashes for the token the relay carries.
        const Relay relay = decodeCase(c);
        QCOMPARE(aatHashInput(relay.proof.aat), utf8(v["hash_input"]));
        QCOMPARE(relay.proof.aat, aat);
    }

    void decodedFields_data() { addCaseRows(); }
    void decodedFields()
    {
        QFETCH(int, index);
        const QJsonObject c = caseAt(index);
        const auto relay = decodeRelay(utf8(c["relay_body"]));
        QVERIFY2(relay.has_value(), qPrintable(relay ? QString() : relay.error()));
        const QJsonObject payload = c["request"].toObject()["payload"].toObject();
        QCOMPARE(relay->payload.data, utf8(payload["data"]));
        QCOMPARE(relay->payload.method, utf8(payload["method"]));
        QCOMPARE(relay->payload.path, utf8(payload["path"]));
        QCOMPARE(relay->payload.headers.has_value(), payload["headers"].isObject());
        if (payload["headers"].isObject()) {
            const QJsonObject h = payload["headers"].toObject();
            QCOMPARE(qsizetype(relay->payload.headers->size()), h.size());
            for (auto it = h.begin(); it != h.end(); ++it)
                QCOMPARE(relay->payload.headers->at(it.key().toUtf8()), it.value().toString().toUtf8());
        }
        QCOMPARE(relay->meta.blockHeight,
                 qint64(c["request"].toObject()["meta"].toObject()["block_height"].toDouble()));
        const QJsonObject proof = c["proof"].toObject();
        // Full int64 entropy: the decimal text of the parsed int64 is the wire text.
        QCOMPARE(QByteArray::number(relay->proof.entropy), utf8(proof["entropy_json_text"]));
        const QJsonObject po = proof["object"].toObject();
        QCOMPARE(relay->proof.requestHash, utf8(po["request_hash"]));
        QCOMPARE(relay->proof.sessionBlockHeight, qint64(po["session_block_height"].toDouble()));
        QCOMPARE(relay->proof.servicerPubKey, utf8(po["servicer_pub_key"]));
        QCOMPARE(relay->proof.blockchain, utf8(po["blockchain"]));
        QCOMPARE(relay->proof.signature, utf8(po["signature"]));
    }

    void requestHash_data() { addCaseRows(); }
    void requestHash()
    {
        QFETCH(int, index);
        const QJsonObject c = caseAt(index);
        const Relay relay = decodeCase(c);
        const QJsonObject go = c["pocket_core_view_derived_not_from_sdk"].toObject();
        const QByteArray goInput = utf8(go["request_hash_input_go"]);
        const QByteArray goHash = utf8(go["request_hash_hex_go"]);
        QCOMPARE(requestHashInput(relay.payload, relay.meta), goInput);
        QCOMPARE(requestHashHex(relay.payload, relay.meta), goHash);
        QCOMPARE(crypto::hexEncode(crypto::sha3_256(goInput)), goHash);
        const QByteArray sdkHash = utf8(c["proof"].toObject()["object"].toObject()["request_hash"]);
        QCOMPARE(relay.proof.requestHash, sdkHash);
        QCOMPARE(utf8(c["request"].toObject()["hash_hex"]), sdkHash);
        if (isGoMismatch(c)) {
            // The SDK serialised differently from Go: a Go node computes another hash and rejects with 74.
            QVERIFY(goHash != sdkHash);
            QCOMPARE(go["request_hash_matches_proof"].toBool(), false);
        } else {
            QCOMPARE(goHash, sdkHash);
            QCOMPARE(go["request_hash_matches_proof"].toBool(), true);
            QCOMPARE(utf8(c["request"].toObject()["hash_input"]), goInput);
        }
    }

    void validator_data() { addCaseRows(); }
    void validator()
    {
        QFETCH(int, index);
        const QJsonObject c = caseAt(index);
        AatSignatureCache cache;
        const auto v = validateRelayStateless(decodeCase(c), &cache);
        if (isGoMismatch(c)) {
            QVERIFY(!v.has_value());
            QCOMPARE(v.error().code, 74u);
            QCOMPARE(v.error().codespace, QStringLiteral("pocketcore"));
            QCOMPARE(v.error().message, QStringLiteral("the request hash does not match the payload hash"));
            const auto step = validatePayloadAndHash(decodeCase(c));
            QVERIFY(!step.has_value());
            QCOMPARE(step.error().code, 74u);
            return;
        }
        QVERIFY2(v.has_value(), qPrintable(v ? QString() : v.error().toString()));
        QCOMPARE(v->requestHashHex, utf8(c["pocket_core_view_derived_not_from_sdk"].toObject()["request_hash_hex_go"]));
        QCOMPARE(v->aatHashHex, utf8(c["aat"].toObject()["hash_hex"]));
        QCOMPARE(v->proofHashHex, utf8(c["proof"].toObject()["hash_hex"]));
        QCOMPARE(v->proofHash, unhex(c["proof"].toObject()["hash_hex"]));
        QCOMPARE(v->relay, decodeCase(c));
        QCOMPARE(cache.size(), 1);
        // Second relay of the same token: the AAT signature comes from the cache, the client's is re-checked.
        QVERIFY(validateRelayStateless(decodeCase(c), &cache).has_value());
        QCOMPARE(cache.hits(), 1u);
    }

    void proof_data() { addCaseRows(); }
    void proof()
    {
        QFETCH(int, index);
        const QJsonObject c = caseAt(index);
        const Relay relay = decodeCase(c);
        const QJsonObject p = c["proof"].toObject();
        const QByteArray aatHash = aatHashHex(relay.proof.aat);
        QCOMPARE(proofHashInput(relay.proof, aatHash), utf8(p["hash_input"]));
        QCOMPARE(crypto::hexEncode(proofHash(relay.proof)), utf8(p["hash_hex"]));
        QCOMPARE(relay.proof.signature, utf8(p["client_signature_hex"]));
        const QJsonObject client = c["keys"].toObject()["client"].toObject();
        QCOMPARE(relay.proof.aat.clientPubKey, utf8(client["public_key_hex"]));
        QVERIFY(crypto::verify(unhex(client["public_key_hex"]), proofHash(relay.proof), unhex(p["client_signature_hex"])));
        QCOMPARE(crypto::hexEncode(crypto::sign(unhex(client["private_key_hex"]), proofHash(relay.proof))),
                 relay.proof.signature);
    }

    void servicerResponse_data() { addCaseRows(); }
    void servicerResponse()
    {
        QFETCH(int, index);
        const QJsonObject c = caseAt(index);
        const QJsonObject s = c["servicer_response_derived_not_from_sdk"].toObject();
        const QByteArray response = utf8(s["chain_response"]);
        const QByteArray proofHex = utf8(s["proof_hash_hex"]);
        QCOMPARE(proofHex, crypto::hexEncode(proofHash(decodeCase(c).proof)));
        QCOMPARE(responseHashInput(response, proofHex), utf8(s["response_hash_input"]));
        QCOMPARE(crypto::hexEncode(crypto::sha3_256(responseHashInput(response, proofHex))),
                 utf8(s["response_hash_hex"]));
        const QByteArray servicerKey = unhex(c["keys"].toObject()["servicer"].toObject()["private_key_hex"]);
        const QByteArray signature = signResponse(servicerKey, response, proofHex);
        QCOMPARE(signature, utf8(s["servicer_signature_hex"]));
        QCOMPARE(relaySuccessBody(response, signature), utf8(s["http_response_body"]));
    }

    void roundTrip_data() { addCaseRows(); }
    void roundTrip()
    {
        QFETCH(int, index);
        const QJsonObject c = caseAt(index);
        const Relay relay = decodeCase(c);
        const QByteArray wire = encodeRelay(relay);
        QCOMPARE(wire, expectedWire(c));
        const auto again = decodeRelay(wire);
        QVERIFY2(again.has_value(), qPrintable(again ? QString() : again.error()));
        QCOMPARE(*again, relay);
        QCOMPARE(encodeRelay(*again), wire);
        // The servicer recomputes the same request hash from the notify body (PROTOCOL §5.2.1).
        QCOMPARE(requestHashHex(again->payload, again->meta), requestHashHex(relay.payload, relay.meta));
    }
};

QTEST_GUILESS_MAIN(TestGoldenVectors)
#include "tst_goldenvectors.moc"
