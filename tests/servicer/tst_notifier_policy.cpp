// Notification policy against a scripted servicer (PROTOCOL §8.2, §8.3, §4.4, §5.2.1; DECISIONS 4): the
// per-node in-flight limit, exponential backoff and its cap, Retry-After, the exact request, and the reply
// classification (directly, and end to end through the notifier).
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>
#include <memory>
#include <vector>

#include "protocol/crypto.h"
#include "protocol/relay.h"
#include "scriptedservicer.h"
#include "servicer/notifier.h"
#include "testslots.h"
#include "testsupport.h"

using namespace pocket;
using namespace pocket::test;

namespace {

const QByteArray kJson = "application/json";
const QByteArray kText = "text/plain; charset=utf-8";
const QByteArray kToken = "0f9e8d7c-mesh-servicer-token"; // Authorization is the bare token (PROTOCOL §5.2.1)

// The servicer's 400 body (PROTOCOL §5.2.1), `dispatch` an encoded JSON value.
QByteArray pocketErrorBody(int code, const QByteArray& dispatch = "null")
{
    return "{\"dispatch\":" + dispatch + ",\"error\":{\"code\":" + QByteArray::number(code)
           + ",\"codespace\":\"pocketcore\",\"message\":\"x\"},\"signature\":false}";
}

ScriptedReply reply(int status, const QByteArray& contentType, const QByteArray& body,
                    const QByteArray& retryAfter = {})
{
    ScriptedReply r{status, body, contentType, {}};
    if (!retryAfter.isNull()) r.headers.append({"Retry-After", retryAfter});
    return r;
}

// One servicer reply and how PROTOCOL §4.4 / §8.3 classify it.
struct ReplyCase
{
    const char* name;
    int status;
    QByteArray contentType;
    QByteArray body;
    QByteArray retryAfter; // null: no header
    NotifyVerdict verdict;
    int code;              // the pocket code read from the reply, −1: none read
    int retryAfterSeconds = -1;
    qint64 dispatchHeight = 0;
};

const std::vector<ReplyCase>& replyCases()
{
    static const std::vector<ReplyCase> cases = [] {
        std::vector<ReplyCase> c;
        const QByteArray success = ScriptedReply{}.body;
        c.push_back({"200 success", 200, kJson, success, {}, NotifyVerdict::Delivered, -1});
        c.push_back({"200 body not parsed", 200, kJson, pocketErrorBody(90), {}, NotifyVerdict::Delivered, -1});
        c.push_back({"200 plain text", 200, kText, "", {}, NotifyVerdict::Delivered, -1});
        for (int code : {45, 90, 71, 75})
            c.push_back({"invalidate", 400, kJson, pocketErrorBody(code), {}, NotifyVerdict::RejectedInvalidate, code});
        c.push_back({"71 with a dispatch", 400, kJson,
                     pocketErrorBody(71, "{\"block_height\":123,\"session\":null}"), {},
                     NotifyVerdict::RejectedInvalidate, 71, -1, 123});
        for (int code : {76, 13, 26, 37, 74, 60})
            c.push_back({"drop", 400, kJson, pocketErrorBody(code), {}, NotifyVerdict::Rejected, code});
        c.push_back({"76 json with charset", 400, "application/json; charset=utf-8", pocketErrorBody(76), {},
                     NotifyVerdict::Rejected, 76});
        // Every other code is retried, 0 (a non-sdk error serialised as {}) included.
        c.push_back({"code 0 (empty error object)", 400, kJson, "{\"dispatch\":null,\"error\":{},\"signature\":false}",
                     {}, NotifyVerdict::Retry, 0});
        for (int code : {1, 14, 34, 91})
            c.push_back({"retry code", 400, kJson, pocketErrorBody(code), {}, NotifyVerdict::Retry, code});
        // HTTP ≥ 401: retried, the body is not read.
        c.push_back({"401 wrong auth", 401, kJson, "{\"code\":401,\"message\":\"wrong Authorization: x\"}", {},
                     NotifyVerdict::Retry, -1});
        c.push_back({"401 with pocket error 76", 401, kJson, pocketErrorBody(76), {}, NotifyVerdict::Retry, -1});
        c.push_back({"403", 403, kText, "forbidden", {}, NotifyVerdict::Retry, -1});
        c.push_back({"404 text", 404, kText, "404 page not found", {}, NotifyVerdict::Retry, -1});
        c.push_back({"404 with pocket error 90", 404, kJson, pocketErrorBody(90), {}, NotifyVerdict::Retry, -1});
        c.push_back({"500 text", 500, kText, "oops", {}, NotifyVerdict::Retry, -1});
        c.push_back({"500 with pocket error 76", 500, kJson, pocketErrorBody(76), {}, NotifyVerdict::Retry, -1});
        c.push_back({"502", 502, kText, "bad gateway", {}, NotifyVerdict::Retry, -1});
        // 400 the mesh cannot read: retried.
        c.push_back({"400 not JSON content type", 400, kText, pocketErrorBody(76), {}, NotifyVerdict::Retry, -1});
        c.push_back({"400 invalid JSON", 400, kJson, "not json {", {}, NotifyVerdict::Retry, -1});
        c.push_back({"400 empty body", 400, kJson, "", {}, NotifyVerdict::Retry, -1});
        c.push_back({"400 JSON array", 400, kJson, "[]", {}, NotifyVerdict::Retry, -1});
        c.push_back({"400 error null", 400, kJson, "{\"dispatch\":null,\"error\":null,\"signature\":false}", {},
                     NotifyVerdict::Retry, -1});
        c.push_back({"400 no error key", 400, kJson, "{\"signature\":false}", {}, NotifyVerdict::Retry, -1});
        c.push_back({"400 error is a string", 400, kJson, "{\"error\":\"76\"}", {}, NotifyVerdict::Retry, -1});
        // Retry-After: numeric, on 429/503 only (PROTOCOL §8.3).
        c.push_back({"503 Retry-After 1", 503, kText, "busy", "1", NotifyVerdict::Retry, -1, 1});
        c.push_back({"429 Retry-After 2", 429, kText, "slow down", " 2 ", NotifyVerdict::Retry, -1, 2});
        c.push_back({"503 Retry-After 0", 503, kText, "busy", "0", NotifyVerdict::Retry, -1, 0});
        c.push_back({"503 without Retry-After", 503, kText, "busy", {}, NotifyVerdict::Retry, -1, -1});
        c.push_back({"500 Retry-After ignored", 500, kText, "oops", "1", NotifyVerdict::Retry, -1, -1});
        c.push_back({"429 Retry-After date ignored", 429, kText, "", "Wed, 21 Oct 2015 07:28:00 GMT",
                     NotifyVerdict::Retry, -1, -1});
        c.push_back({"503 Retry-After negative ignored", 503, kText, "", "-1", NotifyVerdict::Retry, -1, -1});
        return c;
    }();
    return cases;
}

QString rowName(const ReplyCase& c)
{
    return c.code >= 0 ? QStringLiteral("%1 (HTTP %2, code %3)").arg(QLatin1String(c.name)).arg(c.status).arg(c.code)
                       : QStringLiteral("%1 (HTTP %2)").arg(QLatin1String(c.name)).arg(c.status);
}

// A notifier wired to one scripted servicer per node (same wiring as MeshNode: one ServicerClient, one
// HttpClient, the node status table, the session cache, an outbox).
struct Fixture
{
    Fixture(std::vector<ScriptedServicer::Script> scripts, NotifierOptions options,
            HeightView heights = HeightView{10, 4, 1}) // latest session 9, session 5 still claimable
        : outbox(RelayOutboxOptions{dir.filePath(QStringLiteral("o.sqlite")), 3600, 2000, 5000, 2})
    {
        for (size_t i = 0; i < scripts.size(); ++i) {
            servicers.push_back(std::make_unique<ScriptedServicer>(std::move(scripts[i])));
            ServicerIdentity id;
            id.publicKeyHex = QByteArray(64, char('1' + i));
            id.publicKey = QByteArray::fromHex(id.publicKeyHex); // the key ring's own key: one entry per key
            id.addressHex = QByteArray(40, char('a' + i));
            id.nodeUrl = servicers.back()->url();
            identities.append(id);
            NodeStatus status;
            status.url = id.nodeUrl;
            status.checked = true;
            status.heights = heights;
            nodes.upsert(status);
        }
        rebuildKeys();
        client = std::make_unique<ServicerClient>(&http, ServicerClientOptions{kToken});
        notifier = std::make_unique<Notifier>(client.get(), &sessions, &nodes, &outbox, [this] { return keys; },
                                              options);
        QObject::connect(notifier.get(), &Notifier::relayFinished, notifier.get(),
                         [this](const QByteArray& hash, const QString& outcome) { finished.insert(hash, outcome); });
    }
    void rebuildKeys()
    {
        auto ring = std::make_shared<KeyRing>();
        for (const ServicerIdentity& id : std::as_const(identities)) ring->add(id);
        keys = ring;
    }
    OutboxRelay relay(int i, int node = 0, qint64 sessionHeight = 9) const
    {
        OutboxRelay r;
        r.proofHash = crypto::sha3_256(QByteArray::number(node) + '/' + QByteArray::number(i));
        r.nodeUrl = identities[node].nodeUrl;
        r.servicerAddress = identities[node].addressHex;
        r.chain = "0021";
        r.appPubKey = QByteArray(64, 'f');
        r.sessionHeight = sessionHeight;
        r.body = crypto::hexEncode(r.proofHash); // tells the relays apart at the servicer
        r.createdMs = 1000 + i;
        return r;
    }
    QByteArray sessionKey(const OutboxRelay& r, int node = 0) const
    {
        return SessionCache::sessionKey(r.appPubKey, r.chain, r.sessionHeight, identities[node].publicKeyHex);
    }
    NodeQueueStats stats(int node = 0) const
    {
        for (const NodeQueueStats& s : notifier->stats())
            if (s.nodeUrl == identities[node].nodeUrl) return s;
        return {};
    }
    // The arrival times (servicer clock) of the attempts that carried `body`.
    QList<qint64> attemptTimes(const QByteArray& body, int node = 0) const
    {
        QList<qint64> times;
        for (const ServicerRequest& r : servicers[node]->requests())
            if (r.body == body) times << r.atMs;
        return times;
    }

