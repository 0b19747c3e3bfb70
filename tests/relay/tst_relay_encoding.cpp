// Relays whose bytes differ between a JavaScript and a Go serialisation, built here and sent the way a
// JavaScript client sends them (raw `<>&`, raw U+2028/U+2029, unsorted header keys), with the request hash
// computed the Go way (pocket::requestHashHex) and the proof signed through the protocol core. The mesh must
// serve each one (200, servicer signature valid), pass the exact payload to the chain, and its notification
// must reproduce the relay so exactly that the servicer emulator, recomputing the Go hash, accepts every one.
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

struct Case
{
    const char* name;
    Payload payload;
    QList<std::pair<QByteArray, QByteArray>> headerOrder; // as written in the body (may be unsorted)
    QByteArray expectChainMethod;                         // what the chain must receive
};

HeaderMap headersOf(const QList<std::pair<QByteArray, QByteArray>>& list)
{
    HeaderMap m;
    for (const auto& [k, v] : list) m[k] = v;
    return m;
}

QList<Case> cases()
{
    QList<Case> out;
    auto add = [&](const char* name, QByteArray data, QByteArray method, QByteArray path,
                   std::optional<QList<std::pair<QByteArray, QByteArray>>> headers, QByteArray chainMethod) {
        Case c;
        c.name = name;
        c.payload.data = std::move(data);
        c.payload.method = std::move(method);
        c.payload.path = std::move(path);
        if (headers) {
            c.payload.headers = headersOf(*headers);
            c.headerOrder = *headers;
        }
        c.expectChainMethod = std::move(chainMethod);
        out.append(c);
    };
    const QByteArray ls = QString(QChar(0x2028)).toUtf8();
    const QByteArray ps = QString(QChar(0x2029)).toUtf8();
    add("html characters", R"({"jsonrpc":"2.0","method":"eth_call","params":[{"data":"<a href='x'>&amp;</a>"}],"id":7})",
        "POST", "", std::nullopt, "POST");
    add("line and paragraph separators",
        R"({"jsonrpc":"2.0","method":"web3_clientVersion","params":["a)" + ls + "b" + ps + R"(c"],"id":8})", "POST", "",
        std::nullopt, "POST");
    add("unicode", QString::fromUtf8(R"({"jsonrpc":"2.0","method":"eth_call","params":["é-中文-🚀"],"id":"ü"})").toUtf8(),
        "POST", "", std::nullopt, "POST");
    add("control characters", QByteArray("x\by\fz\x01\t\n\r\x1f\x7f end"), "POST", "", std::nullopt, "POST");
    add("unsorted headers", R"({"jsonrpc":"2.0","method":"eth_chainId","params":[],"id":9})", "POST", "",
        QList<std::pair<QByteArray, QByteArray>>{{"X-B", "2"}, {"Content-Type", "application/json"}, {"a", "1"}},
        "POST");
    add("empty headers object", R"({"jsonrpc":"2.0","method":"net_version","params":[],"id":10})", "POST", "",
        QList<std::pair<QByteArray, QByteArray>>{}, "POST");
    add("empty method", R"({"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":11})", "", "", std::nullopt,
        "POST");
    add("GET path", "", "GET", "/eth/v1/node/syncing",
        QList<std::pair<QByteArray, QByteArray>>{{"X-Api-Key", "k3y-123"}, {"Accept", "application/json"}}, "GET");
    add("GET path with query", "", "GET", "/v1/query/height?a=1&b=two", std::nullopt, "GET");
    add("html in a header and in the path", "", "GET", "/v1/x<y>&z",
        QList<std::pair<QByteArray, QByteArray>>{{"X-Q", "<&>"}}, "GET");
    add("POST to a path with data", R"({"k":"<v>"})", "POST", "/api/v1/thing", std::nullopt, "POST");
    return out;
}

} // namespace

