// Sessions and servicer state through the real mesh (PROTOCOL §5.1 steps 4–6, §7, §8; DECISIONS 1, 4, 6):
// a syncing or starting servicer refuses relays with the reference texts, a failing chain still leads to a
// notification, the relay allowance ends in 71 with the session's dispatch, a sealed session ends in 90,
// an optimistic next-session relay is notified only once the servicer reached that session, relays of the
// previous session are still delivered and those of an expired session are dropped. The emulator's block
// clock is frozen (--block-ms 0); the test moves it with /admin/height.
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTest>

#include "meshnet.h"
#include "protocol/crypto.h"
#include "testsupport.h"

using namespace pocket;
using namespace pocket::test;

namespace {
const QString kMsg28Timeout = QStringLiteral("error executing the http request: request timeout for CHAIN=0021 PATH= METHOD=POST");
const QString kMsg60 = QStringLiteral("the block height passed is invalid");
const QString kMsg71 = QStringLiteral("the max number of relays serviced for this node is exceeded");
const QString kMsg90 = QStringLiteral("the evidence is sealed, either max relays reached or claim already submitted");
const QString kSyncing = QStringLiteral("pocket node is currently syncing to the blockchain, cannot service in this state");
const QString kStarting = QStringLiteral(
    "pocket node is unable to retrieve synced status from tendermint node, cannot service in this state");
constexpr int kChainTimeoutMs = 1000;
} // namespace

class TestRelaySessions : public QObject
{
    Q_OBJECT

private:
    MeshNet m_net;
    VectorKeys m_keys;
    qint64 m_blocksPerSession = 0;
    qint64 m_entropy = 31337;
    QSet<QByteArray> m_expectedEvidence; // proof hashes the servicer must end up with

    Relay relay(const VectorKeys& keys, qint64 sessionHeight, const QByteArray& chain = "0021", int id = 1)
    {
        Payload p;
        p.data = QByteArray("{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],\"id\":")
                 + QByteArray::number(id) + '}';
        p.method = "POST";
        return craftRelay(keys, p, sessionHeight, ++m_entropy, chain);
    }

    QString serve(const Relay& r, const VectorKeys& keys)
    {
        const QString why =
            checkRelaySuccess(m_net.postRelay(jsRelayBody(r)), proofHashHexOf(r), keys.servicer.publicKeyHex);
        if (why.isEmpty()) m_expectedEvidence.insert(proofHashHexOf(r));
        return why;
    }

    QJsonObject node()
    {
        return m_net.meshHealth().value("nodes").toArray().first().toObject();
    }

    bool outboxEmpty()
    {
        return m_net.meshHealth().value("outbox").toObject().value("depth").toInt(-1) == 0;
    }

    // Moves the emulator to `height` and waits until the mesh's /check saw it.
    bool moveTo(qint64 height)
    {
        const QJsonObject moved = m_net.emulatorAdmin("POST", "/admin/height", {{"height", double(height)}});
        if (qint64(moved.value("height").toDouble()) != height) return false;
        return waitFor([&] { return qint64(node().value("height").toDouble()) == height; }, 60000);
    }

    qint64 latestSession() { return qint64(m_net.emulatorAdmin("GET", "/admin/state").value("latest_session_height").toDouble()); }

    void compareEvidence()
    {
        QVERIFY2(waitFor([&] { return outboxEmpty(); }, 120000), qPrintable(m_net.meshLogTail()));
        QSet<QByteArray> stored;
        const QStringList hashes = evidenceProofHashes(m_net.evidence());
        for (const QString& h : hashes) stored.insert(h.toLatin1());
        QCOMPARE(hashes.size(), int(stored.size())); // no proof twice
        QCOMPARE(stored, m_expectedEvidence);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(crypto::init());
        m_keys = vectorKeys();
        QString error;
        QVERIFY2(m_net.startLocalnet({}, &error), qPrintable(error));
        const QJsonObject state = m_net.emulatorAdmin("GET", "/admin/state");
        QCOMPARE(qint64(state.value("latest_session_height").toDouble()), m_keys.sessionHeight);
        m_blocksPerSession = qint64(state.value("blocks_per_session").toDouble());
        QCOMPARE(state.value("client_session_sync_allowance").toInt(), 1);
        QVERIFY2(m_net.patchMeshConfig({{"chain_rpc_timeout", kChainTimeoutMs}}, &error), qPrintable(error));
        QVERIFY2(m_net.startMesh(&error), qPrintable(error));
    }

