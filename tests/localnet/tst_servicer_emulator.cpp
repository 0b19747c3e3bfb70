// The servicer emulator of pocket-localnet against PROTOCOL §5.2: auth, verify probes, notification
// validation codes and bodies, /session, /check, the SDK dispatch, evidence counting and the admin faults.
// Runs the real executable (LocalnetProcess) on free ports.
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include "localnetprocess.h"
#include "protocol/crypto.h"
#include "protocol/pocketerror.h"
#include "testsupport.h"

using namespace pocket;
using namespace pocket::test;

namespace {
constexpr qint64 kHeight = 105843; // the height of the vectors' dispatch sample: latest session 105841
constexpr qint64 kBlocksPerSession = 4;
constexpr qint64 kLatestSession = 105841;
} // namespace

class TestServicerEmulator : public QObject
{
    Q_OBJECT

private:
    LocalnetProcess m_net;
    TestKey m_app;
    TestKey m_client;
    QByteArray m_servicer; // key 0: the vectors' servicer
    QByteArray m_servicer1; // another hosted key, read from the dispatch in dispatchShape()
    qint64 m_entropy = 1000;

    QString url(const char* route) const { return m_net.emulatorUrl() + QLatin1String(route); }

    RelaySpec spec(const TestKey& app)
    {
        RelaySpec s;
        s.app = app;
        s.client = m_client;
        s.servicerPubKeyHex = m_servicer;
        s.sessionHeight = kLatestSession;
        s.blockHeight = kHeight;
        s.entropy = ++m_entropy;
        return s;
    }

    HttpResult notify(const Relay& r) { return httpPost(url("/v1/private/mesh/relay"), encodeRelay(r), m_net.auth()); }

    qint64 evidenceTotal() { return qint64(m_net.admin("GET", "/admin/evidence").value("total_accepted").toDouble()); }

    qint64 rejected(const QString& code)
    {
        return qint64(m_net.admin("GET", "/admin/evidence").value("rejected_by_code").toObject().value(code).toDouble());
    }

    // A /relay rejection: HTTP 400, §1.5 encoding, the real code and plain message, signature false.
    void expectRejected(const HttpResult& r, quint32 code, bool withDispatch)
    {
        QCOMPARE(r.status, 400);
        QCOMPARE(r.header("Content-Type"), QByteArray("application/json; charset=utf-8"));
        QVERIFY(r.body.endsWith("}\n"));
        const QJsonObject o = r.json();
        const QJsonObject e = o.value("error").toObject();
        QCOMPARE(e.value("code").toInt(), int(code));
        QCOMPARE(e.value("codespace").toString(), QStringLiteral("pocketcore"));
        QVERIFY2(e.value("message").toString().startsWith(pocketcoreMessage(code)), r.body.constData());
        QCOMPARE(o.value("signature"), QJsonValue(false));
        if (withDispatch) {
            const QJsonObject d = o.value("dispatch").toObject();
            QCOMPARE(qint64(d.value("block_height").toDouble()), kHeight);
            QCOMPARE(qint64(d.value("session").toObject().value("header").toObject().value("session_height").toDouble()),
                     kLatestSession);
            QVERIFY(!d.value("session").toObject().value("nodes").toArray().isEmpty());
        } else {
            QVERIFY(o.value("dispatch").isNull());
        }
        // Keys sorted (Go re-encoding, §1.5): dispatch < error < signature.
        QVERIFY(r.body.indexOf("\"dispatch\"") < r.body.indexOf("\"error\""));
        QVERIFY(r.body.indexOf("\"error\"") < r.body.indexOf("\"signature\":false"));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(crypto::init());
        QString error;
        QVERIFY2(m_net.start({"--block-ms", "0", "--height", QString::number(kHeight), "--servicers", "3",
                              "--session-allowance", "1", "--blocks-per-session", QString::number(kBlocksPerSession),
                              "--service-url", "http://127.0.0.1:1/mesh"},
                             &error),
                 qPrintable(error));
        m_app = vectorsKey("app");
        m_client = vectorsKey("client");
        m_servicer = vectorsKey("servicer").publicKeyHex;
        QCOMPARE(m_net.info().value("servicer_public_key").toString().toLatin1(), m_servicer);
        const QJsonObject state = m_net.admin("GET", "/admin/state");
        QCOMPARE(qint64(state.value("height").toDouble()), kHeight);
        QCOMPARE(state.value("servicers").toInt(), 3);
    }

