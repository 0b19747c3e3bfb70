// SessionCache: admission order (height 60, duplicate 37, stored error, over-service 71), validation results,
// in-flight accounting and cleanup (PROTOCOL §7, DECISIONS 3, 5, 6).
#include <QTest>

#include "session/sessioncache.h"

using namespace pocket;

namespace {
SessionRequest request(qint64 height)
{
    SessionRequest r;
    r.appPubKey = QByteArray(64, 'a');
    r.chain = "0021";
    r.sessionHeight = height;
    r.metaHeight = height;
    r.servicerPubKeyHex = QByteArray(64, 'b');
    r.servicerAddressHex = QByteArray(40, 'c');
    r.nodeUrl = QStringLiteral("http://node");
    return r;
}
QByteArray proof(int i) { return QByteArray(31, 'p') + char(i); }
} // namespace

class TestSessionCache : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void admitsAndDetectsDuplicates()
    {
        SessionCache cache;
        const HeightView node{10, 4, 0}; // latest 9
        auto first = cache.admit(request(9), proof(1), node);
        QVERIFY(first.has_value());
        QVERIFY(first->created);
        auto second = cache.admit(request(9), proof(2), node);
        QVERIFY(second.has_value());
        QVERIFY(!second->created);
        QCOMPARE(second->sessionKey, first->sessionKey);
        auto dup = cache.admit(request(9), proof(1), node);
        QVERIFY(!dup.has_value());
        QCOMPARE(dup.error().code, 37u);
        QCOMPARE(cache.get(first->sessionKey)->relaysInFlight, 2);
    }

    // A /session reply races with notifications: relays delivered while the request was under way may be
    // missing from the servicer's count. They come off the allowance so the mesh never serves past it.
    void deliveriesDuringValidationComeOffTheAllowance()
    {
        SessionCache cache;
        const HeightView node{10, 4, 0};
        QByteArray key;
        for (int i = 1; i <= 3; ++i) key = cache.admit(request(9), proof(i), node)->sessionKey;
        cache.markValidating(key);   // the servicer will answer "20 left" (it has none of the 3 yet)
        cache.relayDelivered(key);   // two notifications land before that answer is read
        cache.relayDelivered(key);
        cache.validated(key, 20, QByteArray("{}"));
        const auto info = cache.get(key);
        QCOMPARE(info->relaysInFlight, 1);
        QCOMPARE(info->remainingRelays, 17); // 3 served + 17 = the allowance of 20
        // A later validation counts only what was delivered after its own request.
        cache.markValidating(key);
        cache.validated(key, 18, QByteArray("{}")); // the servicer now holds 2
        QCOMPARE(cache.get(key)->remainingRelays, 17);
    }

    void rejectsStaleAndFarFutureHeights()
    {
        SessionCache cache;
        const HeightView node{10, 4, 0};
        QCOMPARE(cache.admit(request(5), proof(1), node).error().code, 60u);
        QCOMPARE(cache.admit(request(13), proof(1), node).error().code, 60u); // H=10 is not a session's last block
        const HeightView lastBlock{12, 4, 0};                                // latest 9, last block
        QVERIFY(cache.admit(request(13), proof(1), lastBlock).has_value()); // optimistic next session
        QCOMPARE(cache.size(), 1);
    }

    void invalidSessionKeepsItsError()
    {
        SessionCache cache;
        const HeightView node{10, 4, 0};
        const auto a = cache.admit(request(9), proof(1), node);
        cache.invalidate(a->sessionKey, PocketError::pocketcore(90), "{\"block_height\":10}");
        const auto b = cache.admit(request(9), proof(2), node);
        QVERIFY(!b.has_value());
        QCOMPARE(b.error().code, 90u);
        QCOMPARE(cache.dispatchOf(a->sessionKey), QByteArray("{\"block_height\":10}"));
        // A duplicate in an invalid session still gets 37 (checked before validity, PROTOCOL §5.1 step 10).
        QCOMPARE(cache.admit(request(9), proof(1), node).error().code, 37u);
    }

    void remainingRelaysCountsInFlight()
    {
        SessionCache cache;
        const HeightView node{10, 4, 0};
        const auto a = cache.admit(request(9), proof(1), node);
        QVERIFY(cache.admit(request(9), proof(2), node));
        cache.validated(a->sessionKey, 3, {}); // servicer: 3 left, 2 of ours still in flight -> 1
        QCOMPARE(cache.get(a->sessionKey)->remainingRelays, 1);
        QCOMPARE(cache.get(a->sessionKey)->state, SessionState::Valid);
        QVERIFY(cache.admit(request(9), proof(3), node));
        const auto over = cache.admit(request(9), proof(4), node);
        QVERIFY(!over.has_value());
        QCOMPARE(over.error().code, 71u);
        cache.release(a->sessionKey, proof(3)); // the relay could not be persisted
        QCOMPARE(cache.get(a->sessionKey)->remainingRelays, 1);
        QVERIFY(cache.admit(request(9), proof(3), node)); // may be retried by the client
    }

    void cleanupKeepsSessionsWithRelaysInFlight()
    {
        SessionCache cache;
        const HeightView node{10, 4, 0};
        const auto a = cache.admit(request(9), proof(1), node);
        const HeightView later{30, 4, 0}; // session 9 expired
        auto heightOf = [&](const QString&) -> std::optional<HeightView> { return later; };
        QCOMPARE(cache.cleanup(heightOf), 0); // relay still in flight
        cache.relayDelivered(a->sessionKey);
        QCOMPARE(cache.cleanup(heightOf), 1);
        QCOMPARE(cache.size(), 0);
        // A node without status is skipped, never a crash (the reference's cleanup crash, PROTOCOL §7.6).
        cache.admit(request(9), proof(2), node);
        cache.relayDropped(cache.snapshot(0, 1).value(0).key);
        QCOMPARE(cache.cleanup([](const QString&) -> std::optional<HeightView> { return std::nullopt; }), 0);
    }

    void sessionsOfOneHeaderShareTheirDispatch()
    {
        // 500 servicer keys in one session header, each validated with its own copy of the same (large)
        // dispatch: one buffer is held, not 500. Memory per session stays small however many nodes it lists.
        SessionCache cache;
        const HeightView node{10, 4, 0};
        const QByteArray nodes = "{\"block_height\":10,\"session\":{\"nodes\":[" + QByteArray(100'000, 'n') + "]}}";
        QList<QByteArray> keys;
        for (int i = 0; i < 500; ++i) {
            SessionRequest r = request(9);
            r.servicerPubKeyHex = QByteArray::number(i).rightJustified(64, '0');
            const auto a = cache.admit(r, proof(i % 200), node);
            QVERIFY(a);
            keys.append(a->sessionKey);
            QByteArray copy(nodes.constData(), nodes.size()); // a distinct buffer, as parsed from each reply
            if (i % 2) cache.validated(a->sessionKey, 100, copy);
            else cache.invalidate(a->sessionKey, PocketError::pocketcore(14), copy);
        }
        QCOMPARE(cache.dispatchStats().buffers, 1);
        QCOMPARE(cache.dispatchStats().bytes, nodes.size());
        QCOMPARE(cache.dispatchOf(keys[0]), nodes);
        QCOMPARE(cache.dispatchOf(keys[499]), nodes);
        QCOMPARE(cache.dispatchOf(keys[0]).constData(), cache.dispatchOf(keys[499]).constData());

        // Another header's dispatch, and a different one in the same header, are separate buffers.
        const auto next = cache.admit(request(13), proof(251), HeightView{12, 4, 0});
        QVERIFY(next);
        cache.validated(next->sessionKey, 5, QByteArray("{\"block_height\":12}"));
        SessionRequest r = request(9);
        r.servicerPubKeyHex = QByteArray(64, 'f');
        const auto changed = cache.admit(r, proof(252), node);
        QVERIFY(changed);
        cache.validated(changed->sessionKey, 5, QByteArray("{\"block_height\":11}"));
        QCOMPARE(cache.dispatchStats().buffers, 3);

        // Once every session of a buffer is gone, the buffer is freed too.
        for (const auto& k : keys) cache.relayDropped(k);
        cache.relayDropped(next->sessionKey);
        cache.relayDropped(changed->sessionKey);
        QCOMPARE(cache.cleanup([](const QString&) -> std::optional<HeightView> { return HeightView{100, 4, 0}; }), 502);
        QCOMPARE(cache.size(), 0);
        QCOMPARE(cache.dispatchStats().buffers, 0);
        QCOMPARE(cache.dispatchStats().bytes, 0);
    }
};

QTEST_APPLESS_MAIN(TestSessionCache)
#include "tst_sessioncache.moc"