    void servicerNotReadyRefusesRelays()
    {
        const Relay r = relay(m_keys, m_keys.sessionHeight);
        m_net.emulatorAdmin("POST", "/admin/status", {{"is_catching_up", true}});
        QVERIFY2(waitFor([&] { return node().value("error").toString() == kSyncing; }, 60000),
                 qPrintable(QJsonDocument(node()).toJson()));
        QString why = checkRelayError(m_net.postRelay(jsRelayBody(r)), 1, "sdk", kSyncing);
        QVERIFY2(why.isEmpty(), qPrintable(why));

        m_net.emulatorAdmin("POST", "/admin/status", {{"is_starting", true}});
        QVERIFY2(waitFor([&] { return node().value("error").toString() == kStarting; }, 60000),
                 qPrintable(QJsonDocument(node()).toJson()));
        why = checkRelayError(m_net.postRelay(jsRelayBody(r)), 1, "sdk", kStarting);
        QVERIFY2(why.isEmpty(), qPrintable(why));

        // Back to normal: the very same relay is served (the refused attempts were not admitted).
        m_net.emulatorAdmin("POST", "/admin/status", {{"is_starting", false}, {"is_catching_up", false}});
        QVERIFY2(waitFor([&] { return node().value("available").toBool(); }, 60000),
                 qPrintable(QJsonDocument(node()).toJson()));
        why = serve(r, m_keys);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        compareEvidence();
    }

    void failingChainStillNotified()
    {
        // A chain that answers 500 with a body: still a signed 200 with that body (PROTOCOL §2.2).
        m_net.chainAdmin("POST", "/admin/config", {{"error_rate", 1.0}});
        const Relay r500 = relay(m_keys, m_keys.sessionHeight);
        QString why = serve(r500, m_keys);
        QVERIFY2(why.isEmpty(), qPrintable(why));

        // A chain that never answers: 28 after chain_rpc_timeout, and the relay is notified anyway
        // (the servicer credits it, PROTOCOL §5.1 step 9).
        m_net.chainAdmin("POST", "/admin/config", {{"error_rate", 0.0}, {"hang_rate", 1.0}});
        const Relay hung = relay(m_keys, m_keys.sessionHeight);
        why = checkRelayError(m_net.postRelay(jsRelayBody(hung)), 28, "pocketcore", kMsg28Timeout);
        m_net.chainAdmin("POST", "/admin/config", {{"hang_rate", 0.0}});
        QVERIFY2(why.isEmpty(), qPrintable(why));
        m_expectedEvidence.insert(proofHashHexOf(hung));
        compareEvidence();
    }

    void allowanceEndsIn71WithTheDispatch()
    {
        // Another app with an allowance of 20 relays per servicer and session.
        const int allowance = 20;
        const VectorKeys app2 = withApp(m_keys, testKeyFromLabel("pocket-mesh relay tests / app 2"));
        const QJsonObject staked = m_net.emulatorAdmin(
            "POST", "/admin/apps", {{"public_key", QString::fromLatin1(app2.app.publicKeyHex)}, {"max_relays", allowance}});
        QVERIFY(!staked.isEmpty());
        // One at a time: the first relays are served before the session is validated (optimistically), the
        // allowance then counts them (PROTOCOL §7.4).
        // The servicer holds notifications back for 1.5 s, so none is counted while the mesh's /session request
        // is under way and the allowance is exact. (A notification delivered during that request may have been
        // counted by the servicer or not; the mesh then counts it twice on purpose and may serve one relay fewer,
        // never one more: SessionCache::validated, unit test deliveriesDuringValidationComeOffTheAllowance.)
        const QJsonObject delayed =
            m_net.emulatorAdmin("POST", "/admin/delay", {{"ms", 1500}, {"path", "/v1/private/mesh/relay"}});
        QVERIFY(!delayed.isEmpty());
        int served = 0;
        Answer last;
        for (int i = 0; i < allowance + 5; ++i) {
            const Relay r = relay(app2, m_keys.sessionHeight);
            last = m_net.postRelay(jsRelayBody(r));
            if (last.status != 200) break;
            const QString why = checkRelaySuccess(last, proofHashHexOf(r), app2.servicer.publicKeyHex);
            QVERIFY2(why.isEmpty(), qPrintable(why));
            m_expectedEvidence.insert(proofHashHexOf(r));
            ++served;
        }
        const QJsonObject undelayed = m_net.emulatorAdmin("POST", "/admin/delay", {{"ms", 0}});
        QVERIFY(!undelayed.isEmpty());
        QCOMPARE(served, allowance);
        const QString why = checkRelayError(last, 71, "pocketcore", kMsg71, false);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        // 71 warrants a dispatch: the session's, from the servicer's /session answer (DECISIONS 1).
        const QJsonObject dispatch = last.json().value("dispatch").toObject();
        QVERIFY2(dispatch.contains("block_height") && dispatch.value("session").toObject().contains("header"),
                 last.body.constData());
        QCOMPARE(dispatch.value("session").toObject().value("header").toObject().value("app_public_key").toString()
                     .toLatin1(),
                 app2.app.publicKeyHex);
        compareEvidence();
        const QJsonObject ev = m_net.evidence();
        QVERIFY2(ev.value("total_rejected").toInt() == 0, QJsonDocument(ev.value("rejected_by_code").toObject()).toJson().constData());
    }