    void unauthorized()
    {
        for (const QByteArray& route : {QByteArray("relay"), QByteArray("session"), QByteArray("check")}) {
            const QString u = m_net.emulatorUrl() + "/v1/private/mesh/" + route;
            const HttpResult wrong = httpPost(u, "{}", {{"Authorization", "Bearer nope"}});
            QCOMPARE(wrong.status, 401);
            QCOMPARE(wrong.body, QByteArray("{\"code\":401,\"message\":\"wrong authtoken: Bearer nope\"}\n"));
            QCOMPARE(wrong.header("Content-Type"), QByteArray("application/json; charset=UTF-8"));
            const HttpResult missing = httpPost(u + "?verify=true", {});
            QCOMPARE(missing.status, 401);
            QCOMPARE(missing.body, QByteArray("{\"code\":401,\"message\":\"wrong authtoken: \"}\n"));
        }
        // Only the bare token is accepted.
        const HttpResult bearer =
            httpPost(url("/v1/private/mesh/check?verify=true"), {}, {{"Authorization", "Bearer " + m_net.token()}});
        QCOMPARE(bearer.status, 401);
    }

    void verifyProbes()
    {
        const HttpResult relay = httpPost(url("/v1/private/mesh/relay?verify=true"), {}, m_net.auth());
        QCOMPARE(relay.status, 200);
        QCOMPARE(relay.body, QByteArray("{\"dispatch\":null,\"error\":null,\"signature\":true}\n"));
        QCOMPARE(relay.header("Access-Control-Allow-Origin"), QByteArray("*"));
        const HttpResult session = httpPost(url("/v1/private/mesh/session?verify=true"), "garbage", m_net.auth());
        QCOMPARE(session.status, 200);
        QCOMPARE(session.body,
                 QByteArray("{\"dispatch\":null,\"error\":null,\"remaining_relays\":0,\"success\":true}\n"));
        const HttpResult check = httpPost(url("/v1/private/mesh/check?verify=true"), {}, m_net.auth());
        QCOMPARE(check.status, 200);
        QCOMPARE(check.body, QByteArray("{}\n"));
    }

    void dispatchShape()
    {
        // The SDK's dispatch request (from the vectors) gets the shape of the vectors' sample response.
        const QJsonObject d = goldenVectors().object().value("dispatch").toObject();
        const QByteArray request = d.value("request_body_built_by_sdk").toString().toUtf8();
        const QJsonObject sample = QJsonDocument::fromJson(
            d.value("e2e_sample_exchange").toObject().value("response_body").toString().toUtf8()).object();
        const HttpResult res = httpPost(url("/v1/client/dispatch"), request, {{"Content-Type", "application/json"}});
        QCOMPARE(res.status, 200);
        QVERIFY(res.body.endsWith("\n"));
        const QJsonObject got = res.json();
        QCOMPARE(got.keys(), sample.keys());
        const QJsonObject session = got.value("session").toObject();
        QCOMPARE(session.keys(), sample.value("session").toObject().keys());
        QCOMPARE(session.value("header").toObject().keys(), sample.value("session").toObject().value("header").toObject().keys());
        QCOMPARE(qint64(got.value("block_height").toDouble()), kHeight);
        QCOMPARE(qint64(session.value("header").toObject().value("session_height").toDouble()), kLatestSession);
        QCOMPARE(QByteArray::fromBase64(session.value("key").toString().toLatin1()).size(), 32);
        const QJsonArray nodes = session.value("nodes").toArray();
        QCOMPARE(nodes.size(), 3);
        const QJsonObject sampleNode = sample.value("session").toObject().value("nodes").toArray().first().toObject();
        // Same fields in the same order as the sample (the raw text order, not QJsonObject's sorted keys).
        const QByteArray sampleText = d.value("e2e_sample_exchange").toObject().value("response_body").toString().toUtf8();
        const qsizetype sampleNodeAt = sampleText.indexOf("\"nodes\":[{");
        const qsizetype gotNodeAt = res.body.indexOf("\"nodes\":[{");
        QVERIFY(sampleNodeAt > 0 && gotNodeAt > 0);
        auto keyOrder = [](const QByteArray& text, qsizetype from, const QStringList& keys) {
            QList<qsizetype> at;
            for (const QString& k : keys) at.append(text.indexOf("\"" + k.toLatin1() + "\":", from));
            QList<qsizetype> sorted = at;
            std::sort(sorted.begin(), sorted.end());
            QStringList order;
            for (qsizetype p : sorted) order.append(keys.at(at.indexOf(p)));
            return order;
        };
        QCOMPARE(keyOrder(res.body, gotNodeAt, sampleNode.keys()), keyOrder(sampleText, sampleNodeAt, sampleNode.keys()));
        for (const QJsonValue& n : nodes) {
            QCOMPARE(n.toObject().keys(), sampleNode.keys());
            QCOMPARE(n.toObject().value("service_url").toString(), QStringLiteral("http://127.0.0.1:1/mesh"));
        }
        QCOMPARE(nodes.first().toObject().value("public_key").toString().toLatin1(), m_servicer);
        m_servicer1 = nodes.at(1).toObject().value("public_key").toString().toLatin1();
        // An app that is not staked gets no session.
        const HttpResult unknown = httpPost(url("/v1/client/dispatch"),
            "{\"app_public_key\":\"" + testKeyFromLabel("tst/nobody").publicKeyHex + "\",\"chain\":\"0021\",\"session_height\":0}");
        QCOMPARE(unknown.status, 400);
    }

