// Bad relays through the real mesh get the real pocket code in the shape of DECISIONS 1 (HTTP 400,
// {"dispatch":…,"error":{"code","codespace","message"}}), the body-size limit answers PROTOCOL §6.4's exact
// 413, and the golden vectors' relay bodies are judged like a Go servicer would: the GO_MISMATCH_* ones
// (request hash computed the JS way) get 74, the others are served. At the end the emulator holds exactly
// the relays that were answered 200 — a rejected relay is never notified.
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTest>

#include "meshnet.h"
#include "protocol/crypto.h"
#include "testsupport.h"

using namespace pocket;
using namespace pocket::test;

namespace {
// client_rpc_max_bytes_size written to the mesh config for this test (PROTOCOL §6.4, §12.2).
constexpr int kMaxBodyBytes = 20000;
// Messages of PROTOCOL §4.3.
const QString kMsg74 = QStringLiteral("the request hash does not match the payload hash");
const QString kMsg37 = QStringLiteral("the Proof with specific merkleHash already found, check entropy");
const QString kMsg26 = QStringLiteral("the blockchain in the relay request is not supported on this node");
const QString kMsg25 = QStringLiteral("the payload data of the relay request is empty");
const QString kMsg60 = QStringLiteral("the block height passed is invalid");
} // namespace

class TestRelayErrors : public QObject
{
    Q_OBJECT

private:
    MeshNet m_net;
    VectorKeys m_keys;
    qint64 m_blocksPerSession = 0;
    qint64 m_entropy = 7000;           // a fresh proof per relay
    QSet<QByteArray> m_served;         // proof hashes answered 200

    Payload blockNumber(int id = 1) const
    {
        Payload p;
        p.data = QByteArray(R"({"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":)") + QByteArray::number(id)
                 + '}';
        p.method = "POST";
        return p;
    }

    Relay freshRelay(const Payload& payload, const QByteArray& chain = "0021")
    {
        return craftRelay(m_keys, payload, m_keys.sessionHeight, ++m_entropy, chain);
    }

    // POSTs a relay that must be served; remembers its proof.
    void expectServed(const QByteArray& body, const QByteArray& proofHashHex)
    {
        const Answer a = m_net.postRelay(body);
        const QString why = checkRelaySuccess(a, proofHashHex, m_keys.servicer.publicKeyHex);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        m_served.insert(proofHashHex);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(crypto::init());
        m_keys = vectorKeys();
        // The AAT signed here is the vectors' one (ed25519 is deterministic).
        QCOMPARE(m_keys.aat.signature, m_keys.aatSignatureInVectors);
        QString error;
        QVERIFY2(m_net.startLocalnet({}, &error), qPrintable(error));
        // localnet key 0 is the vectors' servicer, and the default height's latest session is the vectors'.
        QCOMPARE(m_net.info().value("servicer_public_key").toString().toLatin1(), m_keys.servicer.publicKeyHex);
        const QJsonObject state = m_net.emulatorAdmin("GET", "/admin/state");
        QCOMPARE(qint64(state.value("latest_session_height").toDouble()), m_keys.sessionHeight);
        m_blocksPerSession = qint64(state.value("blocks_per_session").toDouble());
        QVERIFY(m_blocksPerSession > 0);
        QVERIFY2(m_net.patchMeshConfig({{"client_rpc_max_bytes_size", kMaxBodyBytes}}, &error), qPrintable(error));
        QVERIFY2(m_net.startMesh(&error), qPrintable(error));
    }

    void fixtureSeesSanitizerReports()
    {
        // The check every test ends with can fail: a child's stderr with a report is caught, a clean one not.
        Child noisy;
        QString error;
        QVERIFY2(noisy.start("/bin/sh",
                             {"-c", "echo '==7==ERROR: AddressSanitizer: heap-use-after-free on address 0x1' >&2; "
                                    "echo 'x.cpp:3:5: runtime error: signed integer overflow' >&2; echo fine >&2"},
                             &error),
                 qPrintable(error));
        QVERIFY(waitFor([&] { return !noisy.running(); }, 20000));
        noisy.kill(); // collects the output
        QCOMPARE(sanitizerLines(noisy.stderrText()).size(), 2);
        QVERIFY(sanitizerLines("I[2026] pocket.mesh listening\nW[2026] pocket.notify retry\n").isEmpty());
        QVERIFY(m_net.sanitizerReports().isEmpty());
        QVERIFY(!m_net.meshLog().isEmpty()); // the mesh's stderr is really captured
    }

