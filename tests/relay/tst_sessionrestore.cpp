// SessionCache::restore (DECISIONS 3 across restarts): a relay replayed from the outbox rejoins its session's
// duplicate set, counts in flight, and the session is validated once a live relay reaches it.
#include <QTest>

#include "protocol/crypto.h"
#include "session/sessioncache.h"

using namespace pocket;

class TestSessionRestore : public QObject
{
    Q_OBJECT

private:
    static SessionRequest request(qint64 height, qint64 meta = 0)
    {
        return SessionRequest{QByteArray(64, 'a'), "0021", height, meta, QByteArray(64, 'b'), QByteArray(40, 'c'),
                              QStringLiteral("http://node")};
    }
    static QByteArray proof(int i) { return crypto::sha3_256(QByteArray::number(i)); }
    static HeightView node() { return HeightView{10, 4, 1}; } // latest session 9

private Q_SLOTS:
    void restoredProofIsADuplicate()
    {
        SessionCache cache;
        QVERIFY(cache.restore(request(9), proof(1)));
        QCOMPARE(cache.size(), 1);
        const auto dup = cache.admit(request(9, 10), proof(1), node());
        QVERIFY(!dup);
        QCOMPARE(dup.error().code, 37u);
        const QByteArray key = SessionCache::sessionKey(QByteArray(64, 'a'), "0021", 9, QByteArray(64, 'b'));
        QCOMPARE(cache.get(key)->relaysInFlight, 1);
        QCOMPARE(cache.get(key)->state, SessionState::Unvalidated);
    }

    void firstLiveRelayRequestsValidation()
    {
        SessionCache cache;
        QVERIFY(cache.restore(request(9), proof(1)));
        const auto a = cache.admit(request(9, 10), proof(2), node());
        QVERIFY(a);
        QVERIFY(a->created); // the caller schedules the validation of the restored session
        const auto b = cache.admit(request(9, 11), proof(3), node());
        QVERIFY(b);
        QVERIFY(!b->created);
        const auto info = cache.get(a->sessionKey);
        QCOMPARE(info->firstMetaHeight, 10); // from the first live relay: the outbox does not keep the meta
        QCOMPARE(info->relaysInFlight, 3);
    }

    void restoreOfALiveRelayIsANoOp()
    {
        SessionCache cache;
        const auto a = cache.admit(request(9, 10), proof(1), node());
        QVERIFY(a && a->created);
        QVERIFY(!cache.restore(request(9), proof(1)));
        QCOMPARE(cache.get(a->sessionKey)->relaysInFlight, 1);
        QCOMPARE(cache.get(a->sessionKey)->relaysAdmitted, 1);
    }

    void restoredSessionOfAnOldHeightIsKeptUntilDelivered()
    {
        // No height check on restore (the relay was served when its session was current); cleanup keeps the
        // session while its relay is in flight.
        SessionCache cache;
        QVERIFY(cache.restore(request(1), proof(1)));
        const auto expiredView = [](const QString&) -> std::optional<HeightView> { return HeightView{100, 4, 1}; };
        QCOMPARE(cache.cleanup(expiredView), 0);
        const QByteArray key = SessionCache::sessionKey(QByteArray(64, 'a'), "0021", 1, QByteArray(64, 'b'));
        cache.relayDropped(key);
        QCOMPARE(cache.cleanup(expiredView), 1);
    }
};

QTEST_GUILESS_MAIN(TestSessionRestore)
#include "tst_sessionrestore.moc"
