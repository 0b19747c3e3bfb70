// The real `pocket-mesh-headless validate-config` and `config-table` commands on temporary data directories:
// exit codes, what is printed, and that no secret ever reaches stdout or stderr.
// JSON test data in raw strings writes "://" as ":\/\/" (a JSON escape): Qt 6.4's moc reads "//" inside a raw
// string as a comment and then finds no test class.
#include "configfixture.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace pocket;

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

Run runHeadless(const QStringList& args)
{
    QProcess p;
    p.start(test::buildPath(QStringLiteral("headless/pocket-mesh-headless")), args);
    Run r;
    if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit) return r;
    r.exitCode = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

Run validate(const QString& dir)
{
    return runHeadless({QStringLiteral("validate-config"), QStringLiteral("--datadir"), dir});
}

} // namespace

class TestValidateConfig : public QObject
{
    Q_OBJECT

private:
    QStringList m_secrets;

    void checkNoSecret(const Run& r)
    {
        QString leaked;
        QVERIFY2(test::containsNoSecret(r.out + r.err, m_secrets, &leaked),
                 qPrintable(QStringLiteral("leaked ") + leaked));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(crypto::init());
        QVERIFY2(QFile::exists(test::buildPath(QStringLiteral("headless/pocket-mesh-headless"))),
                 "build pocket-mesh-headless first");
        m_secrets = test::goodDataDirSecrets();
    }

    void goodDirectory_data()
    {
        QTest::addColumn<bool>("nested");
        QTest::addColumn<bool>("fallback");
        QTest::newRow("config/config.json, nodes format") << true << false;
        QTest::newRow("config.json, fallback format") << false << true;
    }

    void goodDirectory()
    {
        QFETCH(bool, nested);
        QFETCH(bool, fallback);
        QTemporaryDir dir;
        QVERIFY(test::writeGoodDataDir(dir.path(), nested, fallback));
        const Run r = validate(dir.path());
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        checkNoSecret(r);
        QJsonParseError error{};
        const QJsonObject dump = QJsonDocument::fromJson(r.out.toUtf8(), &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(dump.value(QStringLiteral("config"))
                     .toObject()
                     .value(QStringLiteral("metrics_moniker"))
                     .toString(),
                 QStringLiteral("test-mesh"));
        QCOMPARE(
            dump.value(QStringLiteral("servicers")).toObject().value(QStringLiteral("format")).toString(),
            fallback ? QStringLiteral("fallback") : QStringLiteral("nodes"));
        QVERIFY(r.out.contains(test::goldenKey(QStringLiteral("servicer")).addressHex));
        QCOMPARE(dump.value(QStringLiteral("auth"))
                     .toObject()
                     .value(QStringLiteral("mesh"))
                     .toObject()
                     .value(QStringLiteral("token"))
                     .toString(),
                 QStringLiteral("***"));
        QVERIFY(r.err.contains(QLatin1String("configuration OK")));
    }

    void warningsDoNotFail()
    {
        QTemporaryDir dir;
        QVERIFY(test::writeGoodDataDir(dir.path(), true));
        QVERIFY(QFile::remove(dir.filePath(QStringLiteral("key/auth.json"))));
        QVERIFY(test::writeFile(dir.path(), QStringLiteral("config/config.json"), R"({
  "chains_name": "chains/chains.json", "auth_token_file": "key/auth.json",
  "servicer_auth_token_file": "key/servicer.json", "metrics_monikor": "typo"
})"));
        const Run r = validate(dir.path());
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.err.contains(
            QLatin1String("warning: config/config.json:3: key \"metrics_monikor\": unknown key")));
        QVERIFY(r.err.contains(QLatin1String("warning: key/auth.json")));
        checkNoSecret(r);
    }

    void badDirectory()
    {
        QTemporaryDir dir;
        QVERIFY(test::writeGoodDataDir(dir.path(), true));
        const test::TestKey s = test::goldenKey(QStringLiteral("servicer"));
        const test::TestKey a = test::goldenKey(QStringLiteral("app"));
        const QString mismatched = s.seedHex + a.publicKeyHex;
        QVERIFY(test::writeFile(dir.path(), QStringLiteral("key/key.json"),
                                QStringLiteral(R"([{"url": "http:\/\/a:8081", "keys": ["%1", "%2"]}])")
                                    .arg(s.privateKeyHex, mismatched)
                                    .toUtf8()));
        QVERIFY(test::writeFile(dir.path(), QStringLiteral("chains/chains.json"),
                                QStringLiteral(R"([{"id": "00211", "url": "http:\/\/u:%1@a:1"}])")
                                    .arg(QLatin1String(test::kUrlPassword))
                                    .toUtf8()));
        QVERIFY(test::writeFile(dir.path(), QStringLiteral("config/config.json"), R"({
  "chains_name": "chains/chains.json", "auth_token_file": "key/auth.json",
  "servicer_auth_token_file": "key/servicer.json", "chain_rpc_timeout": "30s"
})"));
        const Run r = validate(dir.path());
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.out.isEmpty()); // nothing resolved is printed when the directory is not usable
        QVERIFY2(r.err.contains(QLatin1String(
                     "error: config/config.json:3: key \"chain_rpc_timeout\": expected an integer (ms)")),
                 qPrintable(r.err));
        QVERIFY(r.err.contains(QLatin1String("error: chains/chains.json:1: [0].id: chain id \"00211\"")));
        QVERIFY(r.err.contains(
            QStringLiteral("error: key/key.json:1: [0].keys[1]: the public half %1").arg(a.publicKeyHex)));
        QVERIFY(r.err.contains(QLatin1String("3 errors, 0 warnings")));
        checkNoSecret(r);
        QVERIFY(!r.err.contains(mismatched, Qt::CaseInsensitive));
    }

    void missingDirectoryAndFiles()
    {
        QTemporaryDir dir;
        const Run none = validate(dir.filePath(QStringLiteral("nope")));
        QCOMPARE(none.exitCode, 1);
        const Run empty = validate(dir.path());
        QCOMPARE(empty.exitCode, 1);
        QVERIFY(empty.err.contains(QLatin1String("no configuration file: looked for")));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("config/config.json"))));

        QVERIFY(test::writeFile(dir.path(), QStringLiteral("config.json"), "{}"));
        const Run defaults = validate(dir.path());
        QCOMPARE(defaults.exitCode, 1); // chains.json and key/key.json are required
        QVERIFY(defaults.err.contains(QLatin1String("error: chains.json: file not found")));
        QVERIFY(defaults.err.contains(QLatin1String("error: key/key.json: file not found")));
        QVERIFY(defaults.err.contains(QLatin1String("warning: auth/mesh.json")));
    }

    void configTableMatchesCommittedDocs()
    {
        const Run r = runHeadless({QStringLiteral("config-table")});
        QCOMPARE(r.exitCode, 0);
        bool ok = false;
        const QByteArray committed = test::readFile(QStringLiteral(POCKET_SOURCE_DIR "/docs/config.md"), &ok);
        QVERIFY(ok);
        QVERIFY2(r.out.toUtf8() == committed,
                 "docs/config.md is stale: run `pocket-mesh-headless config-table > docs/config.md`");
    }
};

QTEST_GUILESS_MAIN(TestValidateConfig)
#include "tst_validateconfig.moc"