    void notifyAcceptedAndEvidenceCounted()
    {
        const qint64 before = evidenceTotal();
        const Relay r = buildRelay(spec(m_app));
        const HttpResult ok = notify(r);
        QCOMPARE(ok.status, 200);
        QCOMPARE(ok.body, QByteArray("{\"dispatch\":null,\"error\":null,\"signature\":true}\n"));
        QCOMPARE(evidenceTotal(), before + 1);
        // The evidence lists this relay's proof hash under its session and servicer.
        const QByteArray proofHashHex = crypto::hexEncode(proofHash(r.proof));
        const QJsonObject ev = m_net.admin("GET", "/admin/evidence");
        bool found = false;
        for (const QJsonValue& s : ev.value("sessions").toArray()) {
            const QJsonObject so = s.toObject();
            if (so.value("app_public_key").toString().toLatin1() != m_app.publicKeyHex) continue;
            QCOMPARE(qint64(so.value("session_height").toDouble()), kLatestSession);
            const QJsonObject sv = so.value("servicers").toObject().value(
                QString::fromLatin1(crypto::hexEncode(crypto::addressFromPublicKey(*crypto::hexDecode(m_servicer)))))
                                       .toObject();
            for (const QJsonValue& h : sv.value("proof_hashes").toArray()) found |= h.toString().toLatin1() == proofHashHex;
        }
        QVERIFY(found);

        // The same notification again: duplicate (37), evidence unchanged.
        const qint64 dupBefore = rejected("37");
        expectRejected(notify(r), 37, false);
        QCOMPARE(evidenceTotal(), before + 1);
        QCOMPARE(rejected("37"), dupBefore + 1);
    }

    void tamperedNotifications()
    {
        const qint64 before = evidenceTotal();
        {   // 74: data changed after signing (request hash no longer matches).
            Relay r = buildRelay(spec(m_app));
            r.payload.data = "{\"jsonrpc\":\"2.0\",\"method\":\"eth_chainId\",\"params\":[],\"id\":1}";
            expectRejected(notify(r), 74, false);
        }
        {   // 41: client signature damaged.
            Relay r = buildRelay(spec(m_app));
            r.proof.signature[10] = r.proof.signature[10] == '0' ? '1' : '0';
            expectRejected(notify(r), 41, false);
        }
        {   // 4: AAT signature damaged (the proof signature still verifies: the AAT hash omits it).
            Relay r = buildRelay(spec(m_app));
            r.proof.aat.signature[6] = r.proof.aat.signature[6] == 'a' ? 'b' : 'a';
            const HttpResult res = notify(r);
            expectRejected(res, 4, false);
            QVERIFY(res.json().value("error").toObject().value("message").toString().endsWith(
                QStringLiteral("the application signature on the AAT is not valid")));
        }
        {   // 60: a session older than the tolerance (allowance 1 => latest and latest-B only), with a dispatch.
            RelaySpec s = spec(m_app);
            s.sessionHeight = kLatestSession - 2 * kBlocksPerSession;
            expectRejected(notify(buildRelay(s)), 60, true);
            s.sessionHeight = kLatestSession - kBlocksPerSession; // still within tolerance: accepted
            s.entropy = ++m_entropy;
            QCOMPARE(notify(buildRelay(s)).status, 200);
        }
        {   // 75: meta block height outside ±client_block_sync_allowance (10), with a dispatch.
            RelaySpec s = spec(m_app);
            s.blockHeight = kHeight + 11;
            expectRejected(notify(buildRelay(s)), 75, true);
            s.blockHeight = kHeight - 10;
            s.entropy = ++m_entropy;
            QCOMPARE(notify(buildRelay(s)).status, 200);
        }
        {   // 26: chain not hosted; 45: app not staked; 29: negative entropy.
            RelaySpec s = spec(m_app);
            s.chain = "0040";
            expectRejected(notify(buildRelay(s)), 26, false);
            expectRejected(notify(buildRelay(spec(testKeyFromLabel("tst/unstaked-app")))), 45, false);
            s = spec(m_app);
            s.entropy = -5;
            expectRejected(notify(buildRelay(s)), 29, false);
        }
        {   // A servicer key the node does not host: sdk code 1, plain message.
            RelaySpec s = spec(m_app);
            s.servicerPubKeyHex = testKeyFromLabel("tst/foreign-servicer").publicKeyHex;
            const HttpResult res = notify(buildRelay(s));
            QCOMPARE(res.status, 400);
            QCOMPARE(res.body, QByteArray("{\"dispatch\":null,\"error\":{\"code\":1,\"codespace\":\"sdk\",\"message\":"
                                          "\"Failed to find correct servicer PK\"},\"signature\":false}\n"));
        }
        QCOMPARE(evidenceTotal(), before + 2);
    }

