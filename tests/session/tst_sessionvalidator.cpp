// SessionValidator (PROTOCOL §7.4, DECISIONS 5) against a scripted servicer /v1/private/mesh/session on
// 127.0.0.1: transport errors, 401 and unreadable replies are retried with growing timer delays until the
// servicer answers, and the session then holds the servicer's remaining relays minus the relays still in
// flight; a /session error reply stores its error on the session (read back through SessionCache) and is not
// retried; at most 5 requests are under way (the reference's 5 validation workers, §7.4); the thread's event
// loop keeps running the whole time. The fake servicer lives in the test's own thread, so a validator that
// waited synchronously for a reply would never get one.
#include <QElapsedTimer>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <optional>

#include "http/httpclient.h"
#include "servicer/nodestatus.h"
#include "servicer/servicerclient.h"
#include "session/sessioncache.h"
#include "session/sessionvalidator.h"
#include "httprequestbuffer.h"
#include "testslots.h"
#include "testsupport.h"

using namespace pocket;
using namespace pocket::test;

namespace {

const QByteArray kToken = "session-test-token";
constexpr qint64 kNodeHeight = 10; // B = 4: latest session 9 (PROTOCOL §7.3)
constexpr qint64 kSessionHeight = 9;
constexpr qint64 kAllowance = 250;  // remaining_relays in the servicer's success reply
constexpr int kRelaysPerSession = 3; // admitted before the reply: still in flight when it arrives
// PROTOCOL §7.4: the reference validates with 5 workers; the mesh keeps at most that many requests under way.
constexpr int kDocumentedMaxInFlight = 5;

// What the fake servicer does with one /session request.
struct Step
{
    enum class Kind { Reply, Close, Hold } kind = Kind::Reply;
    int status = 200;
    QByteArray contentType = "application/json; charset=utf-8";
    QByteArray body;
};

Step reply(int status, const QByteArray& body, const QByteArray& contentType = "application/json; charset=utf-8")
{
    return Step{Step::Kind::Reply, status, contentType, body};
}
Step closeWithoutAnswer() { return Step{Step::Kind::Close, 0, {}, {}}; }
Step hold() { return Step{Step::Kind::Hold, 0, {}, {}}; }

// A success reply of PROTOCOL §5.2.2. The dispatch is written compact with sorted keys so that the bytes the
// session stores (re-encoded) can be compared with it.
QByteArray dispatchJson(qint64 blockHeight)
{
    return "{\"block_height\":" + QByteArray::number(blockHeight)
           + ",\"session\":{\"header\":{\"app_public_key\":\"ab\",\"chain\":\"0021\",\"session_height\":9},"
             "\"key\":\"cafe\",\"nodes\":[]}}";
}
QByteArray successBody(qint64 remaining)
{
    return "{\"dispatch\":" + dispatchJson(kNodeHeight) + ",\"error\":null,\"remaining_relays\":"
           + QByteArray::number(remaining) + ",\"success\":true}";
}

// Go strconv.Quote for the plain ASCII messages used here (PROTOCOL §1.4).
QByteArray goQuote(const QString& s)
{
    QByteArray out = "\"";
    for (const char c : s.toUtf8()) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + '"';
}
// A /session error reply of PROTOCOL §5.2.2: the error's message is the multi-line Error() text (§1.4).
QByteArray errorBody(quint32 code, const QString& message, const QByteArray& dispatch)
{
    const QByteArray multiLine = "ERROR:\nCodespace: pocketcore\nCode: " + QByteArray::number(code) + "\nMessage: "
                                 + goQuote(message) + "\n";
    QJsonObject error{{"code", int(code)}, {"codespace", "pocketcore"}, {"message", QString::fromUtf8(multiLine)}};
    return "{\"dispatch\":" + (dispatch.isEmpty() ? QByteArray("null") : dispatch) + ",\"error\":"
           + QJsonDocument(error).toJson(QJsonDocument::Compact) + ",\"remaining_relays\":0,\"success\":false}";
}

struct Received
{
    QByteArray method;
    QByteArray path;
    QByteArray authorization;
    QJsonObject body;
    qint64 atMs = 0; // since the fake was created
};

// The servicer's /v1/private/mesh/session, scripted per request (index counts every request received).
class FakeSessionEndpoint : public QObject
{
public:
    using Script = std::function<Step(int index, const QJsonObject& body)>;

