// Session height arithmetic (PROTOCOL §7.3), including the reference's fullnode_test.go examples.
#include <QTest>

#include "session/sessionheight.h"

using namespace pocket;

class TestSessionHeight : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void latest_data()
    {
        QTest::addColumn<qint64>("height");
        QTest::addColumn<qint64>("blocks");
        QTest::addColumn<qint64>("latest");
        QTest::newRow("first block") << qint64(1) << qint64(4) << qint64(1);
        QTest::newRow("mid session") << qint64(6) << qint64(4) << qint64(5);
        QTest::newRow("last block of session") << qint64(8) << qint64(4) << qint64(5);
        QTest::newRow("first of next") << qint64(9) << qint64(4) << qint64(9);
        QTest::newRow("B=1") << qint64(77) << qint64(1) << qint64(77);
        QTest::newRow("zero B never divides by zero") << qint64(10) << qint64(0) << qint64(10);
        QTest::newRow("negative B") << qint64(10) << qint64(-3) << qint64(10);
    }
    void latest()
    {
        QFETCH(qint64, height);
        QFETCH(qint64, blocks);
        QFETCH(qint64, latest);
        QCOMPARE(latestSessionHeight(height, blocks), latest);
    }

    void optimistic()
    {
        // fullnode_test.go: B=4, H=8 (latest 5): h=8,9 true; H=5: h=9 false; h=13 false; h=201 false.
        HeightView v{8, 4, 0};
        QVERIFY(optimisticNextSession(8, v));
        QVERIFY(optimisticNextSession(9, v));
        QVERIFY(!optimisticNextSession(13, v));
        QVERIFY(!optimisticNextSession(201, v));
        v.height = 5;
        QVERIFY(!optimisticNextSession(9, v));
    }

    void tolerance()
    {
        HeightView v{10, 4, 0}; // latest 9
        QVERIFY(meshCanServe(9, v));
        QVERIFY(!meshCanServe(5, v));
        QVERIFY(servicerAccepts(9, v));
        QVERIFY(!servicerAccepts(5, v));
        v.sessionSyncAllowance = 2; // mesh serves one session less than the servicer accepts
        QVERIFY(meshCanServe(5, v));
        QVERIFY(!meshCanServe(1, v));
        QVERIFY(servicerAccepts(1, v));
        QVERIFY(!meshCanServe(0, v));
        QVERIFY(!withinTolerance(13, v, 5)); // above latest is never within tolerance
    }

    void expiry()
    {
        HeightView v{10, 4, 1}; // latest 9, the servicer accepts 5 and 9
        QVERIFY(!sessionExpired(9, v));
        QVERIFY(!sessionExpired(5, v));
        QVERIFY(sessionExpired(1, v));
        QVERIFY(!sessionExpired(13, v)); // a future session is not expired
    }
};

QTEST_APPLESS_MAIN(TestSessionHeight)
#include "tst_sessionheight.moc"