    void overServiceAfterAllowance()
    {
        const TestKey app = testKeyFromLabel("tst/app-with-3-relays");
        const QJsonObject staked =
            m_net.admin("POST", "/admin/apps", {{"public_key", QString::fromLatin1(app.publicKeyHex)}, {"max_relays", 3}});
        QVERIFY(!staked.isEmpty());
        for (int i = 0; i < 3; ++i) QCOMPARE(notify(buildRelay(spec(app))).status, 200);
        expectRejected(notify(buildRelay(spec(app))), 71, true);
        // The allowance is per servicer: another hosted key still has its own 3.
        RelaySpec other = spec(app);
        QVERIFY(!m_servicer1.isEmpty() && m_servicer1 != m_servicer);
        other.servicerPubKeyHex = m_servicer1;
        QCOMPARE(notify(buildRelay(other)).status, 200);
    }

    void goldenVectorRelays()
    {
        // Every vectors relay as the SDK sent it: the ones whose SDK request hash differs from Go's are 74,
        // the others are accepted (the emulator sits at the vectors' session height with their app staked).
        const QJsonArray cases = goldenVectors().object().value("cases").toArray();
        QVERIFY(!cases.isEmpty());
        int mismatches = 0;
        for (const QJsonValue& cv : cases) {
            const QJsonObject c = cv.toObject();
            const QByteArray body = c.value("relay_body").toString().toUtf8();
            const bool goMatches =
                c.value("pocket_core_view_derived_not_from_sdk").toObject().value("request_hash_matches_proof").toBool();
            QCOMPARE(qint64(c.value("session").toObject().value("session_block_height").toDouble()), kLatestSession);
            const HttpResult res = httpPost(url("/v1/private/mesh/relay"), body, m_net.auth());
            if (goMatches) {
                QVERIFY2(res.status == 200, qPrintable(c.value("name").toString() + ": " + QString::fromUtf8(res.body)));
            } else {
                ++mismatches;
                QVERIFY2(res.status == 400, qPrintable(c.value("name").toString()));
                QCOMPARE(res.json().value("error").toObject().value("code").toInt(), 74);
            }
        }
        QVERIFY(mismatches >= 3); // the GO_MISMATCH_* cases
    }

