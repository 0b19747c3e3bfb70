// The log ring (admin API `logs`) and the process log handler: one line per event, levels from log_level.
#include <QLoggingCategory>
#include <QTest>
#include <QThread>

#include "log/logring.h"
#include "logging.h"

using namespace pocket;

Q_LOGGING_CATEGORY(lcTest, "pocket.test")
Q_LOGGING_CATEGORY(lcOther, "other.lib")

class TestLogging : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void ringKeepsTheNewestLinesInOrder()
    {
        LogRing ring(3);
        for (int i = 1; i <= 5; ++i) ring.append(LogLine{0, 1000 + i, 'I', QStringLiteral("c"), QString::number(i)});
        QCOMPARE(ring.lastSeq(), 5);
        const auto all = ring.latest(10);
        QCOMPARE(all.size(), 3);
        QCOMPARE(all[0].message, QStringLiteral("3"));
        QCOMPARE(all[2].message, QStringLiteral("5"));
        QCOMPARE(all[2].seq, 5);
        const auto two = ring.latest(2);
        QCOMPARE(two.size(), 2);
        QCOMPARE(two[0].message, QStringLiteral("4"));
        const auto after = ring.latest(10, 4);
        QCOMPARE(after.size(), 1);
        QCOMPARE(after[0].message, QStringLiteral("5"));
        QVERIFY(ring.latest(0).isEmpty());
    }

    void ringFiltersByLevel()
    {
        LogRing ring(10);
        const char levels[] = {'D', 'I', 'W', 'E', 'I'};
        for (char l : levels) ring.append(LogLine{0, 0, l, QStringLiteral("c"), QString(QLatin1Char(l))});
        QCOMPARE(ring.latest(10, 0, 'W').size(), 2);
        QCOMPARE(ring.latest(10, 0, 'I').size(), 4);
        QCOMPARE(ring.latest(10, 0, 'D').size(), 5);
    }

    void ringFromManyThreads()
    {
        LogRing ring(100000);
        QList<QThread*> threads;
        for (int t = 0; t < 4; ++t)
            threads.append(QThread::create([&ring] {
                for (int i = 0; i < 5000; ++i) ring.append(LogLine{0, 0, 'I', QStringLiteral("c"), QStringLiteral("x")});
            }));
        for (auto* t : threads) t->start();
        for (auto* t : threads) {
            t->wait();
            delete t;
        }
        QCOMPARE(ring.lastSeq(), 20000);
        const auto all = ring.latest(100000);
        QCOMPARE(all.size(), 20000);
        for (int i = 0; i < all.size(); ++i) QCOMPARE(all[i].seq, i + 1);
    }

    void formattedLineIsOneLine()
    {
        const LogLine line{1, 0, 'W', QStringLiteral("pocket.mesh"), QStringLiteral("a\nb\r\nc")};
        const QByteArray out = formatLogLine(line);
        QCOMPARE(out, QByteArray("W[1970-01-01T00:00:00.000Z] pocket.mesh a b  c\n"));
        QCOMPARE(out.count('\n'), 1);
    }

    void handlerHonoursLogLevel()
    {
        app::installLogging(QStringLiteral("info"));
        LogRing& ring = app::processLogRing();
        qint64 mark = ring.lastSeq();
        qCDebug(lcTest) << "hidden at info";
        qCInfo(lcTest) << "shown\nat info";
        qCWarning(lcOther) << "other warning";
        auto lines = ring.latest(10, mark);
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lines[0].level, 'I');
        QCOMPARE(lines[0].category, QStringLiteral("pocket.test"));
        QCOMPARE(lines[0].message, QStringLiteral("shown at info"));
        QCOMPARE(lines[1].level, 'W');

        app::installLogging(QStringLiteral("*:debug"));
        mark = ring.lastSeq();
        qCDebug(lcTest) << "shown at debug";
        qCDebug(lcOther) << "other libraries stay quiet at debug";
        lines = ring.latest(10, mark);
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines[0].level, 'D');

        app::installLogging(QStringLiteral("error"));
        mark = ring.lastSeq();
        qCInfo(lcTest) << "hidden at error";
        qCWarning(lcTest) << "shown at error";
        qCCritical(lcTest) << "critical at error";
        lines = ring.latest(10, mark);
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lines[1].level, 'E');

        app::installLogging(QStringLiteral("none"));
        mark = ring.lastSeq();
        qCWarning(lcTest) << "hidden at none";
        qCCritical(lcTest) << "hidden at none";
        QCOMPARE(ring.latest(10, mark).size(), 0);
        app::installLogging(QStringLiteral("info"));
    }
};

QTEST_GUILESS_MAIN(TestLogging)
#include "tst_logging.moc"
