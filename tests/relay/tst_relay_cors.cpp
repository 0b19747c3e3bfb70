// CORS on the real mesh's POST /v1/client/relay (PROTOCOL §2.2, §2.3, §6.3): the three Access-Control-*
// headers on every relay POST answer, served (200) or refused (400); the automatic OPTIONS answer is 200 with an
// empty body and only `Allow`; a 413 (§6.4) and a 405 carry no CORS. Plus the servicer key check of §5.1
// step 2: a 33-byte (66 hex) servicer_pub_key is refused with sdk 1 "could not convert servicer hex to public
// key" in the shape of DECISIONS 1 (README "Where the mesh answers differently": the reference says "failed to
// find correct servicer PK"). Real pocket-localnet + pocket-mesh-headless processes (MeshNet fixture).
#include <QJsonDocument>
#include <QSet>
#include <QTest>

#include "meshnet.h"
#include "protocol/crypto.h"
#include "testslots.h"
#include "testsupport.h"

using namespace pocket;
using namespace pocket::test;

namespace {

// client_rpc_max_bytes_size written to the mesh config for this test (PROTOCOL §6.4, §12.2).
constexpr int kMaxBodyBytes = 20000;
// PROTOCOL §2.2 (geo-mesh server.go `cors`).
const QList<std::pair<QByteArray, QByteArray>> kCors = {
    {"Access-Control-Allow-Origin", "*"},
    {"Access-Control-Allow-Methods", "POST"},
    {"Access-Control-Allow-Headers", "Accept, Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, Authorization"},
};
const QString kMsg74 = QStringLiteral("the request hash does not match the payload hash"); // PROTOCOL §4.3

Payload blockNumber(int id)
{
    Payload p;
    p.data = QByteArray(R"({"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":)") + QByteArray::number(id) + '}';
    p.method = "POST";
    return p;
}

int headerCount(const Answer& a, const QByteArray& name)
{
    int n = 0;
    for (const auto& [k, v] : a.headers)
        if (k.compare(name, Qt::CaseInsensitive) == 0) ++n;
    return n;
}

// Empty when each CORS header of §2.2 is present exactly once with its exact value, else why not.
QString checkCors(const Answer& a)
{
    for (const auto& [name, value] : kCors) {
        const int n = headerCount(a, name);
        if (n != 1) return QStringLiteral("%1 present %2 times (HTTP %3)").arg(QString::fromLatin1(name)).arg(n).arg(a.status);
        if (a.header(name) != value)
            return QStringLiteral("%1: '%2', expected '%3'")
                .arg(QString::fromLatin1(name), QString::fromLatin1(a.header(name)), QString::fromLatin1(value));
    }
    return {};
}

// Empty when no Access-Control-* header is present, else the first one found.
QString checkNoCors(const Answer& a)
{
    for (const auto& [k, v] : a.headers)
        if (k.toLower().startsWith("access-control-"))
            return QStringLiteral("HTTP %1 carries %2: %3").arg(a.status).arg(QString::fromLatin1(k), QString::fromLatin1(v));
    return {};
}

} // namespace

class TestRelayCors : public QObject
{
    Q_OBJECT

private:
    MeshNet m_net;
    VectorKeys m_keys;
    qint64 m_entropy = 51000;  // a fresh proof per relay
    QSet<QByteArray> m_served; // proof hashes answered 200

    Relay freshRelay(int id) { return craftRelay(m_keys, blockNumber(id), m_keys.sessionHeight, ++m_entropy); }
    QString relayUrl() const { return m_net.meshUrl() + QStringLiteral("/v1/client/relay"); }

private Q_SLOTS:
    void initTestCase()
    {
        const QString why = testSlotMismatch(this, {"corsOnServedRelay", "corsOnRefusedRelay", "optionsHasNoCors",
                                                     "noCorsOn413", "servicerKeyOf33Bytes", "onlyServedRelaysNotified"});
        QVERIFY2(why.isEmpty(), qPrintable(why));
        QVERIFY(crypto::init());
        m_keys = vectorKeys();
        QString error;
        QVERIFY2(m_net.startLocalnet({}, &error), qPrintable(error));
        QCOMPARE(m_net.info().value("servicer_public_key").toString().toLatin1(), m_keys.servicer.publicKeyHex);
        QVERIFY2(m_net.patchMeshConfig({{"client_rpc_max_bytes_size", kMaxBodyBytes}}, &error), qPrintable(error));
        QVERIFY2(m_net.startMesh(&error), qPrintable(error));
    }

    void corsOnServedRelay()
    {
        const Relay r = freshRelay(1);
        const Answer a = m_net.postRelay(jsRelayBody(r));
        const QString why = checkRelaySuccess(a, proofHashHexOf(r), m_keys.servicer.publicKeyHex);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        m_served.insert(proofHashHexOf(r));
        const QString cors = checkCors(a);
        QVERIFY2(cors.isEmpty(), qPrintable(cors));
    }

