// The servicer emulator of pocket-localnet, the parts the issue-3 audit found untested:
//   G1 the block clock (--block-ms > 0): heights advance, session heights follow PROTOCOL §7.3;
//   G2 the order of the /v1/private/mesh/relay checks (PROTOCOL §5.2.1): a relay with two faults gets
//      the code of the first check in the reference order, for every pair of faults that can coexist;
//   G3 the emulator's own 25, 13, 39, 38 and the lean key's "Could not convert" error;
//   G4 GET /v1 (WriteResponse, PROTOCOL §1.5).
// Relays are built from the golden vectors read at test time; the real executable runs on free ports.
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTest>

#include "localnetprocess.h"
#include "protocol/crypto.h"
#include "protocol/relay.h"
#include "testsupport.h"

using namespace pocket;
using namespace pocket::test;

namespace {

constexpr qint64 kBlocksPerSession = 4;
constexpr qint64 kSessionAllowance = 1; // client_session_sync_allowance
constexpr qint64 kBlockAllowance = 10;  // client_block_sync_allowance
constexpr qint64 kAppRelays = 100000;   // the vectors' app allowance after every reset

// PROTOCOL §7.3, written out here rather than taken from core/session, so the test does not share the
// emulator's arithmetic.
qint64 specLatestSessionHeight(qint64 height, qint64 blocksPerSession)
{
    return height % blocksPerSession == 0 ? height - blocksPerSession + 1
                                          : (height / blocksPerSession) * blocksPerSession + 1;
}

// One fault a notification can carry, in the reference order of the servicer's checks (PROTOCOL §5.2.1 and
// issue 3: status, lean key, session tolerance 60, payload 25, meta 75, Go request hash 74, chain 26, app 45,
// sealed 90, duplicate 37, over-service 71, ValidateBasic: entropy 29, AAT 4, client signature 39/38/41, app
// chain 13). How each fault is made is in TestEmulatorChecks::makeRelay.
struct Fault
{
    const char* name;
    const char* counterKey; // the emulator's rejected_by_code key
    int code;               // 0: a plain Go error, serialised as "error":{} (§5.2.1)
    const char* codespace;
    const char* message; // the plain message of a native sdk error (§1.4), texts of §4.3
    bool dispatch;       // ErrorWarrantsDispatch: 71, 60, 14, 75 (§4.4 c)
    bool keepsProofHash; // the proof hash is unchanged, so the fault can sit on top of a duplicate (37)
    const char* group;   // faults of one group change the same thing and cannot be combined