    explicit FakeSessionEndpoint(Script script) : m_script(std::move(script))
    {
        m_clock.start();
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = m_server.nextPendingConnection()) {
                s->setParent(this); // outlives a close() of the listening socket
                connect(s, &QTcpSocket::readyRead, this, [this, s] { onRead(s); });
                connect(s, &QTcpSocket::disconnected, this, [this, s] {
                    m_buffers.remove(s); // a later socket may get the same address
                    s->deleteLater();
                });
            }
        });
    }
    ~FakeSessionEndpoint() override
    {
        for (QTcpSocket* s : findChildren<QTcpSocket*>()) s->disconnect(this);
    }

    bool listen(quint16 port = 0)
    {
        if (!m_server.listen(QHostAddress::LocalHost, port)) return false;
        m_port = m_server.serverPort();
        return true;
    }
    void stopListening() { m_server.close(); }
    quint16 port() const { return m_port; }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }

    const QList<Received>& received() const { return m_received; }
    int requests() const { return int(m_received.size()); }
    int held() const { return int(m_held.size()); }
    int maxHeld() const { return m_maxHeld; }
    qint64 elapsedMs() const { return m_clock.elapsed(); }

    // Answers the oldest held request with `step` (a Reply or a Close); false when none is held.
    bool releaseOldest(const Step& step)
    {
        while (!m_held.isEmpty()) {
            QPointer<QTcpSocket> s = m_held.takeFirst();
            if (!s) continue;
            perform(s, step);
            return true;
        }
        return false;
    }

private:
    void onRead(QTcpSocket* s)
    {
        QByteArray& buf = m_buffers[s];
        buf += s->readAll();
        while (const std::optional<BufferedHttpRequest> request = takeHttpRequest(buf)) {
            Received r;
            r.method = request->method;
            r.path = request->target;
            const QList<QByteArray> authorization = request->headerValues("Authorization");
            r.authorization = authorization.value(authorization.size() - 1); // when repeated, the last
            r.body = QJsonDocument::fromJson(request->body).object();
            r.atMs = m_clock.elapsed();
            const int index = int(m_received.size());
            m_received.append(r);
            const Step step = m_script(index, r.body);
            if (step.kind == Step::Kind::Hold) {
                m_held.append(QPointer<QTcpSocket>(s));
                m_maxHeld = std::max(m_maxHeld, int(m_held.size()));
                return; // nothing more is read from this connection until it is answered
            }
            perform(s, step);
            if (step.kind == Step::Kind::Close) return;
        }
    }

    void perform(QTcpSocket* s, const Step& step)
    {
        if (step.kind == Step::Kind::Close) {
            m_buffers.remove(s);
            s->disconnectFromHost();
            return;
        }
        s->write("HTTP/1.1 " + QByteArray::number(step.status) + " X\r\nContent-Type: " + step.contentType
                 + "\r\nContent-Length: " + QByteArray::number(step.body.size()) + "\r\n\r\n" + step.body);
    }

    QTcpServer m_server;
    quint16 m_port = 0;
    Script m_script;
    QElapsedTimer m_clock;
    QHash<QTcpSocket*, QByteArray> m_buffers;
    QList<Received> m_received;
    QList<QPointer<QTcpSocket>> m_held; // requests read and not answered yet, oldest first
    int m_maxHeld = 0;
};

QByteArray appKey(int i) { return QByteArray::number(i).rightJustified(64, 'a'); }

SessionRequest sessionRequest(const QString& nodeUrl, int app)
{
    SessionRequest r;
    r.appPubKey = appKey(app);
    r.chain = "0021";
    r.sessionHeight = kSessionHeight;
    r.metaHeight = kNodeHeight;
    r.servicerPubKeyHex = QByteArray(64, 'b');
    r.servicerAddressHex = QByteArray(40, 'c');
    r.nodeUrl = nodeUrl;
    return r;
}
QByteArray proof(int app, int i) { return QByteArray::number(app).rightJustified(16, 'p') + QByteArray::number(i).rightJustified(16, 'q'); }