    void tamperedData74()
    {
        Relay r = freshRelay(blockNumber());
        r.payload.data.replace("eth_blockNumber", "eth_blockNumbes"); // after the request hash was computed
        const QString why = checkRelayError(m_net.postRelay(jsRelayBody(r)), 74, "pocketcore", kMsg74);
        QVERIFY2(why.isEmpty(), qPrintable(why));

        // Re-signing the proof does not help: the request hash still belongs to the old payload.
        signProof(r, m_keys.client);
        const QString why2 = checkRelayError(m_net.postRelay(jsRelayBody(r)), 74, "pocketcore", kMsg74);
        QVERIFY2(why2.isEmpty(), qPrintable(why2));

        // Upper-case hex of the right hash is a mismatch too (exact string compare, PROTOCOL §3.1).
        Relay upper = freshRelay(blockNumber(2));
        upper.proof.requestHash = upper.proof.requestHash.toUpper();
        signProof(upper, m_keys.client);
        const QString why3 = checkRelayError(m_net.postRelay(jsRelayBody(upper)), 74, "pocketcore", kMsg74);
        QVERIFY2(why3.isEmpty(), qPrintable(why3));
    }

    void proofErrors_data()
    {
        QTest::addColumn<QString>("change");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("codespace");
        QTest::addColumn<QString>("message");
        const QString pc = QStringLiteral("pocketcore");
        QTest::newRow("forged AAT signature after a good one") << "aat" << 4 << pc
            << "the application authentication token is invalid : the application signature on the AAT is not valid";
        QTest::newRow("client signature of another proof") << "sig" << 41 << pc
            << "the signature could not be verified with the message and pub key";
        QTest::newRow("client signature not hex") << "sighex" << 39 << pc << "the signature could not be message decoded";
        QTest::newRow("client signature too short") << "siglen" << 38 << pc << "the signature Length is invalid";
        QTest::newRow("negative entropy") << "entropy" << 29 << pc << "the entropy included in the relay request is invalid";
        QTest::newRow("chain id not hex") << "chain" << 8 << pc << "the non-native chain is of Length 0";
        QTest::newRow("unknown servicer") << "servicer" << 1 << "sdk" << "failed to find correct servicer PK";
    }

    void proofErrors()
    {
        QFETCH(QString, change);
        QFETCH(int, code);
        QFETCH(QString, codespace);
        QFETCH(QString, message);
        // A valid relay first: the AAT's signature is then cached as verified, which must not let a forged
        // signature of the same token through.
        const Relay good = freshRelay(blockNumber(20));
        expectServed(jsRelayBody(good), proofHashHexOf(good));
        Relay r = freshRelay(blockNumber(21));
        if (change == "aat") {
            QByteArray sig = *crypto::hexDecode(r.proof.aat.signature);
            sig[5] = char(sig[5] ^ 0x01);
            r.proof.aat.signature = crypto::hexEncode(sig);
            signProof(r, m_keys.client);
        } else if (change == "sig") {
            r.proof.signature = good.proof.signature;
        } else if (change == "sighex") {
            r.proof.signature[0] = 'z';
        } else if (change == "siglen") {
            r.proof.signature.chop(2);
        } else if (change == "entropy") {
            r.proof.entropy = -5;
            signProof(r, m_keys.client);
        } else if (change == "chain") {
            r.proof.blockchain = "00zz";
            signProof(r, m_keys.client);
        } else if (change == "servicer") {
            r.proof.servicerPubKey = testKeyFromLabel("not a servicer of this mesh").publicKeyHex;
            signProof(r, m_keys.client);
        }
        const QString why = checkRelayError(m_net.postRelay(jsRelayBody(r)), code, codespace, message);
        QVERIFY2(why.isEmpty(), qPrintable(why));
    }

    void duplicate37()
    {
        const Relay r = freshRelay(blockNumber(3));
        const QByteArray body = jsRelayBody(r);
        expectServed(body, proofHashHexOf(r));
        const QString why = checkRelayError(m_net.postRelay(body), 37, "pocketcore", kMsg37);
        QVERIFY2(why.isEmpty(), qPrintable(why));

        // The same relay in another encoding (Go JSON instead of the JavaScript form) is the same proof.
        QVERIFY(encodeRelay(r) != body);
        const QString why2 = checkRelayError(m_net.postRelay(encodeRelay(r)), 37, "pocketcore", kMsg37);
        QVERIFY2(why2.isEmpty(), qPrintable(why2));
    }