class TestRelayEncoding : public QObject
{
    Q_OBJECT

private:
    MeshNet m_net;
    VectorKeys m_keys;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(crypto::init());
        m_keys = vectorKeys();
        QString error;
        QVERIFY2(m_net.startLocalnet({}, &error), qPrintable(error));
        QCOMPARE(m_net.info().value("servicer_public_key").toString().toLatin1(), m_keys.servicer.publicKeyHex);
        QCOMPARE(qint64(m_net.emulatorAdmin("GET", "/admin/state").value("latest_session_height").toDouble()),
                 m_keys.sessionHeight);
        QVERIFY2(m_net.startMesh(&error), qPrintable(error));
    }

    void jsEncodedRelaysAreServedAndAccepted()
    {
        const QList<Case> all = cases();
        m_net.chainAdmin("POST", "/admin/requests/clear");
        QSet<QByteArray> served;
        qint64 entropy = 424242;
        for (const Case& c : all) {
            const Relay r = craftRelay(m_keys, c.payload, m_keys.sessionHeight, ++entropy);
            const QByteArray body = jsRelayBody(r, c.headerOrder);
            // The case is meaningful: the JavaScript bytes are not the Go bytes of the same relay.
            if (c.payload.data.contains('<') || c.payload.path.contains('<') || c.headerOrder.size() > 1
                || c.payload.data.contains("\xe2\x80\xa8"))
                QVERIFY2(body != encodeRelay(r), c.name);
            const QByteArray proofHashHex = proofHashHexOf(r);
            QByteArray response;
            const QString why = checkRelaySuccess(m_net.postRelay(body), proofHashHex, m_keys.servicer.publicKeyHex,
                                                  &response);
            QVERIFY2(why.isEmpty(), qPrintable(QString::fromLatin1(c.name) + ": " + why));
            QVERIFY2(!response.isEmpty(), c.name);
            served.insert(proofHashHex);
        }
        QCOMPARE(served.size(), all.size());

        // The chain got each payload: the exact data bytes with the right method.
        const QJsonObject record = m_net.chainAdmin("GET", "/admin/requests");
        const QJsonArray requests = record.value("requests").toArray();
        QCOMPARE(requests.size(), all.size());
        for (int i = 0; i < all.size(); ++i) {
            const Case& c = all.at(i);
            const QJsonObject got = requests.at(i).toObject();
            QCOMPARE(QByteArray::fromBase64(got.value("body_base64").toString().toLatin1()), c.payload.data);
            QCOMPARE(got.value("method").toString().toLatin1(), c.expectChainMethod);
            if (c.headerOrder.size() > 0) {
                // Every relay header reached the chain (names canonicalised like Go, values exact).
                const QJsonArray headers = got.value("headers").toArray();
                for (const auto& [k, v] : c.headerOrder) {
                    bool found = false;
                    for (const QJsonValue& h : headers) {
                        const QJsonArray pair = h.toArray();
                        found = found
                                || (pair.at(0).toString().compare(QString::fromUtf8(k), Qt::CaseInsensitive) == 0
                                    && pair.at(1).toString().toUtf8() == v);
                    }
                    QVERIFY2(found, qPrintable(QStringLiteral("%1: header %2 missing at the chain")
                                                   .arg(QLatin1String(c.name), QString::fromUtf8(k))));
                }
            }
        }

        // The emulator accepted each notification: it recomputed the Go request hash from the notify body.
        QJsonObject ev;
        QVERIFY2(waitFor([&] {
            ev = m_net.evidence();
            return ev.value("total_accepted").toInt() + ev.value("total_rejected").toInt() >= all.size();
        }, 120000), qPrintable(QJsonDocument(ev).toJson() + m_net.meshLogTail()));
        QJsonObject health;
        QVERIFY2(waitFor([&] {
            health = m_net.meshHealth();
            return health.value("outbox").toObject().value("depth").toInt(-1) == 0;
        }, 120000), qPrintable(QJsonDocument(health).toJson() + m_net.meshLogTail()));
        ev = m_net.evidence();
        QVERIFY2(ev.value("total_rejected").toInt() == 0, QJsonDocument(ev).toJson().constData());
        QCOMPARE(ev.value("total_accepted").toInt(), all.size());
        QCOMPARE(ev.value("accepted_from_notify").toInt(), all.size());
        QSet<QByteArray> stored;
        const QStringList hashes = evidenceProofHashes(ev);
        for (const QString& h : hashes) stored.insert(h.toLatin1());
        QCOMPARE(hashes.size(), all.size());
        QCOMPARE(stored, served);
    }

    void cleanupTestCase()
    {
        QString why;
        QVERIFY2(m_net.shutdown(&why), qPrintable(why));
    }
};

QTEST_GUILESS_MAIN(TestRelayEncoding)
#include "tst_relay_encoding.moc"