// The mesh side: the control thread's HttpClient, the servicer client, the session cache, a node whose last
// /check put it at height kNodeHeight, and the validator under test.
struct Rig
{
    Rig(const QString& nodeUrl, SessionValidatorOptions options, int timeoutMs = 10000)
        : url(nodeUrl), client(&http, ServicerClientOptions{kToken, "mesh-test", timeoutMs}),
          validator(&client, &cache, &nodes, options)
    {
        NodeStatus node;
        node.url = nodeUrl;
        node.checked = true;
        node.heights = HeightView{kNodeHeight, 4, 0};
        node.connectivityOk = true;
        nodes.upsert(node);
        validator.setObserver([this](const SessionInfo&, bool requeue) { (requeue ? requeues : firstQueues)++; });
    }

    // Admits `relays` relays of app `app` (served optimistically, PROTOCOL §7.4) and returns the session key.
    QByteArray admit(int app, int relays)
    {
        QByteArray key;
        for (int i = 0; i < relays; ++i) {
            const auto a = cache.admit(sessionRequest(url, app), proof(app, i), HeightView{kNodeHeight, 4, 0});
            if (!a) return {};
            if (i == 0 && !a->created) return {};
            key = a->sessionKey;
        }
        return key;
    }

    SessionState state(const QByteArray& key) const
    {
        const auto s = cache.get(key);
        return s ? s->state : SessionState::Invalid;
    }

    QString url;
    HttpClient http;
    ServicerClient client;
    SessionCache cache;
    NodeStatusTable nodes;
    SessionValidator validator;
    int firstQueues = 0;
    int requeues = 0;
};

SessionValidatorOptions fastRetries()
{
    SessionValidatorOptions o;
    o.retryMinMs = 20;
    o.retryMaxMs = 1000;
    return o;
}

QString describe(const std::optional<SessionInfo>& s)
{
    if (!s) return QStringLiteral("no session");
    return QStringLiteral("state %1, attempts %2, remaining %3, error %4")
        .arg(sessionStateName(s->state))
        .arg(s->validationAttempts)
        .arg(s->remainingRelays)
        .arg(s->error ? s->error->toString() : QStringLiteral("none"));
}

} // namespace