    QByteArray errorObject() const
    {
        if (code == 0) return "{}";
        return "{\"code\":" + QByteArray::number(code) + ",\"codespace\":\"" + codespace +
               "\",\"message\":\"" + message + "\"}";
    }
};

constexpr char kPc[] = "pocketcore";

const Fault kFaults[] = {
    {"status", "plain", 0, "", "", false, true, "status"},
    {"lean", "sdk/1", 1, "sdk", "Failed to find correct servicer PK", false, false, "servicer"},
    {"60", "60", 60, kPc, "the block height passed is invalid", true, true, "height"},
    {"25", "25", 25, kPc, "the payload data of the relay request is empty", false, true, "payload"},
    {"75", "75", 75, kPc, "the request block height is out of sync with the current block height", true, true,
     "meta"},
    {"74", "74", 74, kPc, "the request hash does not match the payload hash", false, true, "headers"},
    {"26", "26", 26, kPc, "the blockchain in the relay request is not supported on this node", false, false,
     "chain"},
    {"45", "45", 45, kPc, "the app could not be found in the world state", false, true, "stake"},
    {"90", "90", 90, kPc, "the evidence is sealed, either max relays reached or claim already submitted",
     false, true, "seal"},
    {"37", "37", 37, kPc, "the Proof with specific merkleHash already found, check entropy", false, true,
     "duplicate"},
    {"71", "71", 71, kPc, "the max number of relays serviced for this node is exceeded", true, true,
     "allowance"},
    {"29", "29", 29, kPc, "the entropy included in the relay request is invalid", false, false, "entropy"},
    {"4", "4", 4, kPc,
     "the application authentication token is invalid : the application signature on the AAT is not valid",
     false, true, "aat-signature"},
    {"39", "39", 39, kPc, "the signature could not be message decoded", false, true, "client-signature"},
    {"38", "38", 38, kPc, "the signature Length is invalid", false, true, "client-signature"},
    {"41", "41", 41, kPc, "the signature could not be verified with the message and pub key", false, true,
     "client-signature"},
    {"13", "13", 13, kPc, "the blockchain in the relay request is not supported for this app", false, true,
     "app-chains"},
};

const Fault* findFault(const QString& name)
{
    for (const Fault& f : kFaults) {
        if (name == QLatin1String(f.name)) return &f;
    }
    return nullptr;
}

bool combinable(const Fault& a, const Fault& b)
{
    if (qstrcmp(a.group, b.group) == 0) return false;
    // A duplicate needs the proof hash of the relay accepted before.
    if (qstrcmp(a.name, "37") == 0 && !b.keepsProofHash) return false;
    if (qstrcmp(b.name, "37") == 0 && !a.keepsProofHash) return false;
    // An unstaked app has neither an allowance nor staked chains.
    const auto unstakedWith = [](const Fault& x, const Fault& y) {
        return qstrcmp(x.name, "45") == 0 && (qstrcmp(y.name, "71") == 0 || qstrcmp(y.name, "13") == 0);
    };
    return !unstakedWith(a, b) && !unstakedWith(b, a);
}

const QByteArray kNotifyOk = "{\"dispatch\":null,\"error\":null,\"signature\":true}\n";
const QByteArray kGoJson = "application/json; charset=utf-8";

// G3 bodies.
// A non-hex client key: 4 whose inner text is the multi-line 6 (PROTOCOL §5.1 step 7.8.f, §1.4).
const QByteArray kBadClientKeyBody =
    "{\"dispatch\":null,\"error\":{\"code\":4,\"codespace\":\"pocketcore\",\"message\":"
    "\"the application authentication token is invalid : ERROR:\\nCodespace: pocketcore\\nCode: 6\\n"
    "Message: \\\"error decoding the string into hex bytes\\\"\\n\"},\"signature\":false}"
    "\n";
// 25 on the reference relay route, in the relay error shape of DECISIONS 1.
const QByteArray kClientRelay25Body =
    "{\"dispatch\":null,\"error\":{\"code\":25,\"codespace\":\"pocketcore\",\"message\":\"the payload data "
    "of the relay request is empty\"}}"
    "\n";

} // namespace

class TestEmulatorChecks : public QObject
{
    Q_OBJECT

private:
    LocalnetProcess m_net; // frozen clock (--block-ms 0), used by G2-G4
    QJsonObject m_vectors;
    Relay m_base;             // a vectors relay the Go servicer accepts, decoded from its relay_body
    TestKey m_client;         // the vectors' client key (re-signs a proof after a change)
    qint64 m_height = 0;      // the vectors' dispatch sample height
    qint64 m_staleHeight = 0; // a height at which m_base's session is outside the servicer's tolerance
    QByteArray m_otherChain;  // a hosted chain other than m_base's

    QString url(const char* route) const { return m_net.emulatorUrl() + QLatin1String(route); }
    HttpResult notify(const Relay& r)
    {
        return httpPost(url("/v1/private/mesh/relay"), encodeRelay(r), m_net.auth());
    }

