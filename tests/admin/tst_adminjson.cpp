// Unit tests of the pure parts of the admin API and the hot reload: updatechains body validation, the
// reference's chain shapes, the metrics exposition turned into JSON, the chains.json writer, and the
// key ring / chain table differences a reload applies.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include "admin/adminjson.h"
#include "config/reloadfiles.h"
#include "mesh/keyringdiff.h"
#include "protocol/crypto.h"
#include "testsupport.h"

using namespace pocket;
using pocket::test::writeFile;

namespace {

ServicerNode node(const QString& url, const QList<QByteArray>& seeds)
{
    ServicerNode n;
    n.url = url;
    n.name = url.section('/', 2, 2);
    for (const QByteArray& label : seeds) {
        const QByteArray seed = crypto::sha256(label);
        const auto key = parseServicerPrivateKey(QString::fromLatin1(crypto::hexEncode(seed + crypto::publicKeyFromSeed(seed))));
        n.keys.append(*key);
        n.keys.last().homeNodeUrl = url;
    }
    return n;
}

} // namespace

class TestAdminJson : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(crypto::init()); }

    void updateChainsBody()
    {
        auto ok = admin::parseUpdateChainsBody(
            "[{\"id\":\"0021\",\"url\":\"http://a:1\"},{\"id\":\"0005\",\"url\":\"https://b\",\"basic_auth\":{\"username\":\"u\",\"password\":\"p\"}},{\"id\":\"0021\",\"url\":\"http://c:2\"}]");
        QVERIFY(ok.has_value());
        QCOMPARE(ok->size(), 2);
        QCOMPARE(ok->find("0021")->url, QStringLiteral("http://c:2")); // duplicate ids: the last wins
        QCOMPARE(ok->find("0005")->basicAuthPassword, QStringLiteral("p"));

        const auto badId = admin::parseUpdateChainsBody("[{\"id\":\"0021\",\"url\":\"http://a\"},{\"id\":\"123456789a\",\"url\":\"http://a\"}]");
        QVERIFY(!badId);
        QCOMPARE(badId.error().message, QStringLiteral("invalid ID: 123456789a in network identifier in json"));
        QVERIFY(!admin::parseUpdateChainsBody("[{\"id\":\"0021\"}]"));
        QVERIFY(admin::parseUpdateChainsBody("[{\"id\":\"0021\"}]").error().message.contains("url"));
        QVERIFY(!admin::parseUpdateChainsBody("[{"));
        QVERIFY(!admin::parseUpdateChainsBody("{\"0021\":\"http://a\"}"));
        QVERIFY(!admin::parseUpdateChainsBody("[{\"id\":21,\"url\":\"http://a\"}]"));
    }

    void chainShapes()
    {
        ChainTable t;
        t.chains.append({"0021", QStringLiteral("http://a:1"), {}, {}});
        t.chains.append({"0005", QStringLiteral("http://b/<x>"), QStringLiteral("u"), QStringLiteral("p")});
        // Go struct order, file order, HTML-escaped like encoding/json; no newline (WriteRaw).
        QCOMPARE(admin::chainsArrayJson(t),
                 QByteArray("[{\"id\":\"0021\",\"url\":\"http://a:1\",\"basic_auth\":{\"username\":\"\",\"password\":\"\"}},"
                            "{\"id\":\"0005\",\"url\":\"http://b/\\u003cx\\u003e\",\"basic_auth\":{\"username\":\"u\",\"password\":\"p\"}}]"));
        // Re-encoded: keys sorted at every level, trailing newline.
        QCOMPARE(admin::chainsByIdJson(t),
                 QByteArray("{\"0005\":{\"basic_auth\":{\"password\":\"p\",\"username\":\"u\"},\"id\":\"0005\",\"url\":\"http://b/\\u003cx\\u003e\"},"
                            "\"0021\":{\"basic_auth\":{\"password\":\"\",\"username\":\"\"},\"id\":\"0021\",\"url\":\"http://a:1\"}}"
                            "\n"));
    }

    // chains.json as updatechains writes it parses back to the same table, and the write is a rename.
    void chainsFileRoundTrip()
    {
        ChainTable t;
        t.chains.append({"0021", QStringLiteral("http://a:1"), {}, {}});
        t.chains.append({"00A1", QStringLiteral("https://b"), QStringLiteral("user"), QStringLiteral("pa\"ss")});
        QTemporaryDir dir;
        const QString path = dir.filePath("chains.json");
        QVERIFY(writeFile(dir.path(), "chains.json", "old content that is longer than the new one, much longer ..."));
        QVERIFY(writeFileAtomically(path, chainsFileJson(t)).has_value());
        const auto parsed = loadChainsFile(path, "chains.json");
        QVERIFY(parsed.ok());
        QCOMPARE(parsed.value.size(), 2);
        QCOMPARE(parsed.value.chains.at(1).id, QByteArray("00A1"));
        QCOMPARE(parsed.value.chains.at(1).basicAuthPassword, QStringLiteral("pa\"ss"));
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"chains.json"});
        QVERIFY(!writeFileAtomically(dir.filePath("missing/dir/chains.json"), "[]").has_value());
    }

    void metricsExposition()
    {
        const QByteArray text =
            "# HELP a_total Things \\\\ done\\nsecond line\n"
            "# TYPE a_total counter\n"
            "a_total{chain_id=\"0021\",moniker=\"m \\\"q\\\"\"} 3\n"
            "a_total{chain_id=\"0001\",moniker=\"m\"} 1.5e+06\n"
            "# HELP h Latency\n"
            "# TYPE h histogram\n"
            "h_bucket{le=\"0.5\"} 1\n"
            "h_bucket{le=\"+Inf\"} 2\n"
            "h_sum 0.75\n"
            "h_count 2\n"
            "# TYPE g gauge\n"
            "g NaN\n";
        const QJsonObject o = QJsonDocument::fromJson(admin::metricsJson(text, "{\"relays\":3}")).object();
        QVERIFY(o.value("available").toBool());
        QCOMPARE(o.value("totals").toObject().value("relays").toInt(), 3);
        const QJsonArray f = o.value("families").toArray();
        QCOMPARE(f.size(), 3);
        const QJsonObject a = f.at(0).toObject();
        QCOMPARE(a.value("name").toString(), QStringLiteral("a_total"));
        QCOMPARE(a.value("type").toString(), QStringLiteral("counter"));
        QCOMPARE(a.value("help").toString(), QStringLiteral("Things \\ done\nsecond line"));
        QCOMPARE(a.value("samples").toArray().size(), 2);
        QCOMPARE(a.value("samples").toArray().at(0).toObject().value("labels").toObject().value("moniker").toString(),
                 QStringLiteral("m \"q\""));
        QCOMPARE(a.value("samples").toArray().at(1).toObject().value("value").toDouble(), 1.5e6);
        const QJsonArray h = f.at(1).toObject().value("samples").toArray();
        QCOMPARE(h.size(), 4);
        QCOMPARE(h.at(1).toObject().value("labels").toObject().value("le").toString(), QStringLiteral("+Inf"));
        QCOMPARE(h.at(3).toObject().value("name").toString(), QStringLiteral("h_count"));
        QCOMPARE(f.at(2).toObject().value("samples").toArray().at(0).toObject().value("value").toString(),
                 QStringLiteral("NaN"));
    }

    void keyRingDiff()
    {
        const QList<ServicerNode> before{node("http://a:1", {"k0", "k1"}), node("http://b:1", {"k2"})};
        const QList<ServicerNode> after{node("http://a:1", {"k0"}), node("http://c:1", {"k2", "k3"})};
        const KeyRingPtr r0 = buildKeyRing(before);
        const KeyRingPtr r1 = buildKeyRing(after);
        const KeyRingDiff d = diffKeyRings(*r0, *r1, nodeNames(before), nodeNames(after));
        QVERIFY(d.changed());
        QCOMPARE(d.added.size(), 1);
        QCOMPARE(d.added.first().addressHex, r1->all().at(2).addressHex); // k3
        QCOMPARE(d.removed.size(), 1);
        QCOMPARE(d.removed.first().nodeUrl, QStringLiteral("http://a:1")); // k1 at its old node
        QCOMPARE(d.moved.size(), 1);
        QCOMPARE(d.moved.first().nodeUrl, QStringLiteral("http://c:1")); // k2 moved b -> c
        QCOMPARE(d.nodesAdded, QStringList{"http://c:1"});
        QCOMPARE(d.nodesRemoved, QStringList{"http://b:1"});
        QVERIFY(!diffKeyRings(*r0, *buildKeyRing(before), nodeNames(before), nodeNames(before)).changed());
    }

    void chainTableDiff()
    {
        ChainTable a, b;
        a.chains = {{"0001", "http://x", {}, {}}, {"0021", "http://y", {}, {}}};
        b.chains = {{"0021", "http://y", "u", "p"}, {"0005", "http://z", {}, {}}};
        const ChainTableDiff d = diffChainTables(a, b);
        QCOMPARE(d.added, QList<QByteArray>{"0005"});
        QCOMPARE(d.removed, QList<QByteArray>{"0001"});
        QCOMPARE(d.updated, QList<QByteArray>{"0021"});
        ChainTable c;
        c.chains = {a.chains.at(1), a.chains.at(0)};
        const ChainTableDiff reordered = diffChainTables(a, c);
        QVERIFY(!reordered.changed());
        QVERIFY(reordered.reordered);
    }
};

QTEST_GUILESS_MAIN(TestAdminJson)
#include "tst_adminjson.moc"
