// config.json: the declaration table, Go-semantics decoding, checks, log_level syntax, the generated docs.
// JSON test data in raw strings writes "://" as ":\/\/" (a JSON escape): Qt 6.4's moc reads "//" inside a raw
// string as a comment and then finds no test class.
#include "config/meshconfig.h"
#include "testsupport.h"

#include <QRegularExpression>
#include <QSet>
#include <QtTest>

using namespace pocket;

namespace {

struct DocRow
{
    QString key;
    QString type;
    QString defaultValue;
};

// Rows of a Markdown table whose first cell is a snake_case key, between two headings of `path`.
QList<DocRow> markdownRows(const QString& path, const QString& fromHeading, const QString& toHeading)
{
    bool ok = false;
    const QString text = QString::fromUtf8(test::readFile(path, &ok));
    QList<DocRow> rows;
    if (!ok) return rows;
    const qsizetype from = text.indexOf(fromHeading);
    const qsizetype to = text.indexOf(toHeading, from);
    if (from < 0 || to < 0) return rows;
    static const QRegularExpression keyRe(QStringLiteral("^[a-z][a-z0-9_]+$"));
    for (const QString& line : text.mid(from, to - from).split(QLatin1Char('\n'))) {
        if (!line.startsWith(QLatin1Char('|'))) continue;
        const QStringList cells = line.split(QLatin1Char('|'));
        if (cells.size() < 5) continue;
        const QString key = cells[1].trimmed();
        if (!keyRe.match(key).hasMatch()) continue;
        rows.append({key, cells[2].trimmed(), cells[3].trimmed()});
    }
    return rows;
}

QString seedPath()
{
    return test::sharedPath(QStringLiteral("seeds/000_06d7869ad60e4a42.txt"));
}

// The JSON block after a <summary> line of the seed.
QByteArray seedJsonBlock(const QString& summary)
{
    const QString text = QString::fromUtf8(test::readFile(seedPath()));
    const qsizetype at = text.indexOf(summary);
    const qsizetype open = text.indexOf(QLatin1String("```json"), at);
    const qsizetype close = text.indexOf(QLatin1String("```"), open + 7);
    if (at < 0 || open < 0 || close < 0) return {};
    return text.mid(open + 7, close - open - 7).toUtf8();
}

QStringList messages(const ConfigIssues& issues, bool warnings)
{
    QStringList out;
    for (const ConfigIssue& i : issues.all())
        if (i.isWarning == warnings) out << i.toString();
    return out;
}

const QString kFile = QStringLiteral("config/config.json");

} // namespace

class TestMeshConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tableIsConsistent()
    {
        QSet<QString> names;
        QSet<QString> members;
        for (const ConfigKey& key : meshConfigKeys()) {
            const QString name = QString::fromLatin1(key.name);
            QVERIFY2(!names.contains(name), qPrintable(name));
            names.insert(name);
            // Each key has its own member, of the storage type of its declared type.
            const bool isBool = std::holds_alternative<bool MeshConfig::*>(key.member);
            const bool isInt = std::holds_alternative<qint64 MeshConfig::*>(key.member);
            switch (key.type) {
            case ConfigType::Bool:
                QVERIFY2(isBool, qPrintable(name));
                break;
            case ConfigType::Int:
            case ConfigType::DurationMs:
            case ConfigType::DurationS:
                QVERIFY2(isInt, qPrintable(name));
                break;
            default:
                QVERIFY2(!isBool && !isInt, qPrintable(name));
            }
            QCOMPARE(isBool, std::holds_alternative<bool>(key.defaultValue));
            QCOMPARE(isInt, std::holds_alternative<qint64>(key.defaultValue));
            QVERIFY2(qstrlen(key.description) > 0, qPrintable(name));
            if (key.type == ConfigType::DurationMs) QCOMPARE(QByteArray(key.unit), QByteArray("ms"));
            if (key.type == ConfigType::DurationS) QCOMPARE(QByteArray(key.unit), QByteArray("s"));
            static MeshConfig probe;
            const QString memberId = std::visit(
                [](auto m) { return QString::number(reinterpret_cast<quintptr>(&(probe.*m)), 16); },
                key.member);
            QVERIFY2(!members.contains(memberId), qPrintable(name + QStringLiteral(" shares a member")));
            members.insert(memberId);
            QCOMPARE(findConfigKey(name), &key);
            QCOMPARE(findConfigKey(name.toUpper()), &key);
        }
        // Every default passes its own check.
        const ConfigIssues issues = validateMeshConfig(MeshConfig(), kFile);
        QVERIFY2(issues.isEmpty(),
                 qPrintable(messages(issues, false).join('\n') + messages(issues, true).join('\n')));
    }

    void everySeedKeyIsDeclared()
    {
        const QList<DocRow> rows = markdownRows(seedPath(), QStringLiteral("### Config file details"),
                                                QStringLiteral("### Metrics"));
        QVERIFY2(rows.size() >= 45, "the seed's config table could not be read");
        for (const DocRow& row : rows) {
            const ConfigKey* key = findConfigKey(row.key);
            QVERIFY2(key, qPrintable(QStringLiteral("seed key %1 is not declared").arg(row.key)));
            QCOMPARE(QString::fromLatin1(key->name), row.key);
            // Types: String -> string/path/url, Number -> int/duration, Bool -> bool.
            const QString type = row.type.toLower();
            if (type == QLatin1String("bool"))
                QVERIFY2(key->type == ConfigType::Bool, qPrintable(row.key));
            else if (type == QLatin1String("number"))
                QVERIFY2(std::holds_alternative<qint64 MeshConfig::*>(key->member), qPrintable(row.key));
            else
                QVERIFY2(std::holds_alternative<QString MeshConfig::*>(key->member), qPrintable(row.key));
            // The seed's default is the contract (DECISIONS 11): same value, or a note explaining why not.
            if (key->defaultText() != row.defaultValue)
                QVERIFY2(qstrlen(key->note) > 0,
                         qPrintable(QStringLiteral("%1: seed default %2, ours %3, and no note")
                                        .arg(row.key, row.defaultValue, key->defaultText())));
        }
    }

    void everyProtocolKeyIsDeclared()
    {
        const QList<DocRow> rows = markdownRows(test::sharedPath(QStringLiteral("spec/PROTOCOL.md")),
                                                QStringLiteral("### 12.2"), QStringLiteral("### 12.3"));
        QVERIFY2(rows.size() >= 50, "PROTOCOL §12.2 could not be read");
        QCOMPARE(qsizetype(meshConfigKeys().size()), rows.size()); // nothing more, nothing less
        for (const DocRow& row : rows) {
            const ConfigKey* key = findConfigKey(row.key);
            QVERIFY2(key, qPrintable(QStringLiteral("PROTOCOL key %1 is not declared").arg(row.key)));
            QString codeDefault = row.defaultValue;
            codeDefault.remove(QStringLiteral("**")).remove(QLatin1Char('"'));
            if (codeDefault != key->defaultText() &&
                !(codeDefault.isEmpty() && key->defaultText() == QLatin1String("(none)")))
                QVERIFY2(qstrlen(key->note) > 0,
                         qPrintable(QStringLiteral("%1: code default %2, ours %3, and no note")
                                        .arg(row.key, codeDefault, key->defaultText())));
        }
    }

    void defaultsFollowDecision11()
    {
        const MeshConfig c;
        QCOMPARE(c.rpcPort, QStringLiteral("8081"));
        QCOMPARE(c.chainRpcTimeout, 30000);
        QCOMPARE(c.servicerRpcTimeout, 30000);
        QCOMPARE(c.servicerRetryMaxTimes, 10);
        QCOMPARE(c.servicerRetryWaitMin, 5);
        QCOMPARE(c.servicerRetryWaitMax, 1200);
        QCOMPARE(c.nodeCheckInterval, 60);
        QCOMPARE(c.metricsWorkerStrategy, QStringLiteral("lazy"));
        QCOMPARE(c.metricsAttachServicerLabel, false);
        QCOMPARE(c.logLevel, QStringLiteral("*:error"));
        QCOMPARE(c.userAgent, QStringLiteral("mesh-node"));
        QCOMPARE(c.jsonSortRelayResponses, true);
        QCOMPARE(c.clientRpcMaxBytesSize, 1048576);
        QCOMPARE(c.servicerPrivateKeyFile, QStringLiteral("key/key.json"));
        QCOMPARE(c.dataDir, QString());
    }

    void seedSampleConfigsLoadCleanly_data()
    {
        QTest::addColumn<QString>("summary");
        QTest::newRow("minimum") << QStringLiteral("<summary>Minimum Config</summary>");
        QTest::newRow("optimized") << QStringLiteral("<summary>Optimized Configs</summary>");
    }

    void seedSampleConfigsLoadCleanly()
    {
        QFETCH(QString, summary);
        const QByteArray json = seedJsonBlock(summary);
        QVERIFY(!json.isEmpty());
        const MeshConfigLoad load = decodeMeshConfig(json, kFile);
        QVERIFY2(load.issues.isEmpty(), qPrintable(messages(load.issues, false).join('\n') +
                                                   messages(load.issues, true).join('\n')));
        QCOMPARE(load.config.dataDir, QStringLiteral("/home/app/.pocket"));
        QCOMPARE(load.config.servicerPrivateKeyFile, QStringLiteral("key/key.json"));
        if (summary.contains(QLatin1String("Optimized"))) {
            QCOMPARE(load.config.chainRpcTimeout, 80000);
            QCOMPARE(load.config.servicerRetryWaitMax, 180000);
            QCOMPARE(load.config.jsonSortRelayResponses, false);
        }
    }

    void emptyObjectKeepsDefaults()
    {
        const MeshConfigLoad load = decodeMeshConfig("{}", kFile);
        QVERIFY(load.fileUsable);
        QVERIFY(load.issues.isEmpty());
        QCOMPARE(meshConfigToJson(load.config).members.size(), meshConfigToJson(MeshConfig()).members.size());
        QCOMPARE(config::writeJson(meshConfigToJson(load.config)),
                 config::writeJson(meshConfigToJson(MeshConfig())));
    }

    void keysMatchCaseInsensitivelyAndLastDuplicateWins()
    {
        const MeshConfigLoad load = decodeMeshConfig(
            R"({"RPC_PORT": "9001", "Metrics_Moniker": "a", "metrics_moniker": "b"})", kFile);
        QVERIFY(!load.issues.hasErrors());
        QCOMPARE(load.config.rpcPort, QStringLiteral("9001"));
        QCOMPARE(load.config.metricsMoniker, QStringLiteral("b"));
        QCOMPARE(load.issues.warningCount(), 1);
        QVERIFY(load.issues.warnings().first().message.contains(QLatin1String("last value wins")));
    }

    void nullKeepsTheDefault()
    {
        const MeshConfigLoad load =
            decodeMeshConfig(R"({"chain_rpc_timeout": null, "user_agent": null})", kFile);
        QVERIFY(load.issues.isEmpty());
        QCOMPARE(load.config.chainRpcTimeout, 30000);
        QCOMPARE(load.config.userAgent, QStringLiteral("mesh-node"));
    }

    void wrongTypesAreErrorsNamingFileKeyAndExpectation()
    {
        const QByteArray json = R"({
  "rpc_port": 8081,
  "client_rpc_timeout": "120000",
  "chain_rpc_timeout": 1.5,
  "servicer_rpc_timeout": 1e3,
  "log_chain_request": "true",
  "json_sort_relay_responses": 1,
  "user_agent": ["x"],
  "servicer_max_workers": 99999999999999999999,
  "metrics_moniker": "ok"
})";
        const MeshConfigLoad load = decodeMeshConfig(json, kFile);
        const QList<ConfigIssue> errors = load.issues.errors();
        QCOMPARE(errors.size(), 8); // every one is reported, not just the first
        QCOMPARE(load.config.metricsMoniker, QStringLiteral("ok"));
        QCOMPARE(load.config.rpcPort, QStringLiteral("8081")); // rejected values keep the default
        QCOMPARE(load.keysWithErrors.size(), 8);

        QCOMPARE(errors[0].toString(),
                 QStringLiteral(
                     "config/config.json:2: key \"rpc_port\": expected a string, got number 8081 (write the "
                     "port in quotes, e.g. \"8081\")"));
        QCOMPARE(errors[1].key, QStringLiteral("client_rpc_timeout"));
        QCOMPARE(errors[1].message, QStringLiteral("expected an integer (ms), got string \"120000\""));
        QCOMPARE(errors[2].line, 4);
        QVERIFY(errors[2].message.contains(QLatin1String("got number 1.5")));
        QVERIFY(errors[3].message.contains(QLatin1String("got number 1e3")));
        QCOMPARE(errors[4].message, QStringLiteral("expected true or false, got string \"true\""));
        QCOMPARE(errors[5].message, QStringLiteral("expected true or false, got number 1"));
        QCOMPARE(errors[6].message, QStringLiteral("expected a string, got array"));
        QVERIFY(errors[7].message.contains(QLatin1String("fits in 64 bits")));
        for (const ConfigIssue& e : errors)
            QCOMPARE(e.file, kFile);
    }

    void unknownKeysAreWarnings()
    {
        const MeshConfigLoad load =
            decodeMeshConfig(R"({"rpc_prot": "9000", "pocket_config": {"mesh_node": true}})", kFile);
        QVERIFY(!load.issues.hasErrors());
        QCOMPARE(load.issues.warningCount(), 2);
        const QList<ConfigIssue> w = load.issues.warnings();
        QCOMPARE(w[0].key, QStringLiteral("rpc_prot"));
        QVERIFY(w[0].message.contains(QLatin1String("did you mean \"rpc_port\"")));
        QCOMPARE(w[1].key, QStringLiteral("pocket_config"));
        QCOMPARE(load.config.rpcPort, QStringLiteral("8081"));
    }

    void checks_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("key");
        QTest::addColumn<bool>("isError");
        QTest::newRow("port 0") << QByteArray(R"({"rpc_port": "0"})") << "rpc_port" << true;
        QTest::newRow("port 65536") << QByteArray(R"({"rpc_port": "65536"})") << "rpc_port" << true;
        QTest::newRow("port text") << QByteArray(R"({"pocket_prometheus_port": "http"})")
                                   << "pocket_prometheus_port" << true;
        QTest::newRow("port with host") << QByteArray(R"({"rpc_port": ":8081"})") << "rpc_port" << true;
        QTest::newRow("same ports") << QByteArray(R"({"rpc_port": "9000", "pocket_prometheus_port": "9000"})")
                                    << "pocket_prometheus_port" << true;
        QTest::newRow("negative timeout")
            << QByteArray(R"({"client_rpc_timeout": -1})") << "client_rpc_timeout" << true;
        QTest::newRow("huge timeout")
            << QByteArray(R"({"chain_rpc_timeout": 3000000000})") << "chain_rpc_timeout" << true;
        QTest::newRow("check interval 0")
            << QByteArray(R"({"node_check_interval": 0})") << "node_check_interval" << true;
        QTest::newRow("zero workers")
            << QByteArray(R"({"servicer_max_workers": 0})") << "servicer_max_workers" << true;
        QTest::newRow("strategy") << QByteArray(R"({"servicer_worker_strategy": "fast"})")
                                  << "servicer_worker_strategy" << true;
        QTest::newRow("strategy case")
            << QByteArray(R"({"metrics_worker_strategy": "Lazy"})") << "metrics_worker_strategy" << true;
        QTest::newRow("inert strategy") << QByteArray(R"({"session_storage_worker_strategy": "fast"})")
                                        << "session_storage_worker_strategy" << false;
        QTest::newRow("log level") << QByteArray(R"({"log_level": "verbose"})") << "log_level" << true;
        QTest::newRow("log level empty") << QByteArray(R"({"log_level": ""})") << "log_level" << true;
        QTest::newRow("remote map scheme")
            << QByteArray(R"({"remote_chains_name_map": "ftp:\/\/x/map.json"})") << "remote_chains_name_map"
            << true;
        QTest::newRow("empty path") << QByteArray(R"({"chains_name": ""})") << "chains_name" << true;
        QTest::newRow("absolute path")
            << QByteArray(R"({"chains_name": "/etc/chains.json"})") << "chains_name" << false;
        QTest::newRow("retry max below min")
            << QByteArray(R"({"servicer_retry_wait_min": 100, "servicer_retry_wait_max": 10})")
            << "servicer_retry_wait_max" << false;
    }

    void checks()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, key);
        QFETCH(bool, isError);
        const MeshConfigLoad load = decodeMeshConfig(json, kFile);
        QCOMPARE(load.issues.all().size(), 1);
        const ConfigIssue issue = load.issues.all().first();
        QCOMPARE(issue.key, key);
        QCOMPARE(issue.isWarning, !isError);
        QCOMPARE(issue.file, kFile);
        QCOMPARE(issue.line, 1);
    }

    void validValuesPass()
    {
        const MeshConfigLoad load = decodeMeshConfig(R"({"rpc_port": "1", "pocket_prometheus_port": "65535",
            "keys_hot_reload_interval": -1, "chains_hot_reload_interval": 0, "log_level": "*:debug,p2p:none",
            "remote_chains_name_map": "HTTPS:\/\/user:pw@cdn.example/map.json?token=abc",
            "servicer_worker_strategy": "eager", "client_rpc_max_bytes_size": 0})",
                                                     kFile);
        QVERIFY2(load.issues.isEmpty(), qPrintable(messages(load.issues, false).join('\n')));
        QCOMPARE(load.config.clientRpcMaxBytesSize, 1048576); // 0 => 1 MiB (PROTOCOL §12.2)
        QCOMPARE(load.config.keysHotReloadInterval, -1);
        // The dump masks URL credentials.
        const QByteArray dump = config::writeJson(meshConfigToJson(load.config));
        QVERIFY(!dump.contains("pw@"));
        QVERIFY(!dump.contains("abc"));
        QVERIFY(dump.contains("cdn.example/map.json"));
    }

    void logLevelSyntax_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<int>("defaultLevel");
        QTest::addColumn<int>("modules");
        QTest::newRow("bare") << "info" << true << int(LogLevel::Info) << 0;
        QTest::newRow("default") << "*:error" << true << int(LogLevel::Error) << 0;
        QTest::newRow("modules") << "*:debug,p2p:none,mesh:info" << true << int(LogLevel::Debug) << 2;
        QTest::newRow("no star") << "p2p:debug" << true << int(LogLevel::Info) << 1;
        // The seed's "*:info, *:error": tendermint does not trim, so " *" is a module and * stays info.
        QTest::newRow("seed doc") << "*:info, *:error" << true << int(LogLevel::Info) << 1;
        QTest::newRow("empty") << "" << false << 0 << 0;
        QTest::newRow("bad level") << "*:verbose" << false << 0 << 0;
        QTest::newRow("bad module level") << "p2p:warn" << false << 0 << 0;
        QTest::newRow("bare in list") << "info,p2p:debug" << false << 0 << 0;
        QTest::newRow("three parts") << "a:b:c" << false << 0 << 0;
        QTest::newRow("upper case") << "*:INFO" << false << 0 << 0;
    }

    void logLevelSyntax()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QFETCH(int, defaultLevel);
        QFETCH(int, modules);
        const auto spec = parseLogLevel(text);
        QCOMPARE(spec.has_value(), valid);
        if (!valid) {
            QVERIFY(!spec.error().isEmpty());
            return;
        }
        QCOMPARE(int(spec->defaultLevel), defaultLevel);
        QCOMPARE(int(spec->modules.size()), modules);
    }

    void invalidJsonNamesLineAndColumn()
    {
        const MeshConfigLoad load = decodeMeshConfig("{\n  \"rpc_port\": \"8081\",\n}\n", kFile);
        QVERIFY(!load.fileUsable);
        QCOMPARE(load.issues.errorCount(), 1);
        QCOMPARE(
            load.issues.errors().first().toString(),
            QStringLiteral(
                "config/config.json: invalid JSON at line 3, column 1: invalid character '}' looking for "
                "beginning of object key string"));
        const MeshConfigLoad empty = decodeMeshConfig("  \n", kFile);
        QVERIFY(!empty.fileUsable);
        QVERIFY(empty.issues.errors().first().message.contains(QLatin1String("empty")));
        const MeshConfigLoad array = decodeMeshConfig("[]", kFile);
        QVERIFY(!array.fileUsable);
        QVERIFY(array.issues.errors().first().message.contains(QLatin1String("expected a JSON object")));
        const MeshConfigLoad bom = decodeMeshConfig("\xEF\xBB\xBF{}", kFile);
        QVERIFY(bom.issues.errors().first().message.contains(QLatin1String("byte order mark")));
        const MeshConfigLoad trailing = decodeMeshConfig("{} {}", kFile);
        QVERIFY(trailing.issues.errors().first().message.contains(QLatin1String("after top-level value")));
    }

    void markdownTableHasOneRowPerKey()
    {
        const QString table = configMarkdownTable();
        const QStringList lines = table.trimmed().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), qsizetype(meshConfigKeys().size()) + 2);
        for (const ConfigKey& key : meshConfigKeys()) {
            const QString cell = QStringLiteral("| `%1` |").arg(QLatin1String(key.name));
            QCOMPARE(table.count(cell), 1);
            // A note, where there is one, is in the row.
            if (qstrlen(key.note) > 0) {
                const QString row = lines.filter(cell).first();
                QVERIFY2(row.contains(QString::fromUtf8(key.note).left(20)), key.name);
            }
        }
    }

    void committedDocsMatchTheTable()
    {
        bool ok = false;
        const QByteArray committed = test::readFile(QStringLiteral(POCKET_SOURCE_DIR "/docs/config.md"), &ok);
        QVERIFY2(ok, "docs/config.md is missing");
        QVERIFY2(committed == configMarkdownDocument().toUtf8(),
                 "docs/config.md is stale: regenerate it with `pocket-mesh-headless config-table > "
                 "docs/config.md`");
    }
};

QTEST_GUILESS_MAIN(TestMeshConfig)
#include "tst_meshconfig.moc"