    // Every row starts from the same state: no evidence, seals or rejection counters, a synced node at the
    // vectors' height, the vectors' app staked for every chain.
    bool reset()
    {
        const QJsonObject cleared = m_net.admin("POST", "/admin/evidence/clear");
        const QJsonObject status =
            m_net.admin("POST", "/admin/status", {{"is_starting", false}, {"is_catching_up", false}});
        const QJsonObject height = m_net.admin("POST", "/admin/height", {{"height", double(m_height)}});
        const QJsonObject apps = m_net.admin("POST", "/admin/apps",
                                             {{"public_key", QString::fromLatin1(m_base.proof.aat.appPubKey)},
                                              {"max_relays", double(kAppRelays)}});
        return cleared.value("total_accepted").toInt(-1) == 0 &&
               cleared.value("total_rejected").toInt(-1) == 0 &&
               status.value("is_catching_up") == QJsonValue(false) &&
               qint64(height.value("height").toDouble()) == m_height && !apps.isEmpty();
    }

    // Applies `faults` to the emulator and to a copy of the base relay. The relay's request hash and client
    // signature are repaired after the field changes (so each fault is the only thing wrong with its field),
    // except on top of a duplicate, which must keep the accepted relay's proof.
    bool makeRelay(const QStringList& faults, Relay* out, QString* problem)
    {
        Relay r = m_base;
        const bool duplicate = faults.contains("37");
        if (duplicate) {
            const HttpResult first = notify(r);
            if (first.body != kNotifyOk) {
                *problem =
                    QStringLiteral("the base relay was not accepted: ") + QString::fromUtf8(first.body);
                return false;
            }
        }
        // Field changes covered by the request hash or the proof hash.
        if (faults.contains("lean"))
            r.proof.servicerPubKey = testKeyFromLabel("tst/order/foreign-servicer").publicKeyHex;
        if (faults.contains("25")) {
            r.payload.data.clear();
            r.payload.path.clear();
        }
        if (faults.contains("75")) r.meta.blockHeight = 1; // far outside ±allowance at any height used here
        if (faults.contains("26")) r.proof.blockchain = "0040";
        if (faults.contains("29")) r.proof.entropy = -1;
        if (!duplicate) {
            r.proof.requestHash = requestHashHex(r.payload, r.meta);
            resignProof(r, m_client);
        }
        // Changes after the repair: the payload no longer matches the hash; signatures damaged.
        if (faults.contains("74")) {
            HeaderMap h = r.payload.headers.value_or(HeaderMap{});
            h["X-Order-Check"] = "1";
            r.payload.headers = h;
        }
        if (faults.contains("4")) r.proof.aat.signature[6] = r.proof.aat.signature[6] == 'a' ? 'b' : 'a';
        if (faults.contains("39")) r.proof.signature[0] = 'z';
        if (faults.contains("38")) r.proof.signature.chop(2);
        if (faults.contains("41")) r.proof.signature[10] = r.proof.signature[10] == '0' ? '1' : '0';

        // The emulator's state (each admin reply checked: a fault that was not set up would pass a pair row
        // unnoticed).
        const QString app = QString::fromLatin1(m_base.proof.aat.appPubKey);
        const auto setUp = [problem](bool ok, const char* what) {
            if (!ok) *problem = QStringLiteral("admin set-up failed: ") + QLatin1String(what);
            return ok;
        };
        if (faults.contains("45")) {
            const QJsonObject o = m_net.admin("POST", "/admin/apps/unstake", {{"public_key", app}});
            if (!setUp(o.value("removed").toBool(), "unstake")) return false;
        } else if (faults.contains("71") || faults.contains("13")) {
            const int maxRelays = faults.contains("71") ? (duplicate ? 1 : 0) : int(kAppRelays);
            QJsonObject stake{{"public_key", app}, {"max_relays", maxRelays}};
            if (faults.contains("13")) stake.insert("chains", QJsonArray{QString::fromLatin1(m_otherChain)});
            const QJsonArray apps = m_net.admin("POST", "/admin/apps", stake).value("apps").toArray();
            bool staked = false;
            for (const QJsonValue& a : apps) {
                const QJsonObject o = a.toObject();
                staked |= o.value("public_key").toString() == app &&
                          o.value("max_relays").toInt() == maxRelays &&
                          o.value("chains").toArray().size() == (faults.contains("13") ? 1 : 0);
            }
            if (!setUp(staked, "stake")) return false;
        }
        if (faults.contains("90")) { // any chain, any session
            const QJsonObject o = m_net.admin("POST", "/admin/seal", {{"app_public_key", app}});
            if (!setUp(o.value("sealed").toBool(), "seal")) return false;
        }
        if (faults.contains("60")) {
            const QJsonObject o = m_net.admin("POST", "/admin/height", {{"height", double(m_staleHeight)}});
            if (!setUp(qint64(o.value("height").toDouble()) == m_staleHeight, "height")) return false;
        }
        if (faults.contains("status")) {
            const QJsonObject o = m_net.admin("POST", "/admin/status", {{"is_catching_up", true}});
            if (!setUp(o.value("is_catching_up").toBool(), "status")) return false;
        }
        *out = r;
        return true;
    }

