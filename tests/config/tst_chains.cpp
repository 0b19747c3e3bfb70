// chains.json and the chain name map.
// JSON test data in raw strings writes "://" as ":\/\/" (a JSON escape): Qt 6.4's moc reads "//" inside a raw
// string as a comment and then finds no test class.
#include "config/chains.h"
#include "testsupport.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace pocket;

namespace {

const QString kFile = QStringLiteral("chains/chains.json");

QString allMessages(const ConfigIssues& issues)
{
    QStringList out;
    for (const ConfigIssue& i : issues.all())
        out << i.toString();
    return out.join(QLatin1Char('\n'));
}

} // namespace

class TestChains : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void validFile()
    {
        const auto r = parseChainsFile(R"([
  {"id": "0021", "url": "http:\/\/eth-node:8545", "basic_auth": {"username": "u", "password": "p4ss"}},
  {"ID": "0001", "URL": "https:\/\/pocket.example/v1"},
  {"id": "03DF", "url": "http:\/\/x:1", "basic_auth": null}
])",
                                       kFile);
        QVERIFY2(r.issues.isEmpty(), qPrintable(allMessages(r.issues)));
        QCOMPARE(r.value.size(), 3);
        const ConfiguredChain* eth = r.value.find("0021");
        QVERIFY(eth);
        QCOMPARE(eth->url, QStringLiteral("http://eth-node:8545"));
        QCOMPARE(eth->basicAuthUser, QStringLiteral("u"));
        QCOMPARE(eth->basicAuthPassword, QStringLiteral("p4ss"));
        QVERIFY(r.value.find("0001"));
        QVERIFY(r.value.find("03DF")); // ids are kept as written
        QVERIFY(!r.value.find("0002"));
    }

    void badIdsNameFileIndexAndId()
    {
        const auto r = parseChainsFile(R"([
  {"id": "zz21", "url": "http:\/\/a:1"},
  {"id": "", "url": "http:\/\/a:1"},
  {"id": "0011223344", "url": "http:\/\/a:1"},
  {"id": "021", "url": "http:\/\/a:1"},
  {"id": 21, "url": "http:\/\/a:1"},
  {"url": "http:\/\/a:1"},
  {"id": "0021", "url": "http:\/\/a:1"}
])",
                                       kFile);
        QVERIFY(!r.ok());
        const QList<ConfigIssue> errors = r.issues.errors();
        QCOMPARE(errors.size(), 6); // every bad element, not just the first
        QStringList keys;
        for (const ConfigIssue& e : errors) {
            keys << e.key;
            QCOMPARE(e.file, kFile);
        }
        QCOMPARE(keys, QStringList({"[0].id", "[1].id", "[2].id", "[3].id", "[4].id", "[5].id"}));
        QVERIFY(errors[0].message.contains(QLatin1String("\"zz21\"")));
        QVERIFY(errors[0].message.contains(QLatin1String("1 to 4 bytes")));
        QVERIFY(errors[2].message.contains(QLatin1String("got 5 bytes")));
        QVERIFY(errors[3].message.contains(QLatin1String("odd length")));
        QVERIFY(errors[4].message.contains(QLatin1String("expected a string")));
        QVERIFY(errors[5].message.contains(QLatin1String("missing")));
        QCOMPARE(errors[0].line, 2);
        QCOMPARE(r.value.size(), 1);
    }

    void badUrlsDoNotLeakCredentials()
    {
        const auto r = parseChainsFile(R"([
  {"id": "0021", "url": "ftp:\/\/user:SeCrEt-pw@host/x"},
  {"id": "0022"},
  {"id": "0023", "url": "eth-node:8545"},
  {"id": "0024", "url": "http:\/\/a:1", "basic_auth": {"username": "u", "password": 12345}},
  {"id": "0025", "url": "http:\/\/a:1", "basic_auth": "u:p"}
])",
                                       kFile);
        QCOMPARE(r.issues.errorCount(), 5);
        const QString text = allMessages(r.issues);
        QVERIFY(!text.contains(QLatin1String("SeCrEt-pw")));
        QVERIFY(!text.contains(QLatin1String("12345")));
        QVERIFY2(text.contains(QLatin1String("ftp://***@host/x")), qPrintable(text));
        QVERIFY(text.contains(QLatin1String("[1].url: missing")));
        QVERIFY(text.contains(QLatin1String("[2].url")));
        QVERIFY(text.contains(QLatin1String("[3].basic_auth.password")));
        QVERIFY(text.contains(QLatin1String("[4].basic_auth")));
    }

    void duplicateIdsLastWins()
    {
        const auto r = parseChainsFile(R"([
  {"id": "0021", "url": "http:\/\/first:1"},
  {"id": "0001", "url": "http:\/\/pocket:1"},
  {"id": "0021", "url": "http:\/\/second:1"}
])",
                                       kFile);
        QVERIFY(r.ok());
        QCOMPARE(r.value.size(), 2);
        QCOMPARE(r.value.find("0021")->url, QStringLiteral("http://second:1"));
        QCOMPARE(r.issues.warningCount(), 1);
        QCOMPARE(r.issues.warnings().first().key, QStringLiteral("[2].id"));
        QVERIFY(r.issues.warnings().first().message.contains(QLatin1String("element [0]")));
    }

    void shapes()
    {
        QVERIFY(!parseChainsFile(R"({"id": "0021"})", kFile).ok());
        QVERIFY(!parseChainsFile(R"(["0021"])", kFile).ok());
        QVERIFY(!parseChainsFile("[", kFile).ok());
        QVERIFY(!parseChainsFile("", kFile).ok());
        const auto empty = parseChainsFile("[]", kFile);
        QVERIFY(empty.ok());
        QCOMPARE(empty.issues.warningCount(), 1);
        QVERIFY(empty.issues.warnings().first().message.contains(QLatin1String("no chains")));
        const auto null = parseChainsFile("null", kFile);
        QVERIFY(null.ok());
        QCOMPARE(null.value.size(), 0);
        const auto extra =
            parseChainsFile(R"([{"id": "0021", "url": "http:\/\/a:1", "label": "eth"}])", kFile);
        QVERIFY(extra.ok());
        QCOMPARE(extra.issues.warnings().first().key, QStringLiteral("[0].label"));
    }

    void missingFileIsAnError()
    {
        QTemporaryDir dir;
        const auto r = loadChainsFile(dir.filePath(QStringLiteral("chains.json")), kFile);
        QVERIFY(!r.ok());
        QVERIFY(r.issues.errors().first().message.contains(QLatin1String("not found")));
        QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("chains.json")));
        const auto dirInstead = loadChainsFile(dir.filePath(QStringLiteral("chains.json")), kFile);
        QVERIFY(dirInstead.issues.errors().first().message.contains(QLatin1String("is a directory")));
    }

    void nameMapFormats()
    {
        const auto plain =
            parseChainNameMap(R"({"0021": "Ethereum", "0001": "Pocket"})", QStringLiteral("names.json"));
        QVERIFY(plain.ok());
        QCOMPARE(plain.value.format, ChainNameMap::Format::Plain);
        QCOMPARE(plain.value.names.value(QStringLiteral("0021")), QStringLiteral("Ethereum"));

        const auto rich =
            parseChainNameMap(R"({"0021": {"label": "Ethereum", "id": "0021"}, "0001": {"Label": "Pocket"}})",
                              QStringLiteral("names.json"));
        QVERIFY(rich.ok());
        QCOMPARE(rich.value.format, ChainNameMap::Format::Rich);
        QCOMPARE(rich.value.names.value(QStringLiteral("0001")), QStringLiteral("Pocket"));

        const auto mixed =
            parseChainNameMap(R"({"0021": "Ethereum", "0001": 5})", QStringLiteral("names.json"));
        QVERIFY(!mixed.ok()); // neither all strings (plain) nor all objects (rich)
        QCOMPARE(mixed.issues.errorCount(), 2);
        QCOMPARE(mixed.issues.errors().last().key, QStringLiteral("0001"));
        QVERIFY(!parseChainNameMap(R"(["Ethereum"])", QStringLiteral("names.json")).ok());
        QVERIFY(!parseChainNameMap(R"({"0021": {"label": 1}})", QStringLiteral("names.json")).ok());
    }
};

QTEST_GUILESS_MAIN(TestChains)
#include "tst_chains.moc"