    QTemporaryDir dir;
    std::vector<std::unique_ptr<ScriptedServicer>> servicers;
    QList<ServicerIdentity> identities;
    RelayOutbox outbox;
    KeyRingPtr keys;
    NodeStatusTable nodes;
    SessionCache sessions;
    HttpClient http;
    std::unique_ptr<ServicerClient> client;
    std::unique_ptr<Notifier> notifier;
    QHash<QByteArray, QString> finished; // proof hash -> "delivered" or a removal reason
};

QString gapsText(const QList<qint64>& times)
{
    QStringList gaps;
    for (qsizetype i = 1; i < times.size(); ++i) gaps << QString::number(times[i] - times[i - 1]);
    return QStringLiteral("gaps (ms): ") + gaps.join(QLatin1Char(' '));
}

} // namespace

class TestNotifierPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        const QString why = testSlotMismatch(this, {"inFlightLimitedPerNode", "backoffDoublesUpToTheCap",
                                                    "retryAfterIsHonoured", "requestIsExactlyTheStoredRelay",
                                                    "classifyNotifyReply", "replyClassEndToEnd"});
        QVERIFY2(why.isEmpty(), qPrintable(why));
    }

    void inFlightLimitedPerNode()
    {
        // PROTOCOL §8.2: at most servicer_max_workers notifications under way per node, every relay delivered.
        // Both servicers hold their answers until released: each must sit at the limit at the same time (the
        // limit is per node, not shared), and never get more than it.
        constexpr int kLimit = 3;
        constexpr int kRelays = 10;
        NotifierOptions options;
        options.maxInFlightPerNode = kLimit;
        auto ok = [](const ServicerRequest&, int) { return ScriptedReply{}; };
        Fixture f({ok, ok}, options);
        QVERIFY(f.outbox.open());
        for (auto& s : f.servicers) s->setHolding(true);
        for (int i = 0; i < kRelays; ++i)
            for (int node = 0; node < 2; ++node) f.notifier->submit(f.relay(i, node));

        QVERIFY2(waitFor([&] { return f.servicers[0]->held() == kLimit && f.servicers[1]->held() == kLimit; }),
                 qPrintable(QStringLiteral("held %1 and %2, limit %3")
                                .arg(f.servicers[0]->held()).arg(f.servicers[1]->held()).arg(kLimit)));
        for (int node = 0; node < 2; ++node) {
            const NodeQueueStats s = f.stats(node);
            QCOMPARE(s.inFlight, kLimit);
            QCOMPARE(s.queued, kRelays - kLimit); // the rest waits in the queue, not on the wire
        }
        // Answer one at a time: the next relay goes out, the node stays at the limit until the queue runs dry.
        for (int answered = 0; answered < kRelays; ++answered) {
            for (int node = 0; node < 2; ++node) {
                ScriptedServicer& s = *f.servicers[node];
                const int expected = std::min(kLimit, kRelays - answered);
                QVERIFY2(waitFor([&] { return s.held() == expected; }),
                         qPrintable(QStringLiteral("node %1 after %2 answers: %3 held, %4 expected")
                                        .arg(node).arg(answered).arg(s.held()).arg(expected)));
                QVERIFY(s.releaseOne());
            }
        }
        QVERIFY(waitFor([&] { return f.finished.size() == 2 * kRelays; }));
        for (int node = 0; node < 2; ++node) {
            const ScriptedServicer& s = *f.servicers[node];
            QCOMPARE(s.maxUnderWay(), kLimit);
            QCOMPARE(s.requests().size(), kRelays); // each relay once, to its own node
            QSet<QByteArray> bodies;
            for (const ServicerRequest& r : s.requests()) bodies.insert(r.body);
            for (int i = 0; i < kRelays; ++i) QVERIFY(bodies.contains(f.relay(i, node).body));
            const NodeQueueStats st = f.stats(node);
            QCOMPARE(st.delivered, kRelays);
            QCOMPARE(st.queued + st.waiting + st.inFlight, 0);
        }
        for (const QString& outcome : std::as_const(f.finished)) QCOMPARE(outcome, QStringLiteral("delivered"));
    }

    void backoffDoublesUpToTheCap()
    {
        // DECISIONS 4 / PROTOCOL §8.3: the wait before retry i is min(min·2^i, max), and retries go on past
        // servicer_retry_max_times. 9 failures with min 25, max 100: 25, 50, 100, 100 … (uncapped the last
        // ones would be 1.6 s, 3.2 s, 6.4 s).
        constexpr int kFailures = 9;
        constexpr int kMin = 25;
        constexpr int kMax = 100;
        NotifierOptions options;
        options.retryWaitMinMs = kMin;
        options.retryWaitMaxMs = kMax;
        Fixture f({[](const ServicerRequest&, int index) {
                      return index < kFailures ? reply(500, kText, "oops") : ScriptedReply{};
                  }},
                  options);
        QVERIFY(f.outbox.open());
        QList<NotifyEvent> events;
        f.notifier->setObserver([&events](const NotifyEvent& e) { events.append(e); });
        const OutboxRelay r = f.relay(1);
        f.notifier->submit(r);
        QVERIFY(waitFor([&] { return f.finished.contains(r.proofHash); }, 20000));
        QCOMPARE(f.finished.value(r.proofHash), QStringLiteral("delivered"));

        const QList<qint64> times = f.attemptTimes(r.body);
        QCOMPARE(times.size(), kFailures + 1);
        for (int i = 0; i < kFailures; ++i) {
            const qint64 gap = times[i + 1] - times[i];
            const qint64 expected = std::min<qint64>(qint64(kMin) << i, kMax);
            // The notifier's due time is counted in whole milliseconds from after the servicer saw the attempt.
            QVERIFY2(gap >= expected - 1, qPrintable(QStringLiteral("retry %1: %2 ms < %3 ms; %4")
                                                         .arg(i).arg(gap).arg(expected).arg(gapsText(times))));
            // Generous: the cap holds (uncapped, retry 6 onwards would wait ≥ 1.6 s).
            QVERIFY2(gap < 15 * kMax, qPrintable(QStringLiteral("retry %1 not capped; %2").arg(i).arg(gapsText(times))));
        }
        QCOMPARE(events.size(), kFailures + 1);
        for (int i = 0; i < kFailures; ++i) {
            QCOMPARE(events[i].httpStatus, 500);
            QVERIFY(!events[i].delivered);
            QVERIFY(events[i].removalReason.isEmpty()); // retried, not dropped
        }
        QVERIFY(events.last().delivered);
        QCOMPARE(f.stats().retries, kFailures);
        QCOMPARE(f.stats().delivered, 1);
    }

    void retryAfterIsHonoured()
    {
        // PROTOCOL §8.3: a numeric Retry-After of a 429/503 replaces the backoff (uncapped, here max 50 ms);
        // on a 500 it is ignored.
        NotifierOptions options;
        options.retryWaitMinMs = 10;
        options.retryWaitMaxMs = 50;
        Fixture f({[](const ServicerRequest&, int index) {
                      switch (index) {
                      case 0: return reply(429, kText, "slow down", "1");
                      case 1: return reply(503, kText, "busy", "1");
                      case 2: return reply(500, kText, "oops", "5");
                      default: return ScriptedReply{};
                      }
                  }},
                  options);
        QVERIFY(f.outbox.open());
        const OutboxRelay r = f.relay(1);
        f.notifier->submit(r);
        QVERIFY(waitFor([&] { return f.finished.contains(r.proofHash); }, 20000));
        QCOMPARE(f.finished.value(r.proofHash), QStringLiteral("delivered"));
        const QList<qint64> times = f.attemptTimes(r.body);
        QCOMPARE(times.size(), 4);
        QVERIFY2(times[1] - times[0] >= 999, qPrintable(gapsText(times))); // 429 Retry-After: 1
        QVERIFY2(times[2] - times[1] >= 999, qPrintable(gapsText(times))); // 503 Retry-After: 1
        // Generous upper bounds: nothing waits much longer than asked; the 500's Retry-After: 5 is not obeyed
        // (its backoff is 40 ms).
        QVERIFY2(times[1] - times[0] < 4000 && times[2] - times[1] < 4000, qPrintable(gapsText(times)));
        QVERIFY2(times[3] - times[2] < 4000, qPrintable(gapsText(times)));
        QCOMPARE(f.stats().retries, 3);
    }

    void requestIsExactlyTheStoredRelay()
    {
        // PROTOCOL §5.2.1, DECISIONS "wire compatibility": POST /v1/private/mesh/relay?chain=…&app=…, bare-token
        // Authorization, X-Servicer, Content-Type, and the body = encodeRelay of the relay as the relay path
        // stores it, for every golden-vector relay (raw method, null/{} headers, unsorted headers, int64 entropy).
        const QJsonDocument vectors = goldenVectors();
        const QJsonArray cases = vectors.object().value(QLatin1String("cases")).toArray();
        QVERIFY(!cases.isEmpty());
        QList<Relay> relays;
        for (const QJsonValue& v : cases) {
            const auto relay = decodeRelay(v.toObject().value(QLatin1String("relay_body")).toString().toUtf8());
            QVERIFY2(relay.has_value(), qPrintable(relay ? QString() : relay.error()));
            relays << *relay;
        }
        const QJsonObject servicerKey =
            vectors.object().value(QLatin1String("keys")).toObject().value(QLatin1String("servicer")).toObject();
        qint64 maxSession = 0;
        for (const Relay& r : std::as_const(relays)) maxSession = std::max(maxSession, r.proof.sessionBlockHeight);
        // Blocks per session 1 and a wide allowance: every vector session is current or claimable.
        Fixture f({[](const ServicerRequest&, int) { return ScriptedReply{}; }}, NotifierOptions{},
                  HeightView{maxSession, 1, 1'000'000});
        f.identities[0].publicKeyHex = servicerKey.value(QLatin1String("public_key_hex")).toString().toLatin1();
        f.identities[0].publicKey = QByteArray::fromHex(f.identities[0].publicKeyHex);
        f.identities[0].addressHex = servicerKey.value(QLatin1String("address_hex")).toString().toLatin1();
        f.rebuildKeys();
        QVERIFY(f.outbox.open());

        QList<OutboxRelay> stored;
        for (const Relay& relay : std::as_const(relays)) {
            QCOMPARE(relay.proof.servicerPubKey, f.identities[0].publicKeyHex);
            // As RelayHandler stores it (PROTOCOL §8.1).
            OutboxRelay s;
            s.proofHash = proofHash(relay.proof);
            s.nodeUrl = f.identities[0].nodeUrl;
            s.servicerAddress = f.identities[0].addressHex;
            s.chain = relay.proof.blockchain;
            s.appPubKey = relay.proof.aat.appPubKey;
            s.sessionHeight = relay.proof.sessionBlockHeight;
            s.body = encodeRelay(relay);
            s.createdMs = 1;
            stored << s;
            f.notifier->submit(s);
        }
        QVERIFY(waitFor([&] { return f.finished.size() == stored.size(); }));
        const QList<ServicerRequest>& requests = f.servicers[0]->requests();
        QCOMPARE(requests.size(), stored.size());
        for (qsizetype i = 0; i < stored.size(); ++i) {
            const OutboxRelay& s = stored[i];
            const QString row = QLatin1String("case ") + cases[i].toObject().value(QLatin1String("name")).toString();
            QCOMPARE(f.finished.value(s.proofHash), QStringLiteral("delivered"));
            const auto it = std::find_if(requests.begin(), requests.end(),
                                         [&](const ServicerRequest& r) { return r.body == s.body; });
            QVERIFY2(it != requests.end(), qPrintable(row + QLatin1String(": body not received byte for byte")));
            const ServicerRequest& r = *it;
            QVERIFY2(r.body == encodeRelay(relays[i]), qPrintable(row));
            QVERIFY2(decodeRelay(r.body).value_or(Relay{}) == relays[i], qPrintable(row));
            QCOMPARE(r.method, QByteArray("POST"));
            QCOMPARE(r.path(), QByteArray("/v1/private/mesh/relay"));
            QCOMPARE(r.query(), "chain=" + s.chain + "&app=" + s.appPubKey);
            const QList<QPair<QString, QString>> items = QUrlQuery(QString::fromLatin1(r.query())).queryItems();
            QCOMPARE(items.size(), 2);
            QCOMPARE(items[0], qMakePair(QStringLiteral("chain"), QString::fromLatin1(relays[i].proof.blockchain)));
            QCOMPARE(items[1], qMakePair(QStringLiteral("app"), QString::fromLatin1(relays[i].proof.aat.appPubKey)));
            QCOMPARE(r.headerValues("Authorization"), QList<QByteArray>{kToken}); // bare: no "Bearer"
            QCOMPARE(r.headerValues("X-Servicer"), QList<QByteArray>{f.identities[0].addressHex});
            QCOMPARE(r.headerValues("Content-Type"), QList<QByteArray>{"application/json"});
            QCOMPARE(r.headerValues("User-Agent"), QList<QByteArray>{ServicerClientOptions{}.userAgent});
            QCOMPARE(r.headerValues("Content-Length"), QList<QByteArray>{QByteArray::number(s.body.size())});
        }
    }

    void classifyNotifyReply_data()
    {
        QTest::addColumn<int>("index");
        for (size_t i = 0; i < replyCases().size(); ++i)
            QTest::newRow(qPrintable(rowName(replyCases()[i]))) << int(i);
    }
    void classifyNotifyReply()
    {
        // PROTOCOL §4.4 and §8.3, one reply at a time.
        QFETCH(int, index);
        const ReplyCase& c = replyCases()[size_t(index)];
        const NotifyOutcome out = pocket::classifyNotifyReply(c.status, c.contentType, c.body, c.retryAfter);
        QCOMPARE(int(out.verdict), int(c.verdict));
        QCOMPARE(out.httpStatus, c.status);
        QCOMPARE(out.error.has_value(), c.code >= 0);
        if (c.code >= 0) QCOMPARE(int(out.error->code), c.code);
        QCOMPARE(out.retryAfterSeconds, c.retryAfterSeconds);
        QCOMPARE(out.dispatchHeight, c.dispatchHeight);
    }

    void replyClassEndToEnd_data()
    {
        QTest::addColumn<int>("index");
        for (size_t i = 0; i < replyCases().size(); ++i)
            if (replyCases()[i].retryAfterSeconds <= 0) // Retry-After waits: retryAfterIsHonoured
                QTest::newRow(qPrintable(rowName(replyCases()[i]))) << int(i);
    }
    void replyClassEndToEnd()
    {
        // The same replies from a servicer, through ServicerClient and the notifier: delivered; invalidated
        // (the session stores the servicer's error, the relay leaves as session_invalid); dropped as rejected
        // (session untouched); or retried (the next attempt, answered 200, delivers it).
        QFETCH(int, index);
        const ReplyCase& c = replyCases()[size_t(index)];
        NotifierOptions options;
        options.retryWaitMinMs = 10;
        options.retryWaitMaxMs = 20;
        Fixture f({[&c](const ServicerRequest&, int n) {
                      return n == 0 ? reply(c.status, c.contentType, c.body, c.retryAfter) : ScriptedReply{};
                  }},
                  options);
        QVERIFY(f.outbox.open());
        QList<NotifyEvent> events;
        f.notifier->setObserver([&events](const NotifyEvent& e) { events.append(e); });
        const OutboxRelay r = f.relay(1);
        const QByteArray key = f.sessionKey(r);
        f.notifier->submit(r);
        QVERIFY(waitFor([&] { return f.finished.contains(r.proofHash); }));
        const NodeQueueStats stats = f.stats();
        const auto session = f.sessions.get(key);
        QVERIFY(session.has_value());
        QCOMPARE(session->relaysInFlight, 0);
        QVERIFY(!events.isEmpty());
        QCOMPARE(events.first().httpStatus, c.status);
        switch (c.verdict) {
        case NotifyVerdict::Delivered:
            QCOMPARE(f.finished.value(r.proofHash), QStringLiteral("delivered"));
            QCOMPARE(f.servicers[0]->requests().size(), 1);
            QCOMPARE(stats.delivered, 1);
            QCOMPARE(session->relaysDelivered, 1);
            break;
        case NotifyVerdict::RejectedInvalidate:
            QCOMPARE(f.finished.value(r.proofHash), QStringLiteral("session_invalid"));
            QCOMPARE(f.servicers[0]->requests().size(), 1);
            QCOMPARE(stats.removedByReason.value(QStringLiteral("session_invalid")), 1);
            QCOMPARE(session->state, SessionState::Invalid);
            QVERIFY(session->error.has_value());
            QCOMPARE(int(session->error->code), c.code);
            break;
        case NotifyVerdict::Rejected:
            QCOMPARE(f.finished.value(r.proofHash), QStringLiteral("rejected"));
            QCOMPARE(f.servicers[0]->requests().size(), 1);
            QCOMPARE(stats.removedByReason.value(QStringLiteral("rejected")), 1);
            QVERIFY(session->state != SessionState::Invalid);
            QVERIFY(!session->error.has_value());
            QCOMPARE(int(events.first().error->code), c.code);
            break;
        case NotifyVerdict::Retry:
            QCOMPARE(f.finished.value(r.proofHash), QStringLiteral("delivered"));
            QCOMPARE(f.servicers[0]->requests().size(), 2);
            QCOMPARE(stats.retries, 1);
            QCOMPARE(stats.delivered, 1);
            QVERIFY(session->state != SessionState::Invalid);
            QVERIFY(events.first().removalReason.isEmpty());
            break;
        }
        QCOMPARE(stats.queued + stats.waiting + stats.inFlight, 0);
        // A rejected reply's dispatch raises the node's height (PROTOCOL §8.2 step 8).
        if (c.dispatchHeight > 0) QCOMPARE(f.nodes.get(f.identities[0].nodeUrl)->heights.height, c.dispatchHeight);
    }
};

QTEST_GUILESS_MAIN(TestNotifierPolicy)
#include "tst_notifier_policy.moc"