    // The reply to a notification rejected with `fault`, byte for byte where PROTOCOL §5.2.1 fixes it; the
    // rejection is counted once under its code and nothing new is stored as evidence.
    void expectRejected(const HttpResult& res, const Fault& fault, const Relay& relay, qint64 height,
                        qint64 acceptedBefore)
    {
        QCOMPARE(res.status, 400);
        QCOMPARE(res.header("Content-Type"), kGoJson);
        const QByteArray tail = ",\"error\":" + fault.errorObject() + ",\"signature\":false}\n";
        if (!fault.dispatch) {
            QCOMPARE(res.body, QByteArray("{\"dispatch\":null") + tail);
        } else {
            QVERIFY2(res.body.startsWith("{\"dispatch\":{\"block_height\":"), res.body.constData());
            QVERIFY2(res.body.endsWith(tail), res.body.constData());
            const QJsonObject d = res.json().value("dispatch").toObject();
            QCOMPARE(qint64(d.value("block_height").toDouble()), height);
            const QJsonObject header = d.value("session").toObject().value("header").toObject();
            QCOMPARE(qint64(header.value("session_height").toDouble()),
                     specLatestSessionHeight(height, kBlocksPerSession));
            QCOMPARE(header.value("app_public_key").toString().toLatin1(), relay.proof.aat.appPubKey);
            QCOMPARE(header.value("chain").toString().toLatin1(), relay.proof.blockchain);
            const QJsonArray nodes = d.value("session").toObject().value("nodes").toArray();
            QCOMPARE(nodes.size(), 1);
            QCOMPARE(nodes.first().toObject().value("public_key").toString().toLatin1(),
                     m_base.proof.servicerPubKey);
        }
        const QJsonObject evidence = m_net.admin("GET", "/admin/evidence");
        const QJsonObject byCode = evidence.value("rejected_by_code").toObject();
        QVERIFY2(byCode.size() == 1 && byCode.value(QLatin1String(fault.counterKey)).toInt() == 1,
                 QJsonDocument(byCode).toJson(QJsonDocument::Compact).constData());
        QCOMPARE(qint64(evidence.value("total_accepted").toDouble()), acceptedBefore);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(crypto::init());
        m_vectors = goldenVectors().object();
        QVERIFY(!m_vectors.isEmpty());
        m_client = vectorsKey("client");
        // A case the Go servicer accepts as sent (its request hash is the Go one).
        for (const QJsonValue& cv : m_vectors.value("cases").toArray()) {
            const QJsonObject c = cv.toObject();
            if (!c.value("pocket_core_view_derived_not_from_sdk")
                     .toObject()
                     .value("request_hash_matches_proof")
                     .toBool())
                continue;
            const auto relay = decodeRelay(c.value("relay_body").toString().toUtf8());
            QVERIFY2(relay.has_value(), qPrintable(c.value("name").toString()));
            m_base = *relay;
            break;
        }
        QVERIFY(!m_base.proof.signature.isEmpty());
        QVERIFY(!m_base.payload.data.isEmpty()); // the 25 fault must be a change
        const QByteArray sample = m_vectors.value("dispatch")
                                      .toObject()
                                      .value("e2e_sample_exchange")
                                      .toObject()
                                      .value("response_body")
                                      .toString()
                                      .toUtf8();
        m_height = qint64(QJsonDocument::fromJson(sample).object().value("block_height").toDouble());
        QVERIFY(m_height > 0);
        // The base relay is in the latest session at that height and its meta is within the block allowance.
        QCOMPARE(m_base.proof.sessionBlockHeight, specLatestSessionHeight(m_height, kBlocksPerSession));
        QVERIFY(qAbs(m_base.meta.blockHeight - m_height) <= kBlockAllowance);
        // The smallest height whose tolerance window (latest − A·B … latest, §7.3) excludes the base session;
        // its meta must stay within the block allowance there, so the height jump only makes a 60.
        m_staleHeight = m_base.proof.sessionBlockHeight + (kSessionAllowance + 1) * kBlocksPerSession;
        QVERIFY(specLatestSessionHeight(m_staleHeight, kBlocksPerSession) -
                    kSessionAllowance * kBlocksPerSession >
                m_base.proof.sessionBlockHeight);
        QVERIFY(qAbs(m_base.meta.blockHeight - m_staleHeight) <= kBlockAllowance);
        QVERIFY(qAbs(1 - m_staleHeight) > kBlockAllowance);

        QString error;
        QVERIFY2(m_net.start({"--block-ms", "0", "--height", QString::number(m_height), "--servicers", "1",
                              "--blocks-per-session", QString::number(kBlocksPerSession),
                              "--session-allowance", QString::number(kSessionAllowance), "--block-allowance",
                              QString::number(kBlockAllowance), "--app-relays", QString::number(kAppRelays),
                              "--service-url", "self"},
                             &error),
                 qPrintable(error));
        QCOMPARE(m_net.info().value("servicer_public_key").toString().toLatin1(),
                 m_base.proof.servicerPubKey);
        const QStringList chains = m_net.info().value("chains").toObject().keys();
        QVERIFY(chains.contains(QString::fromLatin1(m_base.proof.blockchain)));
        QVERIFY(!chains.contains("0040")); // the 26 fault
        for (const QString& c : chains) {
            if (c.toLatin1() != m_base.proof.blockchain) m_otherChain = c.toLatin1();
        }
        QVERIFY(!m_otherChain.isEmpty());
    }