    void sealedSessionEndsIn90()
    {
        const QJsonObject sealed = m_net.emulatorAdmin(
            "POST", "/admin/seal",
            {{"app_public_key", QString::fromLatin1(m_keys.app.publicKeyHex)}, {"chain", "0001"},
             {"session_height", double(m_keys.sessionHeight)}});
        QVERIFY(sealed.value("sealed").toBool());
        // The first relay of the session is served (the mesh cannot know yet); the servicer refuses it with
        // 90, which invalidates the session in the mesh; the next relay gets 90 without reaching the chain.
        const Relay first = relay(m_keys, m_keys.sessionHeight, "0001");
        const QString whyFirst =
            checkRelaySuccess(m_net.postRelay(jsRelayBody(first)), proofHashHexOf(first), m_keys.servicer.publicKeyHex);
        QVERIFY2(whyFirst.isEmpty(), qPrintable(whyFirst));
        QVERIFY2(waitFor([&] { return outboxEmpty(); }, 120000), qPrintable(m_net.meshLogTail()));
        const Relay second = relay(m_keys, m_keys.sessionHeight, "0001");
        const QString why = checkRelayError(m_net.postRelay(jsRelayBody(second)), 90, "pocketcore", kMsg90);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        QVERIFY(m_net.evidence().value("rejected_by_code").toObject().value("90").toInt() >= 1);
        compareEvidence(); // neither is evidence
    }

    void badMetaInvalidatesTheSessionWith75()
    {
        // The mesh does not check meta.block_height (PROTOCOL §13): it serves the relay, the servicer refuses
        // the notification with 75, which invalidates the whole session; later relays get 75 with the
        // servicer's dispatch (75 warrants one, DECISIONS 1).
        const VectorKeys app3 = withApp(m_keys, testKeyFromLabel("pocket-mesh relay tests / app 3"));
        QVERIFY(!m_net.emulatorAdmin("POST", "/admin/apps", {{"public_key", QString::fromLatin1(app3.app.publicKeyHex)}})
                     .isEmpty());
        Payload p;
        p.data = "{\"jsonrpc\":\"2.0\",\"method\":\"eth_chainId\",\"params\":[],\"id\":1}";
        p.method = "POST";
        const Relay bad = craftRelay(app3, p, m_keys.sessionHeight, ++m_entropy, "0021", m_keys.sessionHeight - 100);
        const QString whyBad =
            checkRelaySuccess(m_net.postRelay(jsRelayBody(bad)), proofHashHexOf(bad), app3.servicer.publicKeyHex);
        QVERIFY2(whyBad.isEmpty(), qPrintable(whyBad));
        QVERIFY2(waitFor([&] { return outboxEmpty(); }, 120000), qPrintable(m_net.meshLogTail()));
        const Answer a = m_net.postRelay(jsRelayBody(relay(app3, m_keys.sessionHeight)));
        const QString why = checkRelayError(
            a, 75, "pocketcore", QStringLiteral("the request block height is out of sync with the current block height"),
            false);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        QVERIFY2(a.json().value("dispatch").toObject().contains("block_height"), a.body.constData());
        QCOMPARE(m_net.evidence().value("rejected_by_code").toObject().value("75").toInt(), 1);
        compareEvidence();
    }