    void concurrentDuplicatesServedOnce()
    {
        // Eight copies of one new relay at the same time: exactly one is served, seven get 37.
        const Relay r = freshRelay(blockNumber(4));
        const QByteArray body = jsRelayBody(r);
        QList<HttpRequest> requests;
        for (int i = 0; i < 8; ++i) requests.append(m_net.relayRequest(body));
        const QList<Answer> answers = m_net.requestAll(requests);
        int served = 0, duplicates = 0;
        for (const Answer& a : answers) {
            if (a.status == 200) {
                const QString why = checkRelaySuccess(a, proofHashHexOf(r), m_keys.servicer.publicKeyHex);
                QVERIFY2(why.isEmpty(), qPrintable(why));
                ++served;
            } else {
                const QString why = checkRelayError(a, 37, "pocketcore", kMsg37);
                QVERIFY2(why.isEmpty(), qPrintable(why));
                ++duplicates;
            }
        }
        QCOMPARE(served, 1);
        QCOMPARE(duplicates, 7);
        m_served.insert(proofHashHexOf(r));
    }

    void chainNotHosted26()
    {
        const Relay r = freshRelay(blockNumber(5), "0099");
        const QString why = checkRelayError(m_net.postRelay(jsRelayBody(r)), 26, "pocketcore", kMsg26);
        QVERIFY2(why.isEmpty(), qPrintable(why));
    }

    void emptyDataAndPath25()
    {
        Payload p;
        p.method = "POST";
        const Relay r = freshRelay(p);
        const QString why = checkRelayError(m_net.postRelay(jsRelayBody(r)), 25, "pocketcore", kMsg25);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        // Empty data with a path is a REST GET and is served.
        Payload get;
        get.method = "GET";
        get.path = "/eth/v1/node/version";
        const Relay ok = freshRelay(get);
        expectServed(jsRelayBody(ok), proofHashHexOf(ok));
    }

    void oldSessionHeight60_data()
    {
        QTest::addColumn<qint64>("back"); // sessions before the current one (negative: ahead)
        QTest::newRow("previous session") << qint64(1);
        QTest::newRow("long ago") << qint64(1000);
        QTest::newRow("two sessions ahead") << qint64(-2);
    }

    void oldSessionHeight60()
    {
        QFETCH(qint64, back);
        // localnet's session allowance is 1: the servicer accepts latest − 1·B; the mesh serves one session
        // less (PROTOCOL §7.3, HEAD max(0, A−1) = 0), so only the latest session is served.
        const qint64 height = m_keys.sessionHeight - back * m_blocksPerSession;
        const Relay r = craftRelay(m_keys, blockNumber(6), height, ++m_entropy);
        const QString why = checkRelayError(m_net.postRelay(jsRelayBody(r)), 60, "pocketcore", kMsg60);
        QVERIFY2(why.isEmpty(), qPrintable(why));
    }

    void bodyTooLarge413()
    {
        // A valid relay padded with JSON whitespace to exactly the limit is accepted (PROTOCOL §6.4).
        const Relay r = freshRelay(blockNumber(7));
        QByteArray body = jsRelayBody(r);
        QVERIFY(body.size() < kMaxBodyBytes);
        body.insert(1, QByteArray(kMaxBodyBytes - body.size(), ' '));
        QCOMPARE(body.size(), kMaxBodyBytes);
        expectServed(body, proofHashHexOf(r));

        // One byte more: 413 with the exact body, before any decoding.
        const Relay r2 = freshRelay(blockNumber(8));
        QByteArray big = jsRelayBody(r2);
        big.insert(1, QByteArray(kMaxBodyBytes + 1 - big.size(), ' '));
        QCOMPARE(big.size(), kMaxBodyBytes + 1);
        const Answer a = m_net.postRelay(big);
        QCOMPARE(a.status, 413);
        QCOMPARE(a.body, QByteArray("{\"code\":413,\"message\":\"Request body too large. Max allowed bytes is: ")
                             + QByteArray::number(kMaxBodyBytes) + "\"}\n");
        QCOMPARE(a.header("Content-Type"), QByteArray("text/plain; charset=utf-8"));
        QCOMPARE(a.header("X-Content-Type-Options"), QByteArray("nosniff"));
        QVERIFY(a.header("Access-Control-Allow-Origin").isNull()); // no CORS on 413 (PROTOCOL §2.3)

        // The refused relay was not admitted: the same proof is served afterwards at normal size.
        expectServed(jsRelayBody(r2), proofHashHexOf(r2));
    }

