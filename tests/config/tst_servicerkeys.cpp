// The servicer key file: both formats, every element and key checked, no key material in messages.
// JSON test data in raw strings writes "://" as ":\/\/" (a JSON escape): Qt 6.4's moc reads "//" inside a raw
// string as a comment and then finds no test class.
#include "config/servicerkeys.h"
#include "configfixture.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace pocket;
using test::TestKey;

namespace {

const QString kFile = QStringLiteral("key/key.json");

QString allMessages(const ConfigIssues& issues)
{
    QStringList out;
    for (const ConfigIssue& i : issues.all())
        out << i.toString();
    return out.join(QLatin1Char('\n'));
}

QByteArray nodesFile(const QString& url, const QStringList& keys)
{
    return QStringLiteral(R"([{"url": "%1", "keys": ["%2"]}])")
        .arg(url, keys.join(QStringLiteral("\", \"")))
        .toUtf8();
}

} // namespace

class TestServicerKeys : public QObject
{
    Q_OBJECT

private:
    TestKey m_servicer, m_app, m_client, m_derived;
    QStringList m_secrets;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(crypto::init());
        m_servicer = test::goldenKey(QStringLiteral("servicer"));
        m_app = test::goldenKey(QStringLiteral("app"));
        m_client = test::goldenKey(QStringLiteral("client"));
        m_derived = test::derivedKey("servicerkeys test");
        QCOMPARE(m_servicer.privateKeyHex.size(), 128);
        for (const TestKey& k : {m_servicer, m_app, m_client, m_derived})
            m_secrets << k.privateKeyHex << k.seedHex;
    }

    void goldenKeyParses()
    {
        const auto key = parseServicerPrivateKey(m_servicer.privateKeyHex);
        QVERIFY(key.has_value());
        QCOMPARE(key->publicKeyHex, m_servicer.publicKeyHex);
        QCOMPARE(key->addressHex, m_servicer.addressHex);
        QCOMPARE(key->privateKey.size(), 64);
        QCOMPARE(key->address.size(), 20);
        // Go hex decoding accepts upper case.
        const auto upper = parseServicerPrivateKey(m_servicer.privateKeyHex.toUpper());
        QVERIFY(upper.has_value());
        QCOMPARE(upper->addressHex, m_servicer.addressHex);
    }

    void nodesFormat()
    {
        const auto result = parseServicerKeyFile(test::nodesKeyFile(m_servicer, m_app, m_derived), kFile);
        QVERIFY2(result.issues.isEmpty(), qPrintable(allMessages(result.issues)));
        QCOMPARE(result.value.format, KeyFileFormat::Nodes);
        QCOMPARE(result.value.nodes.size(), 2);
        const ServicerNode& a = result.value.nodes[0];
        QCOMPARE(a.name, QStringLiteral("servicer-a"));
        QCOMPARE(a.url, QStringLiteral("http://servicer-a:8081"));
        QCOMPARE(a.keys.size(), 2);
        QCOMPARE(a.keys[0].addressHex, m_servicer.addressHex);
        QCOMPARE(a.keys[1].publicKeyHex, m_app.publicKeyHex);
        QCOMPARE(a.keys[0].homeNodeUrl, a.url);
        const ServicerNode& b = result.value.nodes[1];
        QCOMPARE(b.name, QStringLiteral("servicer-b.example")); // URL host without port
        QCOMPARE(b.keys.first().addressHex, m_derived.addressHex);
        QCOMPARE(result.value.distinctKeyCount(), 3);
    }

    void fallbackFormat()
    {
        const auto result = parseServicerKeyFile(test::fallbackKeyFile(m_servicer, m_app), kFile);
        QVERIFY2(result.issues.isEmpty(), qPrintable(allMessages(result.issues)));
        QCOMPARE(result.value.format, KeyFileFormat::Fallback);
        QCOMPARE(result.value.nodes.size(), 1); // both keys on one node: nodes are keyed by URL
        QCOMPARE(result.value.nodes[0].name, QStringLiteral("servicer-a"));
        QCOMPARE(result.value.nodes[0].keys.size(), 2);
        QCOMPARE(result.value.nodes[0].keys[1].addressHex, m_app.addressHex);
    }

    void urlsAreKeyedByExactString()
    {
        const QByteArray json = QStringLiteral(R"([
            {"priv_key": "%1", "servicer_url": "http:\/\/a:8081"},
            {"priv_key": "%2", "servicer_url": "http:\/\/a:8081/"}])")
                                    .arg(m_servicer.privateKeyHex, m_app.privateKeyHex)
                                    .toUtf8();
        const auto result = parseServicerKeyFile(json, kFile);
        QVERIFY(result.ok());
        QCOMPARE(result.value.nodes.size(), 2);
        QCOMPARE(result.issues.warningCount(), 1); // the trailing slash
        QVERIFY(result.issues.warnings().first().message.contains(QLatin1String("ends with \"/\"")));
    }

    void keyUnderTwoUrlsHasTheFirstAsHome()
    {
        const QByteArray json = QStringLiteral(R"([
            {"url": "http:\/\/a:8081", "keys": ["%1"]},
            {"url": "http:\/\/b:8081", "keys": ["%2", "%1"]}])")
                                    .arg(m_servicer.privateKeyHex, m_app.privateKeyHex)
                                    .toUtf8();
        const auto result = parseServicerKeyFile(json, kFile);
        QVERIFY(result.ok());
        QCOMPARE(result.value.nodes.size(), 2);
        QCOMPARE(result.value.nodes[1].keys.size(), 2); // it serves both nodes
        QCOMPARE(result.value.nodes[1].keys[1].homeNodeUrl, QStringLiteral("http://a:8081"));
        QCOMPARE(result.value.nodes[1].keys[0].homeNodeUrl, QStringLiteral("http://b:8081"));
        QCOMPARE(result.value.distinctKeyCount(), 2);
        QCOMPARE(result.issues.warningCount(), 1);
        const ConfigIssue w = result.issues.warnings().first();
        QCOMPARE(w.key, QStringLiteral("[1].keys[1]"));
        QVERIFY(w.message.contains(m_servicer.addressHex));
    }

    void mismatchedPublicHalfIsAnError()
    {
        // Seed of one key with the public half of another: the reference would sign garbage with it.
        const QString bad = m_servicer.seedHex + m_app.publicKeyHex;
        const auto result = parseServicerKeyFile(
            nodesFile(QStringLiteral("http://a:8081"), {m_client.privateKeyHex, bad}), kFile);
        QVERIFY(!result.ok());
        QCOMPARE(result.issues.errorCount(), 1);
        const ConfigIssue e = result.issues.errors().first();
        QCOMPARE(e.file, kFile);
        QCOMPARE(e.key, QStringLiteral("[0].keys[1]"));
        QVERIFY(e.message.contains(m_app.publicKeyHex));
        QVERIFY(e.message.contains(QLatin1String("does not match")));
        QVERIFY(!e.toString().contains(m_servicer.seedHex, Qt::CaseInsensitive));
        QVERIFY(!e.toString().contains(bad, Qt::CaseInsensitive));
    }

    void badKeys_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("expected");
        const TestKey k = test::goldenKey(QStringLiteral("servicer"));
        QTest::newRow("zero public half") << k.seedHex + QString(64, QLatin1Char('0')) << "all zeros";
        QTest::newRow("secp256k1 length") << k.seedHex << "secp256k1";
        QTest::newRow("short") << k.privateKeyHex.left(100) << "got 100 characters";
        QTest::newRow("long") << k.privateKeyHex + QStringLiteral("00") << "got 130 characters";
        QTest::newRow("odd") << k.privateKeyHex.left(127) << "got 127 characters";
        QTest::newRow("not hex") << k.privateKeyHex.left(10) + QStringLiteral("zz") + k.privateKeyHex.mid(12)
                                 << "character 11";
        QTest::newRow("0x prefix") << QStringLiteral("0x") + k.privateKeyHex << "0x";
        QTest::newRow("empty") << QString() << "got 0 characters";
    }

    void badKeys()
    {
        QFETCH(QString, key);
        QFETCH(QString, expected);
        const auto result = parseServicerKeyFile(nodesFile(QStringLiteral("http://a:8081"), {key}), kFile);
        QVERIFY(!result.ok());
        const QString text = allMessages(result.issues);
        QVERIFY2(text.contains(expected), qPrintable(text));
        QVERIFY2(text.contains(QLatin1String("[0].keys[0]")), qPrintable(text));
        QString leaked;
        QVERIFY2(test::containsNoSecret(text, m_secrets, &leaked), qPrintable(leaked));
    }

    void everyElementIsChecked()
    {
        // The reference schema-checks only element [0]; here the third element's problems are found too.
        const QByteArray json = QStringLiteral(R"([
            {"priv_key": "%1", "servicer_url": "http:\/\/a:8081"},
            {"priv_key": "%2", "servicer_url": "http:\/\/b:8081"},
            {"priv_key": "%3", "servicer_url": "localhost:8081"},
            {"servicer_url": "http:\/\/c:8081"},
            "just a string"])")
                                    .arg(m_servicer.privateKeyHex, m_app.seedHex, m_client.privateKeyHex)
                                    .toUtf8();
        const auto result = parseServicerKeyFile(json, kFile);
        const QList<ConfigIssue> errors = result.issues.errors();
        QStringList keys;
        for (const ConfigIssue& e : errors)
            keys << e.key;
        QCOMPARE(keys, QStringList({"[1].priv_key", "[2].servicer_url", "[3].priv_key", "[4]"}));
        QVERIFY(errors[1].message.contains(QLatin1String("has no scheme")));
        QCOMPARE(errors[0].line, 3);
    }

    void badUrls_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no scheme") << "servicer:8081"
                                   << "no scheme";
        QTest::newRow("ftp") << "ftp://servicer"
                             << "got scheme \"ftp\"";
        QTest::newRow("no host") << "http://"
                                 << "";
        QTest::newRow("empty") << ""
                               << "empty string";
    }

    void badUrls()
    {
        QFETCH(QString, url);
        QFETCH(QString, expected);
        const auto result = parseServicerKeyFile(nodesFile(url, {m_servicer.privateKeyHex}), kFile);
        QVERIFY(!result.ok());
        const ConfigIssue e = result.issues.errors().first();
        QCOMPARE(e.key, QStringLiteral("[0].url"));
        QVERIFY2(e.message.contains(expected), qPrintable(e.message));
    }

    void fileShape_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("empty array") << QByteArray("[]") << "at least one element";
        QTest::newRow("object") << QByteArray(R"({"url": "http:\/\/a", "keys": []})")
                                << "expected a JSON array";
        QTest::newRow("null") << QByteArray("null") << "expected a JSON array";
        QTest::newRow("neither format") << QByteArray(R"([{"address": "x"}])") << "matches neither format";
        QTest::newRow("invalid json") << QByteArray("[{\"url\": }]") << "invalid JSON at line 1, column 10";
        QTest::newRow("empty file") << QByteArray("") << "empty";
        QTest::newRow("keys not array")
            << QByteArray(R"([{"url": "http:\/\/a:1", "keys": "abc"}])") << "expected an array";
        QTest::newRow("no keys at all")
            << QByteArray(R"([{"url": "http:\/\/a:1", "keys": []}])") << "no servicer key";
    }

    void fileShape()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        const auto result = parseServicerKeyFile(json, kFile);
        QVERIFY(!result.ok());
        QVERIFY2(allMessages(result.issues).contains(expected), qPrintable(allMessages(result.issues)));
    }

    void repeatedElementIsAnError()
    {
        const QByteArray json = QStringLiteral(R"([
            {"priv_key": "%1", "servicer_url": "http:\/\/a:8081"},
            {"servicer_url": "http:\/\/a:8081", "priv_key": "%1"}])")
                                    .arg(m_servicer.privateKeyHex)
                                    .toUtf8();
        const auto result = parseServicerKeyFile(json, kFile);
        QVERIFY(!result.ok());
        QCOMPARE(result.issues.errors().first().key, QStringLiteral("[1]"));
        QVERIFY(result.issues.errors().first().message.contains(QLatin1String("identical to element [0]")));
    }

    void unknownPropertiesAndCaseInsensitiveNames()
    {
        const QByteArray json =
            QStringLiteral(R"([{"Name": "x", "URL": "http:\/\/a:8081", "Keys": ["%1"], "kyes": []}])")
                .arg(m_servicer.privateKeyHex)
                .toUtf8();
        const auto result = parseServicerKeyFile(json, kFile);
        QVERIFY2(result.ok(), qPrintable(allMessages(result.issues)));
        QCOMPARE(result.value.nodes.first().name, QStringLiteral("x"));
        QCOMPARE(result.issues.warningCount(), 1);
        QCOMPARE(result.issues.warnings().first().key, QStringLiteral("[0].kyes"));
    }

    void loadFromDisk()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const auto missing = loadServicerKeyFile(dir.filePath(QStringLiteral("key/key.json")), kFile);
        QVERIFY(!missing.ok());
        QVERIFY(missing.issues.errors().first().message.contains(QLatin1String("not found")));

        QVERIFY(
            QDir(dir.path()).mkpath(QStringLiteral("key/key.json"))); // a directory where the file should be
        const auto unreadable = loadServicerKeyFile(dir.filePath(QStringLiteral("key/key.json")), kFile);
        QVERIFY(!unreadable.ok());
        QVERIFY(unreadable.issues.errors().first().message.contains(QLatin1String("is a directory")));

        QVERIFY(
            test::writeFile(dir.path(), QStringLiteral("k2.json"), test::fallbackKeyFile(m_servicer, m_app)));
        const auto good = loadServicerKeyFile(dir.filePath(QStringLiteral("k2.json")), kFile);
        QVERIFY(good.ok());
        QCOMPARE(good.value.distinctKeyCount(), 2);
    }
};

QTEST_GUILESS_MAIN(TestServicerKeys)
#include "tst_servicerkeys.moc"