    // G4: GET /v1 is WriteResponse(version): a JSON string literal, no trailing newline, charset=UTF-8
    // (§1.5). The version is the servicer build's (PROTOCOL §0: MESH-RC-0.5.1-RC-0.12.0; §5.2.4 sample).
    void versionRoute()
    {
        const HttpResult res = httpGet(url("/v1"));
        QCOMPARE(res.status, 200);
        QCOMPARE(res.header("Content-Type"), QByteArray("application/json; charset=UTF-8"));
        QCOMPARE(res.body, QByteArray("\"RC-0.12.0\""));
        // The same version as health and /check report.
        QCOMPARE(httpGet(url("/v1/health")).json().value("version").toString(), QStringLiteral("RC-0.12.0"));
        const HttpResult check =
            httpPost(url("/v1/private/mesh/check"), "{\"servicers\":[],\"Chains\":[]}", m_net.auth());
        QCOMPARE(check.json().value("status").toObject().value("version").toString(),
                 QStringLiteral("RC-0.12.0"));
    }

    // The base relay and the repair step: the repaired copy of an untouched relay is the relay itself, and
    // the servicer accepts it (so a rejection below comes from the faults of its row).
    void baseRelayAccepted()
    {
        QVERIFY(reset());
        Relay repaired = m_base;
        repaired.proof.requestHash = requestHashHex(repaired.payload, repaired.meta);
        resignProof(repaired, m_client);
        QVERIFY(repaired == m_base);
        const HttpResult res = notify(m_base);
        QCOMPARE(res.status, 200);
        QCOMPARE(res.body, kNotifyOk);
        QCOMPARE(m_net.admin("GET", "/admin/evidence").value("total_accepted").toInt(), 1);
    }