    void malformedJson_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("truncated") << QByteArray(R"({"payload":{"data":"x")");
        QTest::newRow("not json") << QByteArray("hello");
        QTest::newRow("entropy as string") << QByteArray(R"({"proof":{"entropy":"1"}})");
        QTest::newRow("fractional height") << QByteArray(R"({"meta":{"block_height":1.5}})");
        QTest::newRow("header value not a string") << QByteArray(R"({"payload":{"headers":{"a":1}}})");
        QTest::newRow("top-level array") << QByteArray("[1,2]");
    }

    void malformedJson()
    {
        QFETCH(QByteArray, body);
        const QString why = checkRelayError(m_net.postRelay(body), 1, "sdk");
        QVERIFY2(why.isEmpty(), qPrintable(why));
    }

    void vectorsGoMismatchGet74()
    {
        const QJsonArray cases = goldenVectors().object().value("cases").toArray();
        int mismatches = 0;
        for (const QJsonValue& v : cases) {
            const QJsonObject c = v.toObject();
            const QString name = c.value("name").toString();
            if (!name.startsWith(QLatin1String("GO_MISMATCH_"))) continue;
            ++mismatches;
            // The vectors say a Go node rejects it; the mesh must agree.
            QVERIFY(!c.value("pocket_core_view_derived_not_from_sdk").toObject().value("request_hash_matches_proof")
                         .toBool());
            const QByteArray body = c.value("relay_body").toString().toUtf8();
            const QString why = checkRelayError(m_net.postRelay(body), 74, "pocketcore", kMsg74);
            QVERIFY2(why.isEmpty(), qPrintable(name + ": " + why));
        }
        QVERIFY(mismatches >= 3);
    }

    void vectorsOthersServed()
    {
        const QJsonArray cases = goldenVectors().object().value("cases").toArray();
        int served = 0;
        for (const QJsonValue& v : cases) {
            const QJsonObject c = v.toObject();
            const QString name = c.value("name").toString();
            if (name.startsWith(QLatin1String("GO_MISMATCH_"))) continue;
            const QByteArray body = c.value("relay_body").toString().toUtf8();
            const QByteArray proofHashHex = c.value("servicer_response_derived_not_from_sdk").toObject()
                                                .value("proof_hash_hex").toString().toLatin1();
            // The proof hash of the vectors is what the protocol core computes from the decoded body.
            const auto decoded = decodeRelay(body);
            QVERIFY2(decoded, qPrintable(name));
            QCOMPARE(proofHashHexOf(*decoded), proofHashHex);
            const Answer a = m_net.postRelay(body);
            const QString why = checkRelaySuccess(a, proofHashHex, m_keys.servicer.publicKeyHex);
            QVERIFY2(why.isEmpty(), qPrintable(name + ": " + why));
            m_served.insert(proofHashHex);
            ++served;
        }
        QVERIFY(served >= 5);
    }

    void evidenceHoldsExactlyTheServedRelays()
    {
        QJsonObject health;
        QVERIFY2(waitFor([&] {
            health = m_net.meshHealth();
            return health.value("outbox").toObject().value("depth").toInt(-1) == 0;
        }, 120000), qPrintable(QJsonDocument(health).toJson() + m_net.meshLogTail()));
        QCOMPARE(health.value("outbox").toObject().value("delivered").toInt(), int(m_served.size()));
        const QJsonObject ev = m_net.evidence();
        QVERIFY(!m_served.isEmpty());
        QCOMPARE(ev.value("total_accepted").toInt(), int(m_served.size()));
        QCOMPARE(ev.value("accepted_from_notify").toInt(), int(m_served.size()));
        // Nothing the mesh refused reached the servicer, and nothing was sent twice.
        QCOMPARE(ev.value("total_rejected").toInt(), 0);
        QVERIFY2(ev.value("rejected_by_code").toObject().isEmpty(),
                 QJsonDocument(ev.value("rejected_by_code").toObject()).toJson().constData());
        const QStringList hashes = evidenceProofHashes(ev);
        QSet<QByteArray> stored;
        for (const QString& h : hashes) stored.insert(h.toLatin1());
        QCOMPARE(hashes.size(), int(m_served.size()));
        QCOMPARE(stored, m_served);
    }

    void cleanupTestCase()
    {
        QString why;
        QVERIFY2(m_net.shutdown(&why), qPrintable(why));
    }
};

QTEST_GUILESS_MAIN(TestRelayErrors)
#include "tst_relay_errors.moc"