    void sessionRemainingRelays()
    {
        const TestKey app = testKeyFromLabel("tst/session-app");
        m_net.admin("POST", "/admin/apps", {{"public_key", QString::fromLatin1(app.publicKeyHex)}, {"max_relays", 5}});
        auto session = [&](qint64 height, const QByteArray& appHex) {
            const QByteArray body = "{\"session_header\":{\"app_public_key\":\"" + appHex
                + "\",\"chain\":\"0021\",\"session_height\":" + QByteArray::number(height) + "},\"meta\":{\"block_height\":"
                + QByteArray::number(kHeight) + "},\"servicer_pub_key\":\"" + m_servicer
                + "\",\"blockchain\":\"0021\",\"session_block_height\":" + QByteArray::number(height) + "}";
            return httpPost(url("/v1/private/mesh/session"), body, m_net.auth());
        };
        HttpResult res = session(kLatestSession, app.publicKeyHex);
        QCOMPARE(res.status, 200);
        QCOMPARE(res.header("Content-Type"), QByteArray("application/json; charset=utf-8"));
        QCOMPARE(res.json().value("remaining_relays").toInt(), 5);
        QCOMPARE(res.json().value("success"), QJsonValue(true));
        QVERIFY(res.json().value("error").isNull());
        const QJsonObject dispatch = res.json().value("dispatch").toObject();
        QCOMPARE(qint64(dispatch.value("block_height").toDouble()), kHeight);
        const QJsonObject s = dispatch.value("session").toObject();
        QCOMPARE(s.value("key").toString().size(), 64); // hex here, base64 in relay errors (PROTOCOL §15.9)
        QVERIFY(s.value("nodes").toArray().first().toObject().value("public_key").toString().startsWith("1624de6420"));

        for (int i = 0; i < 2; ++i) QCOMPARE(notify(buildRelay(spec(app))).status, 200);
        QCOMPARE(session(kLatestSession, app.publicKeyHex).json().value("remaining_relays").toInt(), 3);
        for (int i = 0; i < 3; ++i) QCOMPARE(notify(buildRelay(spec(app))).status, 200);

        // Errors: 71 when used up, 60 for a previous session (only the latest is accepted), 45 unknown app.
        auto expectSessionError = [&](const HttpResult& r, quint32 code) {
            QCOMPARE(r.status, 400);
            const QJsonObject o = r.json();
            QCOMPARE(o.value("success"), QJsonValue(false));
            QCOMPARE(o.value("remaining_relays").toInt(), 0);
            QVERIFY(o.value("dispatch").isNull());
            const QJsonObject e = o.value("error").toObject();
            QCOMPARE(e.value("code").toInt(), int(code));
            // The multi-line Error() text (PROTOCOL §5.2.2).
            QCOMPARE(e.value("message").toString(), PocketError::pocketcore(code).errorText());
        };
        expectSessionError(session(kLatestSession, app.publicKeyHex), 71);
        expectSessionError(session(kLatestSession - kBlocksPerSession, m_app.publicKeyHex), 60);
        expectSessionError(session(kLatestSession, testKeyFromLabel("tst/nobody").publicKeyHex), 45);
        QCOMPARE(httpPost(url("/v1/private/mesh/session"), "{not json", m_net.auth()).status, 400);
    }

    void checkReportsWrongChainsAndServicers()
    {
        const QByteArray bogus = "00112233445566778899aabbccddeeff00112233";
        const QByteArray address0 = crypto::hexEncode(crypto::addressFromPublicKey(*crypto::hexDecode(m_servicer)));
        const QByteArray body = "{\"servicers\":[\"" + address0 + "\",\"" + bogus + "\"],\"Chains\":[\"0021\",\"0040\"]}";
        const HttpResult res = httpPost(url("/v1/private/mesh/check"), body, m_net.auth());
        QCOMPARE(res.status, 200);
        const QJsonObject o = res.json();
        QCOMPARE(o.value("wrong_chains").toArray(), QJsonArray{"0040"});
        QCOMPARE(o.value("wrong_servicers").toArray(), QJsonArray{QString::fromLatin1(bogus)});
        QCOMPARE(o.value("chains"), QJsonValue(false));
        QCOMPARE(o.value("servicers"), QJsonValue(false));
        QCOMPARE(o.value("blocks_per_session").toInt(), int(kBlocksPerSession));
        QCOMPARE(o.value("client_session_sync_allowance").toInt(), 1);
        QCOMPARE(qint64(o.value("status").toObject().value("height").toDouble()), kHeight);
        QCOMPARE(o.value("status").toObject().value("is_starting"), QJsonValue(false));
        // Keys sorted, trailing newline (§1.5).
        QVERIFY(res.body.startsWith("{\"blocks_per_session\":"));
        QVERIFY(res.body.endsWith("]}\n"));
        const HttpResult good = httpPost(url("/v1/private/mesh/check"),
                                         "{\"servicers\":[\"" + address0 + "\"],\"Chains\":[\"0021\",\"0001\"]}", m_net.auth());
        QCOMPARE(good.json().value("wrong_chains").toArray().size(), 0);
        QCOMPARE(good.json().value("servicers"), QJsonValue(true));
    }