    // G2 (and G3 for 25, 13, 39, 38): every fault alone gets its own code; every pair of faults that can
    // coexist gets the code of the earlier check in the reference order.
    void orderOfChecks_data()
    {
        QTest::addColumn<QStringList>("faults");
        QTest::addColumn<QString>("first");
        const int n = int(std::size(kFaults));
        for (int i = 0; i < n; ++i) {
            QTest::addRow("%s", kFaults[i].name)
                << QStringList{kFaults[i].name} << QString::fromLatin1(kFaults[i].name);
        }
        for (int i = 0; i < n; ++i) {
            for (int j = i + 1; j < n; ++j) {
                if (!combinable(kFaults[i], kFaults[j])) continue;
                QTest::addRow("%s>%s", kFaults[i].name, kFaults[j].name)
                    << QStringList{kFaults[i].name, kFaults[j].name} << QString::fromLatin1(kFaults[i].name);
            }
        }
    }

    void orderOfChecks()
    {
        QFETCH(QStringList, faults);
        QFETCH(QString, first);
        const Fault* expected = findFault(first);
        QVERIFY(expected);
        QVERIFY(reset());
        Relay relay;
        QString problem;
        QVERIFY2(makeRelay(faults, &relay, &problem), qPrintable(problem));
        const qint64 height = faults.contains("60") ? m_staleHeight : m_height;
        expectRejected(notify(relay), *expected, relay, height, faults.contains("37") ? 1 : 0);
    }

    // G3: the emulator's other own answers. 6 is not reachable on this route: a bad client key fails the AAT
    // check first (4 carrying the multi-line 6, §5.1 step 7.8.f) and a bad servicer key the lean-key lookup.
    void emulatorOwnCodes()
    {
        QVERIFY(reset());
        { // The servicer key is not hex: the lean-key lookup's other sdk 1 (PROTOCOL §5.2.2).
            Relay r = m_base;
            r.proof.servicerPubKey = "zz" + r.proof.servicerPubKey.mid(2);
            resignProof(r, m_client);
            const HttpResult res = notify(r);
            QCOMPARE(res.status, 400);
            QCOMPARE(res.body,
                     QByteArray("{\"dispatch\":null,\"error\":{\"code\":1,\"codespace\":\"sdk\",\"message\":"
                                "\"Could not convert servicer hex to public key\"},\"signature\":false}\n"));
        }
        { // A client key that is not hex: 4 with the multi-line 6 text as its inner error.
            Relay r = m_base;
            r.proof.aat.clientPubKey = "zz" + r.proof.aat.clientPubKey.mid(2);
            resignProof(r, m_client);
            const HttpResult res = notify(r);
            QCOMPARE(res.status, 400);
            QCOMPARE(res.body, kBadClientKeyBody);
        }
        { // The reference relay route answers the same 25, in the relay error shape of DECISIONS 1.
            Relay r = m_base;
            r.payload.data.clear();
            r.payload.path.clear();
            r.proof.requestHash = requestHashHex(r.payload, r.meta);
            resignProof(r, m_client);
            const HttpResult res =
                httpPost(url("/v1/client/relay"), encodeRelay(r), {{"Content-Type", "application/json"}});
            QCOMPARE(res.status, 400);
            QCOMPARE(res.body, kClientRelay25Body);
        }
        const QJsonObject evidence = m_net.admin("GET", "/admin/evidence");
        QCOMPARE(evidence.value("total_accepted").toInt(), 0);
        QCOMPARE(evidence.value("total_rejected").toInt(), 3);
    }

