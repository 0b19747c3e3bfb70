// Auth token files: {"Value", "Issued"}, RFC 3339, missing/empty tokens (DECISIONS 8), no token in messages.
#include "config/authtoken.h"
#include "testsupport.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>
#include <unistd.h>

using namespace pocket;

namespace {

const QString kFile = QStringLiteral("auth/mesh.json");
const QString kSecret = QStringLiteral("S6fvg51BOeUO89HafOhF6jPuT");

QString allMessages(const ConfigIssues& issues)
{
    QStringList out;
    for (const ConfigIssue& i : issues.all())
        out << i.toString();
    return out.join(QLatin1Char('\n'));
}

} // namespace

class TestAuthToken : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void seedExampleParses()
    {
        // The seed document's example, with its "-00:00" offset.
        const auto r = parseAuthToken(
            R"({"Value": "S6fvg51BOeUO89HafOhF6jPuT", "Issued": "2022-09-29T00:00:00.000000000-00:00"})",
            kFile);
        QVERIFY(r.ok());
        QVERIFY(r.issues.isEmpty());
        QCOMPARE(r.value.value, kSecret);
        QVERIFY(r.value.issued.has_value());
        QCOMPARE(r.value.issued->toUTC(), QDateTime(QDate(2022, 9, 29), QTime(0, 0), QTimeZone::utc()));
        QVERIFY(r.value.isUsable());
        QVERIFY(r.value.filePresent);
    }

    void keysAreCaseInsensitiveAndIssuedOptional()
    {
        const auto lower = parseAuthToken(R"({"value": "abc", "issued": null})", kFile);
        QVERIFY(lower.ok());
        QCOMPARE(lower.value.value, QStringLiteral("abc"));
        QVERIFY(!lower.value.issued);
        const auto absent = parseAuthToken(R"({"VALUE": "abc"})", kFile);
        QVERIFY(absent.ok());
        QCOMPARE(absent.value.value, QStringLiteral("abc"));
    }

    void rfc3339_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::newRow("utc") << "2022-09-29T00:00:00Z" << true;
        QTest::newRow("nanos and offset") << "2022-09-29T10:11:12.123456789+02:00" << true;
        QTest::newRow("negative zero offset") << "2022-09-29T00:00:00-00:00" << true;
        QTest::newRow("leap day") << "2024-02-29T00:00:00Z" << true;
        QTest::newRow("space") << "2022-09-29 00:00:00Z" << false;
        QTest::newRow("lower t") << "2022-09-29t00:00:00Z" << false;
        QTest::newRow("no zone") << "2022-09-29T00:00:00" << false;
        QTest::newRow("month 13") << "2022-13-01T00:00:00Z" << false;
        QTest::newRow("feb 30") << "2022-02-30T00:00:00Z" << false;
        QTest::newRow("hour 24") << "2022-01-01T24:00:00Z" << false;
        QTest::newRow("second 60") << "2022-01-01T00:00:60Z" << false;
        QTest::newRow("empty fraction") << "2022-01-01T00:00:00.Z" << false;
        QTest::newRow("date only") << "2022-01-01" << false;
        QTest::newRow("empty") << "" << false;
    }

    void rfc3339()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QCOMPARE(parseRfc3339(text).has_value(), valid);
    }

    void badIssuedIsAnError_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::newRow("words") << QByteArray(
            R"({"Value": "S6fvg51BOeUO89HafOhF6jPuT", "Issued": "yesterday"})");
        QTest::newRow("number") << QByteArray(
            R"({"Value": "S6fvg51BOeUO89HafOhF6jPuT", "Issued": 1664409600})");
        QTest::newRow("empty string")
            << QByteArray(R"({"Value": "S6fvg51BOeUO89HafOhF6jPuT", "Issued": ""})");
    }

    void badIssuedIsAnError()
    {
        QFETCH(QByteArray, json);
        const auto r = parseAuthToken(json, kFile);
        QVERIFY(!r.ok());
        const ConfigIssue e = r.issues.errors().first();
        QCOMPARE(e.key, QStringLiteral("Issued"));
        QCOMPARE(e.file, kFile);
        QVERIFY(e.message.contains(QLatin1String("RFC 3339")));
        QVERIFY(!allMessages(r.issues).contains(kSecret));
    }

    void wrongShapes()
    {
        const auto number = parseAuthToken(R"({"Value": 12345678901234})", kFile);
        QVERIFY(!number.ok());
        QCOMPARE(number.issues.errors().first().key, QStringLiteral("Value"));
        QVERIFY(!number.issues.errors().first().message.contains(
            QLatin1String("12345678901234"))); // secret: type only
        QVERIFY(!parseAuthToken(R"(["S6fvg51BOeUO89HafOhF6jPuT"])", kFile).ok());
        QVERIFY(!parseAuthToken(R"({"Value": "abc")", kFile).ok());
        QVERIFY(!parseAuthToken("", kFile).ok());
        const auto unknown = parseAuthToken(R"({"Value": "abc", "Token": "x"})", kFile);
        QVERIFY(unknown.ok());
        QCOMPARE(unknown.issues.warningCount(), 1);
    }

    void missingFilesAreWarnings()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("auth/mesh.json"));
        const auto mesh = loadAuthToken(path, kFile, AuthTokenRole::Mesh);
        QVERIFY(mesh.ok());
        QVERIFY(!mesh.value.isUsable());
        QVERIFY(!mesh.value.filePresent);
        QCOMPARE(mesh.issues.warningCount(), 1);
        const QString meshText = mesh.issues.warnings().first().toString();
        QVERIFY2(meshText.contains(QLatin1String("stay closed")) && meshText.contains(path),
                 qPrintable(meshText));
        QVERIFY(meshText.contains(QLatin1String("Value"))); // says how to create it

        const auto servicer =
            loadAuthToken(path, QStringLiteral("auth/servicer.json"), AuthTokenRole::Servicer);
        QVERIFY(servicer.ok());
        QVERIFY(servicer.issues.warnings().first().message.contains(QLatin1String("401")));
    }

    void emptyTokenIsAWarning()
    {
        QTemporaryDir dir;
        QVERIFY(test::writeFile(dir.path(), QStringLiteral("mesh.json"), R"({"Value": "", "Issued": null})"));
        const auto r = loadAuthToken(dir.filePath(QStringLiteral("mesh.json")), kFile, AuthTokenRole::Mesh);
        QVERIFY(r.ok());
        QVERIFY(r.value.filePresent);
        QVERIFY(!r.value.isUsable());
        QCOMPARE(r.issues.warningCount(), 1);
        QVERIFY(r.issues.warnings().first().message.contains(QLatin1String("empty")));
    }

    void unreadableFileIsAnError()
    {
        QTemporaryDir dir;
        QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("mesh.json")));
        const auto r = loadAuthToken(dir.filePath(QStringLiteral("mesh.json")), kFile, AuthTokenRole::Mesh);
        QVERIFY(!r.ok());
        QVERIFY(r.issues.errors().first().message.contains(QLatin1String("is a directory")));

        if (::geteuid() == 0) QSKIP("running as root: a mode-000 file is still readable");
        QVERIFY(test::writeFile(dir.path(), QStringLiteral("locked.json"), R"({"Value": "abc"})"));
        QFile locked(dir.filePath(QStringLiteral("locked.json")));
        QVERIFY(locked.setPermissions(QFileDevice::Permissions()));
        const auto denied = loadAuthToken(locked.fileName(), kFile, AuthTokenRole::Mesh);
        QVERIFY(!denied.ok());
        QVERIFY(denied.issues.errors().first().message.contains(QLatin1String("cannot be read")));
    }
};

QTEST_GUILESS_MAIN(TestAuthToken)
#include "tst_authtoken.moc"