    void servicerNotInSession()
    {
        // A second network where each session has one of three hosted servicers: the others get 14.
        LocalnetProcess net;
        QString error;
        QVERIFY2(net.start({"--block-ms", "0", "--servicers", "3", "--session-nodes", "1"}, &error), qPrintable(error));
        const QJsonArray keys = net.admin("GET", "/admin/servicers").value("servicers").toArray();
        QCOMPARE(keys.size(), 3);
        const HttpResult d = httpPost(net.emulatorUrl() + "/v1/client/dispatch",
            "{\"app_public_key\":\"" + m_app.publicKeyHex + "\",\"chain\":\"0021\",\"session_height\":0}");
        const QJsonArray nodes = d.json().value("session").toObject().value("nodes").toArray();
        QCOMPARE(nodes.size(), 1);
        const QByteArray member = nodes.first().toObject().value("public_key").toString().toLatin1();
        QByteArray outsider;
        for (const QJsonValue& k : keys) {
            const QByteArray pk = k.toObject().value("public_key").toString().toLatin1();
            if (pk != member) outsider = pk;
        }
        QVERIFY(!outsider.isEmpty());
        RelaySpec s = spec(m_app);
        s.servicerPubKeyHex = outsider;
        const Headers auth = net.auth();
        HttpResult r = httpPost(net.emulatorUrl() + "/v1/private/mesh/relay", encodeRelay(buildRelay(s)), auth);
        QCOMPARE(r.json().value("error").toObject().value("code").toInt(), 14);
        QVERIFY(r.json().value("dispatch").isObject());
        s.servicerPubKeyHex = member;
        s.entropy = ++m_entropy;
        r = httpPost(net.emulatorUrl() + "/v1/private/mesh/relay", encodeRelay(buildRelay(s)), auth);
        QCOMPARE(r.status, 200);
        QVERIFY2(net.stopGracefully(&error), qPrintable(error));
    }

    void adminFaults()
    {
        // 500 for a count, only on the matching path.
        m_net.admin("POST", "/admin/fail", {{"count", 2}, {"path", "/v1/private/mesh/check"}});
        const QString check = url("/v1/private/mesh/check?verify=true");
        QCOMPARE(httpPost(url("/v1/private/mesh/relay?verify=true"), {}, m_net.auth()).status, 200);
        QCOMPARE(httpPost(check, {}, m_net.auth()).status, 500);
        QCOMPARE(httpPost(check, {}, m_net.auth()).status, 500);
        QCOMPARE(httpPost(check, {}, m_net.auth()).status, 200);
        // Slow.
        m_net.admin("POST", "/admin/delay", {{"ms", 300}});
        QVERIFY(httpPost(check, {}, m_net.auth()).elapsedMs >= 300);
        m_net.admin("POST", "/admin/delay", {{"ms", 0}});
        QVERIFY(httpPost(check, {}, m_net.auth()).elapsedMs < 300);
        // Refuse connections for a while, then listen again on the same port.
        const QJsonObject refused = m_net.admin("POST", "/admin/refuse", {{"ms", 700}});
        QCOMPARE(refused.value("refusing"), QJsonValue(true));
        const HttpResult during = httpPost(check, {}, m_net.auth(), 2000);
        QVERIFY2(during.transportError, qPrintable(QString::number(during.status)));
        QVERIFY(waitFor([&] { return httpPost(check, {}, m_net.auth(), 1000).status == 200; }, 5000));
        const QJsonObject state = m_net.admin("GET", "/admin/state");
        QVERIFY(state.value("requests").toObject().value("injected_failure").toInt() >= 2);
    }

    void heightAndHealth()
    {
        const QJsonObject h = m_net.admin("POST", "/admin/height", {{"height", 200}});
        QCOMPARE(h.value("height").toInt(), 200);
        QCOMPARE(h.value("latest_session_height").toInt(), 197);
        QCOMPARE(httpPost(url("/v1/query/height"), "{}").json().value("height").toInt(), 200);
        const QJsonObject health = httpGet(url("/v1/health")).json();
        QCOMPARE(health.value("height").toInt(), 200);
        m_net.admin("POST", "/admin/status", {{"is_catching_up", true}});
        const HttpResult r = notify(buildRelay(spec(m_app)));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.body, QByteArray("{\"dispatch\":null,\"error\":{},\"signature\":false}\n"));
        m_net.admin("POST", "/admin/status", {{"is_catching_up", false}});
        m_net.admin("POST", "/admin/height", {{"height", kHeight}});
    }

    void cleanupTestCase()
    {
        QString error;
        QVERIFY2(m_net.stopGracefully(&error), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestServicerEmulator)
#include "tst_servicer_emulator.moc"