    // G1: with a running block clock the height advances on every route that reports it, and the session
    // height of each dispatch follows blocks_per_session (PROTOCOL §7.3).
    void blockClockAdvances()
    {
        constexpr int kMsPerBlock = 200;
        constexpr qint64 kStart =
            1001; // latest session 1001; 1004 ends it (h mod B == 0), 1005 starts the next
        LocalnetProcess net;
        QString error;
        QVERIFY2(
            net.start({"--block-ms", QString::number(kMsPerBlock), "--height", QString::number(kStart),
                       "--blocks-per-session", QString::number(kBlocksPerSession), "--service-url", "self"},
                      &error),
            qPrintable(error));
        QElapsedTimer clock;
        clock.start();
        const QString base = net.emulatorUrl();
        const Headers auth = net.auth();
        const QByteArray dispatchBody =
            m_vectors.value("dispatch").toObject().value("request_body_built_by_sdk").toString().toUtf8();
        QVERIFY(!dispatchBody.isEmpty());

        QList<qint64> queryHeights, checkHeights;
        QList<QPair<qint64, qint64>> dispatches; // (block_height, session_height) of one reply
        QStringList problems;
        const auto sample = [&] {
            const HttpResult q = httpPost(base + "/v1/query/height", "{}");
            const HttpResult c =
                httpPost(base + "/v1/private/mesh/check", "{\"servicers\":[],\"Chains\":[]}", auth);
            const HttpResult d = httpPost(base + "/v1/client/dispatch", dispatchBody);
            if (q.status != 200 || c.status != 200 || d.status != 200) {
                problems << QStringLiteral("status %1/%2/%3").arg(q.status).arg(c.status).arg(d.status);
                return true; // stop: reported below
            }
            if (c.json().value("blocks_per_session").toInt() != kBlocksPerSession)
                problems << QStringLiteral("check blocks_per_session: ") + QString::fromUtf8(c.body);
            queryHeights << qint64(q.json().value("height").toDouble());
            checkHeights << qint64(c.json().value("status").toObject().value("height").toDouble());
            const QJsonObject dj = d.json();
            dispatches << qMakePair(qint64(dj.value("block_height").toDouble()),
                                    qint64(dj.value("session")
                                               .toObject()
                                               .value("header")
                                               .toObject()
                                               .value("session_height")
                                               .toDouble()));
            // Done once the heights crossed a session boundary, with the session's last block seen.
            bool sawLastBlock = false;
            QSet<qint64> sessions;
            for (const auto& [h, s] : dispatches) {
                sawLastBlock |= h % kBlocksPerSession == 0;
                sessions.insert(s);
            }
            return sawLastBlock && sessions.size() >= 2 &&
                   queryHeights.last() >= kStart + kBlocksPerSession + 1 && checkHeights.last() >= kStart + 2;
        };
        const bool done = waitFor(sample, 30000);
        const qint64 elapsedMs = clock.elapsed();
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join("; ")));
        QVERIFY2(done, qPrintable(QStringLiteral("heights %1 .. %2 after %3 ms")
                                      .arg(queryHeights.value(0))
                                      .arg(queryHeights.value(queryHeights.size() - 1))
                                      .arg(elapsedMs)));
        QVERIFY(queryHeights.first() >= kStart);
        for (const QList<qint64>* series : {&queryHeights, &checkHeights}) {
            for (int i = 1; i < series->size(); ++i)
                QVERIFY(series->at(i) >= series->at(i - 1));
        }
        for (int i = 0; i < dispatches.size(); ++i) {
            const auto [h, s] = dispatches[i];
            QCOMPARE(s, specLatestSessionHeight(h, kBlocksPerSession));
            if (i > 0) QVERIFY(h >= dispatches[i - 1].first);
        }
        // Not faster than the configured clock (Qt's coarse timers may fire up to 5 % early).
        const qint64 advanced = queryHeights.last() - kStart;
        QVERIFY2(advanced <= elapsedMs / (kMsPerBlock * 95 / 100) + 1,
                 qPrintable(QStringLiteral("%1 blocks in %2 ms").arg(advanced).arg(elapsedMs)));
        QCOMPARE(net.admin("GET", "/admin/state").value("ms_per_block").toInt(), kMsPerBlock);
        QVERIFY2(net.stopGracefully(&error), qPrintable(error));
    }

    void cleanupTestCase()
    {
        QString error;
        QVERIFY2(m_net.stopGracefully(&error), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestEmulatorChecks)
#include "tst_emulator_checks.moc"