    void servicerSyncingWhileNotifying()
    {
        // Notifications meet a servicer that is catching up (a plain error, "error":{} → code 0): retried, and
        // delivered once it is synced again.
        m_net.emulatorAdmin("POST", "/admin/fail", {{"status", 500}, {"ms", 3600000}, {"path", "/v1/private/mesh/relay"}});
        for (int i = 0; i < 5; ++i) {
            const QString why = serve(relay(m_keys, m_keys.sessionHeight, "0021", 300 + i), m_keys);
            QVERIFY2(why.isEmpty(), qPrintable(why));
        }
        m_net.emulatorAdmin("POST", "/admin/status", {{"is_catching_up", true}});
        m_net.emulatorAdmin("POST", "/admin/fail", {{"ms", 0}, {"count", 0}});
        const int plainBefore = m_net.evidence().value("rejected_by_code").toObject().value("plain").toInt();
        QVERIFY(waitFor([&] {
            return m_net.evidence().value("rejected_by_code").toObject().value("plain").toInt() >= plainBefore + 10;
        }, 60000));
        QCOMPARE(m_net.meshHealth().value("outbox").toObject().value("depth").toInt(), 5);
        m_net.emulatorAdmin("POST", "/admin/status", {{"is_catching_up", false}});
        compareEvidence();
    }

    void optimisticNextSessionWaitsForTheServicer()
    {
        // The servicer on the last block of its session: the mesh serves the next session already
        // (PROTOCOL §7.3) but notifies only once the servicer is there (DECISIONS 6); sent earlier, the
        // servicer would refuse it with 60 and it would be lost.
        const qint64 current = latestSession();
        const qint64 lastBlock = current + m_blocksPerSession - 1;
        QVERIFY(moveTo(lastBlock));
        const qint64 next = current + m_blocksPerSession;
        const Relay r = relay(m_keys, next);
        const QString why = serve(r, m_keys);
        QVERIFY2(why.isEmpty(), qPrintable(why + "\n" + m_net.meshLogTail()));
        // Two sessions ahead is refused.
        const QString why2 =
            checkRelayError(m_net.postRelay(jsRelayBody(relay(m_keys, next + m_blocksPerSession))), 60, "pocketcore", kMsg60);
        QVERIFY2(why2.isEmpty(), qPrintable(why2));
        // Still waiting for the servicer; several /check rounds go by without a notification.
        const qint64 checksBefore =
            qint64(m_net.emulatorAdmin("GET", "/admin/state").value("requests").toObject().value("mesh_check").toDouble());
        QVERIFY(waitFor([&] {
            return qint64(m_net.emulatorAdmin("GET", "/admin/state").value("requests").toObject().value("mesh_check")
                              .toDouble())
                   >= checksBefore + 3;
        }, 60000));
        QCOMPARE(m_net.meshHealth().value("outbox").toObject().value("depth").toInt(), 1);
        QVERIFY(!evidenceProofHashes(m_net.evidence()).contains(QString::fromLatin1(proofHashHexOf(r))));

        QVERIFY(moveTo(next));
        compareEvidence();
        const QJsonObject ev = m_net.evidence();
        QVERIFY2(ev.value("rejected_by_code").toObject().value("60").toInt() == 0,
                 QJsonDocument(ev.value("rejected_by_code").toObject()).toJson().constData());
    }

    void previousSessionDeliveredExpiredDropped()
    {
        // Notifications fail while the servicer moves one session on: the relays of the previous session are
        // still claimable and are delivered; the mesh no longer serves that session (one session less than
        // the servicer's allowance of 1).
        m_net.emulatorAdmin("POST", "/admin/fail", {{"status", 500}, {"ms", 3600000}, {"path", "/v1/private/mesh/relay"}});
        const qint64 s1 = latestSession();
        QList<Relay> previous;
        for (int i = 0; i < 5; ++i) {
            previous.append(relay(m_keys, s1, "0021", 100 + i));
            const QString why = serve(previous.last(), m_keys);
            QVERIFY2(why.isEmpty(), qPrintable(why));
        }
        QVERIFY(moveTo(s1 + m_blocksPerSession));
        const QString why60 = checkRelayError(m_net.postRelay(jsRelayBody(relay(m_keys, s1))), 60, "pocketcore", kMsg60);
        QVERIFY2(why60.isEmpty(), qPrintable(why60));
        m_net.emulatorAdmin("POST", "/admin/fail", {{"ms", 0}, {"count", 0}});
        compareEvidence();

        // Relays of a session that falls out of the servicer's tolerance while they wait are removed, not
        // sent (DECISIONS 4 c).
        m_net.emulatorAdmin("POST", "/admin/fail", {{"status", 500}, {"ms", 3600000}, {"path", "/v1/private/mesh/relay"}});
        const qint64 s2 = latestSession();
        QSet<QByteArray> expired;
        for (int i = 0; i < 5; ++i) {
            const Relay r = relay(m_keys, s2, "0021", 200 + i);
            const QString why = checkRelaySuccess(m_net.postRelay(jsRelayBody(r)), proofHashHexOf(r),
                                                  m_keys.servicer.publicKeyHex);
            QVERIFY2(why.isEmpty(), qPrintable(why));
            expired.insert(proofHashHexOf(r));
        }
        const int rejectedBefore = m_net.evidence().value("total_rejected").toInt();
        QVERIFY(moveTo(s2 + 2 * m_blocksPerSession));
        QVERIFY2(waitFor([&] { return outboxEmpty(); }, 60000), qPrintable(m_net.meshLogTail()));
        m_net.emulatorAdmin("POST", "/admin/fail", {{"ms", 0}, {"count", 0}});
        compareEvidence();
        const QJsonObject ev = m_net.evidence();
        QCOMPARE(ev.value("total_rejected").toInt(), rejectedBefore); // dropped by the mesh, not refused by the servicer
        for (const QByteArray& h : expired) QVERIFY(!evidenceProofHashes(ev).contains(QString::fromLatin1(h)));
    }