class TestSessionValidator : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        const QString why = testSlotMismatch(
            this, {"failuresAreRetriedUntilValid", "errorReplyIsStoredOnTheSession", "atMostFiveInFlight",
                   "neverBlocksTheThread"});
        QVERIFY2(why.isEmpty(), qPrintable(why));
        QCOMPARE(SessionValidatorOptions{}.maxInFlight, kDocumentedMaxInFlight);
    }

    // DECISIONS 5: transport errors, 401 and unreadable replies are retried (timers, growing delays); once the
    // servicer answers, the session is valid with its remaining relays minus the relays still in flight.
    void failuresAreRetriedUntilValid_data()
    {
        QTest::addColumn<QString>("failure");
        QTest::addColumn<int>("timeoutMs");
        const int normal = 10000;
        QTest::newRow("connection refused") << "refused" << normal;
        QTest::newRow("connection closed without an answer") << "closed" << normal;
        QTest::newRow("request timeout") << "timeout" << 300;
        QTest::newRow("401 wrong Authorization (JSON without error)") << "401json" << normal;
        QTest::newRow("401 plain text") << "401text" << normal;
        QTest::newRow("200 unreadable") << "200garbage" << normal;
        QTest::newRow("502 HTML") << "502html" << normal;
        QTest::newRow("500 JSON without an error object") << "500noerror" << normal;
    }

    void failuresAreRetriedUntilValid()
    {
        QFETCH(QString, failure);
        QFETCH(int, timeoutMs);
        constexpr int kFailures = 3;
        const bool refused = failure == QLatin1String("refused");
        FakeSessionEndpoint fake([&](int index, const QJsonObject&) -> Step {
            if (refused || index >= kFailures) return reply(200, successBody(kAllowance));
            if (failure == QLatin1String("closed")) return closeWithoutAnswer();
            if (failure == QLatin1String("timeout")) return hold();
            if (failure == QLatin1String("401json"))
                return reply(401, "{\"code\":401,\"message\":\"wrong Authorization: x\"}");
            if (failure == QLatin1String("401text")) return reply(401, "Unauthorized\n", "text/plain; charset=utf-8");
            if (failure == QLatin1String("200garbage")) return reply(200, "{\"remaining_relays\":12");
            if (failure == QLatin1String("502html"))
                return reply(502, "<html><body>Bad Gateway</body></html>", "text/html");
            return reply(500, "{\"code\":500,\"message\":\"boom\"}");
        });
        QVERIFY(fake.listen());
        if (refused) fake.stopListening(); // the port stays ours to listen on again below

        Rig rig(fake.url(), fastRetries(), timeoutMs);
        QSignalSpy checked(&rig.validator, &SessionValidator::sessionChecked);
        const QByteArray key = rig.admit(1, kRelaysPerSession);
        QVERIFY(!key.isEmpty());
        rig.validator.schedule(key);

        // The failures come and go while the session keeps serving (it stays unvalidated, never invalid).
        QVERIFY2(waitFor([&] { return rig.cache.get(key)->validationAttempts >= kFailures; }, 20000),
                 qPrintable(describe(rig.cache.get(key))));
        QVERIFY(checked.isEmpty());
        QVERIFY(rig.state(key) != SessionState::Invalid);
        QVERIFY(!rig.cache.get(key)->error);
        QVERIFY(rig.cache.admit(sessionRequest(rig.url, 1), proof(1, 100), HeightView{kNodeHeight, 4, 0}));
        if (refused) QVERIFY2(fake.listen(fake.port()), "could not listen again on the refused port");

        QVERIFY2(waitFor([&] { return !checked.isEmpty(); }, 20000), qPrintable(describe(rig.cache.get(key))));
        QCOMPARE(checked.size(), 1);
        QCOMPARE(checked.at(0).at(0).toByteArray(), key);
        QCOMPARE(checked.at(0).at(1).toBool(), true);
        const auto s = rig.cache.get(key);
        QCOMPARE(s->state, SessionState::Valid);
        QVERIFY(!s->error);
        QCOMPARE(s->validationAttempts, kFailures); // one retry per failure, no more
        // kRelaysPerSession + 1 relays of ours are still in flight: they come off the servicer's count.
        QCOMPARE(s->remainingRelays, kAllowance - kRelaysPerSession - 1);
        QCOMPARE(rig.cache.dispatchOf(key), dispatchJson(kNodeHeight));
        QCOMPARE(rig.firstQueues, 1);
        QCOMPARE(rig.requeues, kFailures);
        QCOMPARE(rig.validator.inFlight(), 0);
        QCOMPARE(rig.validator.queued(), 0);

        // Every request went to the servicer's /session with the bare token (PROTOCOL §5.2.2) for this session.
        QCOMPARE(fake.requests(), refused ? 1 : kFailures + 1);
        for (const Received& r : fake.received()) {
            QCOMPARE(r.method, QByteArray("POST"));
            QCOMPARE(r.path, QByteArray("/v1/private/mesh/session"));
            QCOMPARE(r.authorization, kToken);
            const QJsonObject header = r.body.value("session_header").toObject();
            QCOMPARE(header.value("app_public_key").toString().toLatin1(), appKey(1));
            QCOMPARE(header.value("session_height").toInteger(), kSessionHeight);
            QCOMPARE(r.body.value("session_block_height").toInteger(), kSessionHeight);
        }
        // Retries wait on a timer that grows (retryMinMs · 2^attempts), never a tight loop.
        if (!refused) {
            for (int i = 1; i < fake.requests(); ++i) {
                const qint64 gap = fake.received().at(i).atMs - fake.received().at(i - 1).atMs;
                const qint64 atLeast = qint64(fastRetries().retryMinMs) << i;
                QVERIFY2(gap + 2 >= atLeast, qPrintable(QStringLiteral("retry %1 after %2 ms, expected >= %3 ms")
                                                            .arg(i).arg(gap).arg(atLeast)));
            }
        }
        // Nothing is sent again for a validated session.
        QVERIFY(!waitFor([&] { return fake.requests() > (refused ? 1 : kFailures + 1); }, 300));
    }

    // DECISIONS 5 (fixes BUG-2): a /session error reply invalidates the session and stores the servicer's error
    // (plain message, §1.4 multi-line text unwrapped) with its dispatch; later relays get that error; no retry.
    void errorReplyIsStoredOnTheSession_data()
    {
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message"); // PROTOCOL §4.3
        QTest::addColumn<bool>("withDispatch");
        QTest::newRow("90 evidence sealed")
            << 90 << "the evidence is sealed, either max relays reached or claim already submitted" << false;
        QTest::newRow("45 app not found") << 45 << "the app could not be found in the world state" << false;
        QTest::newRow("14 not in the session")
            << 14 << "this node (self) is not responsible for this session provided by the client" << true;
        QTest::newRow("71 over service")
            << 71 << "the max number of relays serviced for this node is exceeded" << true;
    }

    void errorReplyIsStoredOnTheSession()
    {
        QFETCH(int, code);
        QFETCH(QString, message);
        QFETCH(bool, withDispatch);
        const QByteArray dispatch = withDispatch ? dispatchJson(kNodeHeight + 1) : QByteArray();
        FakeSessionEndpoint fake([&](int, const QJsonObject&) { return reply(400, errorBody(quint32(code), message, dispatch)); });
        QVERIFY(fake.listen());
        Rig rig(fake.url(), fastRetries());
        QSignalSpy checked(&rig.validator, &SessionValidator::sessionChecked);
        const QByteArray key = rig.admit(2, kRelaysPerSession);
        QVERIFY(!key.isEmpty());
        rig.validator.schedule(key);

        QVERIFY2(waitFor([&] { return !checked.isEmpty(); }, 20000), qPrintable(describe(rig.cache.get(key))));
        QCOMPARE(checked.at(0).at(0).toByteArray(), key);
        QCOMPARE(checked.at(0).at(1).toBool(), false);
        const auto s = rig.cache.get(key);
        QCOMPARE(s->state, SessionState::Invalid);
        QVERIFY(s->error);
        QCOMPARE(s->error->code, quint32(code));
        QCOMPARE(s->error->codespace, QStringLiteral("pocketcore"));
        QCOMPARE(s->error->message, message);
        if (withDispatch) QCOMPARE(rig.cache.dispatchOf(key), dispatch);
        QCOMPARE(s->validationAttempts, 0);

        // The next relay of that session gets the stored error; a duplicate still gets 37 (PROTOCOL §5.1 step 10).
        const auto next = rig.cache.admit(sessionRequest(rig.url, 2), proof(2, 100), HeightView{kNodeHeight, 4, 0});
        QVERIFY(!next);
        QCOMPARE(next.error().code, quint32(code));
        QCOMPARE(next.error().codespace, QStringLiteral("pocketcore"));
        QCOMPARE(next.error().message, message);
        const auto dup = rig.cache.admit(sessionRequest(rig.url, 2), proof(2, 0), HeightView{kNodeHeight, 4, 0});
        QVERIFY(!dup);
        QCOMPARE(dup.error().code, 37u);

        // Not retried, and scheduling it again sends nothing: the servicer's answer is final.
        rig.validator.schedule(key);
        QVERIFY(!waitFor([&] { return fake.requests() > 1; }, 300));
        QCOMPARE(fake.requests(), 1);
        QCOMPARE(rig.requeues, 0);
        QCOMPARE(checked.size(), 1);
    }

    // PROTOCOL §7.4: the reference's pool has 5 workers; the mesh never has more than 5 /session requests under
    // way, the rest wait in its queue and go out as answers come back.
    void atMostFiveInFlight()
    {
        constexpr int kSessions = 12;
        FakeSessionEndpoint fake([](int, const QJsonObject&) { return hold(); });
        QVERIFY(fake.listen());
        Rig rig(fake.url(), fastRetries());
        QHash<QByteArray, QByteArray> keyOfApp;
        for (int app = 0; app < kSessions; ++app) {
            const QByteArray key = rig.admit(100 + app, 1);
            QVERIFY(!key.isEmpty());
            keyOfApp.insert(appKey(100 + app), key);
            rig.validator.schedule(key);
        }
        QVERIFY2(waitFor([&] { return fake.held() == kDocumentedMaxInFlight; }, 10000),
                 qPrintable(QStringLiteral("%1 held").arg(fake.held())));
        // The event loop goes on (the fake has time to receive more) and still only 5 arrived.
        int ticks = 0;
        QTimer ticker;
        connect(&ticker, &QTimer::timeout, [&] { ++ticks; });
        ticker.start(5);
        QVERIFY(waitFor([&] { return ticks >= 10; }, 10000));
        QCOMPARE(fake.requests(), kDocumentedMaxInFlight);
        QCOMPARE(rig.validator.inFlight(), kDocumentedMaxInFlight);
        QCOMPARE(rig.validator.queued(), kSessions - kDocumentedMaxInFlight);

        // Answer one at a time: each answer lets exactly one more request out.
        int answered = 0;
        while (answered < kSessions) {
            QVERIFY(fake.releaseOldest(reply(200, successBody(kAllowance))));
            ++answered;
            const int expectHeld = std::min(kDocumentedMaxInFlight, kSessions - answered);
            QVERIFY2(waitFor([&] { return fake.held() == expectHeld && rig.validator.inFlight() == expectHeld; }, 10000),
                     qPrintable(QStringLiteral("after %1 answers: %2 held, %3 in flight")
                                    .arg(answered).arg(fake.held()).arg(rig.validator.inFlight())));
        }
        QVERIFY(waitFor([&] { return rig.validator.validations() == kSessions; }, 10000));
        QCOMPARE(fake.maxHeld(), kDocumentedMaxInFlight);
        QCOMPARE(fake.requests(), kSessions);
        // Each session was asked about exactly once and ended valid.
        QSet<QByteArray> asked;
        for (const Received& r : fake.received())
            asked.insert(r.body.value("session_header").toObject().value("app_public_key").toString().toLatin1());
        QCOMPARE(asked.size(), kSessions);
        for (const QByteArray& key : std::as_const(keyOfApp)) {
            QCOMPARE(rig.state(key), SessionState::Valid);
            QCOMPARE(rig.cache.get(key)->remainingRelays, kAllowance - 1);
        }
    }

    // DECISIONS 5: validation never blocks. While a /session request is unanswered and while a retry waits, the
    // thread's timers keep firing and relays of the session are admitted.
    void neverBlocksTheThread()
    {
        SessionValidatorOptions options;
        options.retryMinMs = 250; // the first retry waits 500 ms: long enough to see the loop run meanwhile
        options.retryMaxMs = 30000;
        FakeSessionEndpoint fake([](int index, const QJsonObject&) {
            return index == 0 ? hold() : reply(200, successBody(kAllowance));
        });
        QVERIFY(fake.listen());
        Rig rig(fake.url(), options);
        int ticks = 0;
        QTimer ticker;
        connect(&ticker, &QTimer::timeout, [&] { ++ticks; });
        ticker.start(10);

        const QByteArray key = rig.admit(3, 1);
        QVERIFY(!key.isEmpty());
        rig.validator.schedule(key);
        QVERIFY(waitFor([&] { return fake.held() == 1; }, 10000));
        QCOMPARE(rig.state(key), SessionState::Validating);
        // Request under way: the loop runs and the session keeps admitting relays.
        int before = ticks;
        QVERIFY(waitFor([&] { return ticks >= before + 10; }, 10000));
        QCOMPARE(rig.state(key), SessionState::Validating);
        QVERIFY(rig.cache.admit(sessionRequest(rig.url, 3), proof(3, 1), HeightView{kNodeHeight, 4, 0}));

        // A 401: the retry waits on a timer, not in a sleep — the loop keeps ticking until it goes out.
        const qint64 answeredAt = fake.elapsedMs(); // the retry timer starts after this answer is read
        QVERIFY(fake.releaseOldest(reply(401, "{\"code\":401,\"message\":\"wrong Authorization: x\"}")));
        QVERIFY(waitFor([&] { return rig.cache.get(key)->validationAttempts == 1; }, 10000));
        before = ticks;
        QVERIFY(waitFor([&] { return fake.requests() == 2; }, 10000));
        const qint64 waited = fake.received().at(1).atMs - answeredAt;
        QVERIFY2(waited + 2 >= qint64(options.retryMinMs) * 2, qPrintable(QString::number(waited)));
        QVERIFY2(ticks - before >= 10, qPrintable(QStringLiteral("%1 ticks in %2 ms").arg(ticks - before).arg(waited)));
        QVERIFY(waitFor([&] { return rig.state(key) == SessionState::Valid; }, 10000));
        QCOMPARE(rig.cache.get(key)->remainingRelays, kAllowance - 2);
    }
};

QTEST_GUILESS_MAIN(TestSessionValidator)
#include "tst_sessionvalidator.moc"