    void corsOnRefusedRelay_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("not JSON (sdk 1)") << "garbage";
        QTest::newRow("tampered payload (pocketcore 74)") << "tampered";
    }

    void corsOnRefusedRelay()
    {
        QFETCH(QString, kind);
        Answer a;
        QString why;
        if (kind == QLatin1String("garbage")) {
            a = m_net.postRelay("hello");
            why = checkRelayError(a, 1, "sdk");
        } else {
            Relay r = freshRelay(2);
            r.payload.data.replace("eth_blockNumber", "eth_blockNumbes"); // after the request hash was computed
            a = m_net.postRelay(jsRelayBody(r));
            why = checkRelayError(a, 74, "pocketcore", kMsg74);
        }
        QVERIFY2(why.isEmpty(), qPrintable(why));
        const QString cors = checkCors(a);
        QVERIFY2(cors.isEmpty(), qPrintable(cors));
    }

    // PROTOCOL §2.3/§6.3: automatic OPTIONS → 200, empty body, only `Allow: OPTIONS, POST`, no CORS (the mesh
    // registers no OPTIONS route, unlike the official servicer). A GET is a 405 with the same Allow, no CORS.
    void optionsHasNoCors()
    {
        const Answer options = m_net.request("OPTIONS", relayUrl(), {},
                                             {{"Origin", "https://wallet.example"},
                                              {"Access-Control-Request-Method", "POST"},
                                              {"Access-Control-Request-Headers", "content-type"}});
        QCOMPARE(options.status, 200);
        QVERIFY(options.body.isEmpty());
        QCOMPARE(options.header("Allow"), QByteArray("OPTIONS, POST"));
        QCOMPARE(headerCount(options, "Allow"), 1);
        QString why = checkNoCors(options);
        QVERIFY2(why.isEmpty(), qPrintable(why));

        const Answer get = m_net.request("GET", relayUrl());
        QCOMPARE(get.status, 405);
        QCOMPARE(get.body, QByteArray("Method Not Allowed\n"));
        QCOMPARE(get.header("Allow"), QByteArray("OPTIONS, POST"));
        why = checkNoCors(get);
        QVERIFY2(why.isEmpty(), qPrintable(why));
    }

    // PROTOCOL §6.4/§2.3: the body-size refusal happens before the handler and carries no CORS.
    void noCorsOn413()
    {
        const Relay r = freshRelay(3);
        QByteArray big = jsRelayBody(r);
        QVERIFY(big.size() < kMaxBodyBytes);
        big.insert(1, QByteArray(kMaxBodyBytes + 1 - big.size(), ' '));
        const Answer a = m_net.postRelay(big);
        QCOMPARE(a.status, 413);
        QCOMPARE(a.body, QByteArray("{\"code\":413,\"message\":\"Request body too large. Max allowed bytes is: ")
                             + QByteArray::number(kMaxBodyBytes) + "\"}\n");
        const QString why = checkNoCors(a);
        QVERIFY2(why.isEmpty(), qPrintable(why));
    }

    // §5.1 step 2: the servicer key must decode to a 32-byte ed25519 key. 33 bytes (a secp256k1-like compressed
    // key: 02 + the real key) is refused before anything else, with the relay's CORS headers.
    void servicerKeyOf33Bytes()
    {
        Relay r = freshRelay(4);
        r.proof.servicerPubKey = "02" + m_keys.servicer.publicKeyHex;
        QCOMPARE(r.proof.servicerPubKey.size(), 66);
        QVERIFY(crypto::hexDecode(r.proof.servicerPubKey).has_value());
        signProof(r, m_keys.client); // only the key is wrong
        const Answer a = m_net.postRelay(jsRelayBody(r));
        const QString why = checkRelayError(a, 1, "sdk", QStringLiteral("could not convert servicer hex to public key"));
        QVERIFY2(why.isEmpty(), qPrintable(why));
        const QString cors = checkCors(a);
        QVERIFY2(cors.isEmpty(), qPrintable(cors));

        // The same relay with the right key is served: nothing of the refused one was kept.
        Relay good = freshRelay(5);
        const Answer ok = m_net.postRelay(jsRelayBody(good));
        const QString okWhy = checkRelaySuccess(ok, proofHashHexOf(good), m_keys.servicer.publicKeyHex);
        QVERIFY2(okWhy.isEmpty(), qPrintable(okWhy));
        m_served.insert(proofHashHexOf(good));
    }

    // Only the relays answered 200 reached the servicer (the refused ones above were never notified).
    void onlyServedRelaysNotified()
    {
        QJsonObject health;
        QVERIFY2(waitFor([&] {
            health = m_net.meshHealth();
            return health.value("outbox").toObject().value("depth").toInt(-1) == 0;
        }, 60000), qPrintable(QJsonDocument(health).toJson() + m_net.meshLogTail()));
        QCOMPARE(health.value("outbox").toObject().value("delivered").toInt(), int(m_served.size()));
        const QJsonObject ev = m_net.evidence();
        QCOMPARE(ev.value("total_rejected").toInt(), 0);
        QSet<QByteArray> stored;
        for (const QString& h : evidenceProofHashes(ev)) stored.insert(h.toLatin1());
        QCOMPARE(stored, m_served);
    }

    void cleanupTestCase()
    {
        QString why;
        QVERIFY2(m_net.shutdown(&why), qPrintable(why));
    }
};

QTEST_GUILESS_MAIN(TestRelayCors)
#include "tst_relay_cors.moc"
