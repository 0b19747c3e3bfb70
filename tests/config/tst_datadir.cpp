// A whole data directory: config.json locations, data_dir override, every error collected, masked dump.
// JSON test data in raw strings writes "://" as ":\/\/" (a JSON escape): Qt 6.4's moc reads "//" inside a raw
// string as a comment and then finds no test class.
#include "config/datadir.h"
#include "configfixture.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace pocket;

namespace {

QString joined(const QList<ConfigIssue>& issues)
{
    QStringList out;
    for (const ConfigIssue& i : issues)
        out << (i.isWarning ? QStringLiteral("warning: ") : QStringLiteral("error: ")) + i.toString();
    return out.join(QLatin1Char('\n'));
}

QString errorsOf(const DataDirResult& r)
{
    return r ? QString() : joined(r.error());
}

} // namespace

class TestDataDir : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(crypto::init()); }

    void goodDirectoryNestedConfig()
    {
        QTemporaryDir dir;
        QVERIFY(test::writeGoodDataDir(dir.path(), true));
        const DataDirResult r = loadDataDirectory(dir.path());
        QVERIFY2(r.has_value(), qPrintable(errorsOf(r)));
        QVERIFY2(r->warnings.isEmpty(), qPrintable(joined(r->warnings)));
        QCOMPARE(r->configFile, QDir(dir.path()).absoluteFilePath(QStringLiteral("config/config.json")));
        QCOMPARE(r->dataDir, QDir(dir.path()).absolutePath());
        QCOMPARE(r->config.dataDir, r->dataDir);
        QCOMPARE(r->config.metricsMoniker, QStringLiteral("test-mesh"));
        QCOMPARE(r->nodes.size(), 2);
        QCOMPARE(r->keyFileFormat, KeyFileFormat::Nodes);
        QCOMPARE(r->nodes[0].keys[0].addressHex, test::goldenKey(QStringLiteral("servicer")).addressHex);
        QCOMPARE(r->chains.size(), 2);
        QCOMPARE(r->meshToken.value, QLatin1String(test::kMeshToken));
        QCOMPARE(r->servicerToken.value, QLatin1String(test::kServicerToken));
        QCOMPARE(r->chainNames.names.value(QStringLiteral("0021")), QStringLiteral("Ethereum"));
    }

    void topLevelConfigAndFallbackKeys()
    {
        QTemporaryDir dir;
        QVERIFY(test::writeGoodDataDir(dir.path(), false, true));
        const DataDirResult r = loadDataDirectory(dir.path());
        QVERIFY2(r.has_value(), qPrintable(errorsOf(r)));
        QCOMPARE(r->configFile, QDir(dir.path()).absoluteFilePath(QStringLiteral("config.json")));
        QCOMPARE(r->keyFileFormat, KeyFileFormat::Fallback);
        QCOMPARE(r->nodes.size(), 1);
        QCOMPARE(r->nodes[0].keys.size(), 2);
    }

    void bothConfigFilesNestedWins()
    {
        QTemporaryDir dir;
        QVERIFY(test::writeGoodDataDir(dir.path(), true));
        QVERIFY(test::writeFile(dir.path(), QStringLiteral("config.json"), R"({"metrics_moniker": "top"})"));
        const DataDirResult r = loadDataDirectory(dir.path());
        QVERIFY2(r.has_value(), qPrintable(errorsOf(r)));
        QCOMPARE(r->config.metricsMoniker, QStringLiteral("test-mesh"));
        QCOMPARE(r->warnings.size(), 1);
        QCOMPARE(r->warnings.first().file, QStringLiteral("config.json"));
        QVERIFY(r->warnings.first().message.contains(QLatin1String("ignored")));
    }

    void noConfigFileSaysWhereItLooked()
    {
        QTemporaryDir dir;
        QVERIFY(test::writeGoodDataDir(dir.path(), true));
        QVERIFY(QFile::remove(dir.filePath(QStringLiteral("config/config.json"))));
        const DataDirResult r = loadDataDirectory(dir.path());
        QVERIFY(!r.has_value());
        const QString text = errorsOf(r);
        QVERIFY2(text.contains(QDir(dir.path()).absoluteFilePath(QStringLiteral("config.json"))),
                 qPrintable(text));
        QVERIFY(text.contains(QDir(dir.path()).absoluteFilePath(QStringLiteral("config/config.json"))));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("config/config.json")))); // no default written

        QVERIFY(!loadDataDirectory(dir.filePath(QStringLiteral("does-not-exist"))).has_value());
    }

    void unreadableEmptyAndHugeConfig()
    {
        QTemporaryDir dir;
        QVERIFY(test::writeGoodDataDir(dir.path(), false));
        // Tests run as root, where mode 000 is still readable: a directory stands in for an unreadable file.
        QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("config/config.json")));
        QVERIFY(errorsOf(loadDataDirectory(dir.path()))
                    .contains(QLatin1String("config/config.json: is a directory")));
        QVERIFY(QDir(dir.filePath(QStringLiteral("config/config.json"))).removeRecursively());

        QVERIFY(test::writeFile(dir.path(), QStringLiteral("config.json"), ""));
        QVERIFY(errorsOf(loadDataDirectory(dir.path()))
                    .contains(QLatin1String("config.json: the file is empty")));

        QByteArray huge(17 * 1024 * 1024, ' ');
        huge[0] = '{';
        huge[huge.size() - 1] = '}';
        QVERIFY(test::writeFile(dir.path(), QStringLiteral("config.json"), huge));
        QVERIFY(errorsOf(loadDataDirectory(dir.path())).contains(QLatin1String("larger than 16 MiB")));
    }

    void dataDirFromTheFileWins()
    {
        QTemporaryDir flagDir;
        QTemporaryDir realDir;
        QVERIFY(test::writeGoodDataDir(realDir.path(), true));
        // --datadir holds only config.json, which points at the real data directory (PROTOCOL §12.1).
        QVERIFY(test::writeFile(flagDir.path(), QStringLiteral("config.json"),
                                QStringLiteral(R"({"data_dir": "%1", "chains_name": "chains/chains.json",
                                    "auth_token_file": "key/auth.json", "servicer_auth_token_file": "key/servicer.json"})")
                                    .arg(realDir.path())
                                    .toUtf8()));
        const DataDirResult r = loadDataDirectory(flagDir.path());
        QVERIFY2(r.has_value(), qPrintable(errorsOf(r)));
        QCOMPARE(r->dataDir, QDir(realDir.path()).absolutePath());
        QCOMPARE(r->chains.size(), 2);
        QCOMPARE(r->nodes.size(), 2);

        QVERIFY(test::writeFile(flagDir.path(), QStringLiteral("config.json"),
                                R"({"data_dir": "/nonexistent/pocket"})"));
        const DataDirResult missing = loadDataDirectory(flagDir.path());
        QVERIFY(!missing.has_value());
        QVERIFY(errorsOf(missing).contains(QLatin1String("key \"data_dir\"")));
    }

    void everyErrorIsCollected()
    {
        QTemporaryDir dir;
        QVERIFY(test::writeGoodDataDir(dir.path(), true));
        const test::TestKey s = test::goldenKey(QStringLiteral("servicer"));
        const test::TestKey a = test::goldenKey(QStringLiteral("app"));
        // A wrong type in config.json, a bad chain id, a mismatched key and a bad Issued, all at once.
        QVERIFY(test::writeFile(dir.path(), QStringLiteral("config/config.json"), R"({
  "rpc_port": 8081,
  "chains_name": "chains/chains.json",
  "chains_name_map": "chains/names.json",
  "auth_token_file": "key/auth.json",
  "servicer_auth_token_file": "key/servicer.json",
  "unknown_key": 1
})"));
        QVERIFY(test::writeFile(dir.path(), QStringLiteral("chains/chains.json"),
                                R"([{"id": "xyz", "url": "http:\/\/a:1"}])"));
        QVERIFY(test::writeFile(dir.path(), QStringLiteral("key/key.json"),
                                QStringLiteral(R"([{"url": "http:\/\/a:1", "keys": ["%1"]}])")
                                    .arg(s.seedHex + a.publicKeyHex)
                                    .toUtf8()));
        QVERIFY(test::writeFile(dir.path(), QStringLiteral("key/servicer.json"),
                                R"({"Value": "x", "Issued": "soon"})"));
        const DataDirResult r = loadDataDirectory(dir.path());
        QVERIFY(!r.has_value());
        int errors = 0;
        int warnings = 0;
        for (const ConfigIssue& i : r.error())
            (i.isWarning ? warnings : errors) += 1;
        const QString text = errorsOf(r);
        QCOMPARE(errors, 4);
        QCOMPARE(warnings, 1);
        QVERIFY(
            text.contains(QLatin1String("error: config/config.json:2: key \"rpc_port\": expected a string")));
        QVERIFY(text.contains(QLatin1String("warning: config/config.json:7: key \"unknown_key\"")));
        QVERIFY(text.contains(QLatin1String("error: chains/chains.json:1: [0].id")));
        QVERIFY(text.contains(QLatin1String("error: key/key.json:1: [0].keys[0]")));
        QVERIFY(text.contains(QLatin1String("error: key/servicer.json:1: key \"Issued\"")));
        QVERIFY(!text.contains(s.seedHex, Qt::CaseInsensitive));
    }

    void aPathKeyWithAnErrorIsNotFollowed()
    {
        QTemporaryDir dir;
        QVERIFY(test::writeGoodDataDir(dir.path(), true));
        QVERIFY(test::writeFile(dir.path(), QStringLiteral("config/config.json"),
                                R"({"servicer_private_key_file": 5,
            "chains_name": "chains/chains.json", "auth_token_file": "key/auth.json",
            "servicer_auth_token_file": "key/servicer.json"})"));
        const DataDirResult r = loadDataDirectory(dir.path());
        QVERIFY(!r.has_value());
        QCOMPARE(r.error().size(), 1); // no second error about key/key.json at the default path
    }

    void missingMeshTokenIsAWarning()
    {
        QTemporaryDir dir;
        QVERIFY(test::writeGoodDataDir(dir.path(), true));
        QVERIFY(QFile::remove(dir.filePath(QStringLiteral("key/auth.json"))));
        const DataDirResult r = loadDataDirectory(dir.path());
        QVERIFY2(r.has_value(), qPrintable(errorsOf(r)));
        QVERIFY(!r->meshToken.isUsable());
        QCOMPARE(r->warnings.size(), 1);
        QVERIFY(r->warnings.first().message.contains(QLatin1String("stay closed")));
    }

    void brokenNameMapIsOnlyAWarning()
    {
        QTemporaryDir dir;
        QVERIFY(test::writeGoodDataDir(dir.path(), true));
        QVERIFY(test::writeFile(dir.path(), QStringLiteral("chains/names.json"), R"({"0021": 5})"));
        const DataDirResult r = loadDataDirectory(dir.path());
        QVERIFY2(r.has_value(), qPrintable(errorsOf(r)));
        QCOMPARE(r->warnings.size(), 1);
        QVERIFY(r->warnings.first().message.contains(QLatin1String("metrics only")));
    }

    void maskedDumpHasNoSecrets()
    {
        QTemporaryDir dir;
        QVERIFY(test::writeGoodDataDir(dir.path(), true));
        const DataDirResult r = loadDataDirectory(dir.path());
        QVERIFY(r.has_value());
        const QString dump = QString::fromUtf8(renderMaskedDataDir(*r));
        QString leaked;
        QVERIFY2(test::containsNoSecret(dump, test::goodDataDirSecrets(), &leaked), qPrintable(leaked));
        // What it does show: public keys, addresses, token lengths, masked URL credentials.
        QVERIFY(dump.contains(test::goldenKey(QStringLiteral("servicer")).publicKeyHex));
        QVERIFY(dump.contains(test::goldenKey(QStringLiteral("app")).addressHex));
        QVERIFY(dump.contains(QStringLiteral("\"token_length\": %1").arg(qstrlen(test::kMeshToken))));
        QVERIFY(dump.contains(QLatin1String("http://***@eth-node:8545/rpc")));
        QVERIFY(dump.contains(QLatin1String("\"password\": \"***\"")));
        const auto parsed = config::parseJson(dump.toUtf8());
        QVERIFY(parsed.has_value());
        QVERIFY(parsed->member(u"config")->member(u"rpc_port"));
    }
};

QTEST_GUILESS_MAIN(TestDataDir)
#include "tst_datadir.moc"