    void servicerNotInTheSession14()
    {
        // A second network where each session has one of two hosted servicers. A relay for the other one is
        // served (the mesh cannot know before /session answers), the servicer refuses the session (14), later
        // relays get 14 at once, and the relay already served is not notified over and over until its session
        // expires: once the servicer refused the whole session with the very code its notification gets, it
        // is dropped.
        MeshNet net;
        QString error;
        QVERIFY2(net.startLocalnet({"--servicers", "2", "--session-nodes", "1"}, &error), qPrintable(error));
        QVERIFY2(net.startMesh(&error), qPrintable(error));
        const Answer d = net.request("POST", net.emulatorUrl() + "/v1/client/dispatch",
                                     "{\"app_public_key\":\"" + m_keys.app.publicKeyHex + "\",\"chain\":\"0021\"}",
                                     {{"Content-Type", "application/json"}});
        const QJsonArray nodes = d.json().value("session").toObject().value("nodes").toArray();
        QCOMPARE(nodes.size(), 1);
        const QByteArray member = nodes.first().toObject().value("public_key").toString().toLatin1();
        bool ok = false;
        const QJsonArray privateKeys = QJsonDocument::fromJson(readFile(net.dataDir() + "/key/key.json", &ok))
                                           .array().first().toObject().value("keys").toArray();
        QVERIFY(ok);
        VectorKeys outsider = m_keys;
        for (const QJsonValue& k : privateKeys) {
            const QByteArray priv = *crypto::hexDecode(k.toString().toLatin1());
            if (crypto::hexEncode(priv.mid(32)) != member) {
                outsider.servicer.privateKey = priv;
                outsider.servicer.publicKeyHex = crypto::hexEncode(priv.mid(32));
            }
        }
        QVERIFY(!outsider.servicer.publicKeyHex.isEmpty() && outsider.servicer.publicKeyHex != member);

        const Relay first = relay(outsider, m_keys.sessionHeight);
        const QString whyFirst = checkRelaySuccess(net.postRelay(jsRelayBody(first)), proofHashHexOf(first),
                                                   outsider.servicer.publicKeyHex);
        QVERIFY2(whyFirst.isEmpty(), qPrintable(whyFirst));
        QVERIFY2(waitFor([&] { return net.meshHealth().value("outbox").toObject().value("depth").toInt(-1) == 0; }, 60000),
                 qPrintable(QJsonDocument(net.evidence().value("rejected_by_code").toObject()).toJson() + net.meshLogTail()));
        const QString why = checkRelayError(net.postRelay(jsRelayBody(relay(outsider, m_keys.sessionHeight))), 14,
                                            "pocketcore",
                                            "this node (self) is not responsible for this session provided by the client",
                                            false);
        QVERIFY2(why.isEmpty(), qPrintable(why));
        const QJsonObject ev = net.evidence();
        QCOMPARE(ev.value("total_accepted").toInt(), 0);
        // A handful of 14s (the /session answer and the notifications before it), not one every retry period.
        QVERIFY2(ev.value("rejected_by_code").toObject().value("14").toInt() < 20,
                 QJsonDocument(ev.value("rejected_by_code").toObject()).toJson().constData());
        QString stop;
        QVERIFY2(net.stopMesh(&stop), qPrintable(stop));
        QVERIFY2(net.stopLocalnet(&stop), qPrintable(stop));
        QVERIFY2(net.sanitizerReports().isEmpty(), qPrintable(net.sanitizerReports().join('\n')));
    }

    void cleanupTestCase()
    {
        QString why;
        QVERIFY2(m_net.shutdown(&why), qPrintable(why));
    }
};

QTEST_GUILESS_MAIN(TestRelaySessions)
#include "tst_relay_sessions.moc"
