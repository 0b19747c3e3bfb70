#include "emulatorserver.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>
#include <optional>

#include "chaincaller.h"
#include "protocol/gojson.h"
#include "protocol/jsonsort.h"

namespace pocket::localnet {

namespace {

// WriteJSONResponse (keys sorted, trailing newline) and WriteErrorResponse content types (PROTOCOL §1.5).
const QByteArray kGoJson = "application/json; charset=utf-8";
const QByteArray kGoError = "application/json; charset=UTF-8";
const QByteArray kAdminJson = "application/json";

const QByteArray kNotifyOk = "{\"dispatch\":null,\"error\":null,\"signature\":true}\n";
const QByteArray kSessionVerify = "{\"dispatch\":null,\"error\":null,\"remaining_relays\":0,\"success\":true}\n";

// The CORS headers of the shared rpc server (PROTOCOL §2.2); the servicer sets them on its relay routes.
HeaderList corsHeaders()
{
    return {{"Access-Control-Allow-Origin", "*"},
            {"Access-Control-Allow-Methods", "POST"},
            {"Access-Control-Allow-Headers",
             "Accept, Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, Authorization"}};
}

// WriteErrorResponse: {"code":N,"message":"..."}\n (struct order).
QByteArray errorResponse(int code, const QString& message)
{
    GoJsonWriter w;
    w.beginObject().key("code").integer(code).key("message").string(message.toUtf8()).endObject();
    return w.take() + '\n';
}

// An sdk.Error marshalled as JSON (sorted): plain message for /relay, multi-line Error() for /session.
// A plain Go error (code 0) marshals as {}.
void writeSdkError(GoJsonWriter& w, const PocketError& e, bool multiLine)
{
    w.beginObject();
    if (e.code != 0) {
        w.key("code").integer(e.code);
        w.key("codespace").string(e.codespace.toUtf8());
        w.key("message").string((multiLine ? e.errorText() : e.message).toUtf8());
    }
    w.endObject();
}

// Codes for which the servicer attaches a dispatch to a relay error (ErrorWarrantsDispatch, PROTOCOL §4.4).
bool warrantsDispatch(const PocketError& e)
{
    return e.codespace == QLatin1String(kCodespacePocketcore)
        && (e.code == 71 || e.code == 60 || e.code == 14 || e.code == 75);
}

QByteArray compact(const QJsonObject& o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// Go matches JSON keys to struct fields case-insensitively, preferring an exact match (PROTOCOL §1.2).
QJsonValue field(const QJsonObject& o, const QString& name)
{
    if (o.contains(name)) return o.value(name);
    QJsonValue found;
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (it.key().compare(name, Qt::CaseInsensitive) == 0) found = it.value();
    }
    return found;
}

std::optional<qint64> intField(const QJsonObject& o, const QString& name, QString* error)
{
    const QJsonValue v = field(o, name);
    if (v.isUndefined() || v.isNull()) return qint64(0);
    if (!v.isDouble() || v.toDouble() != double(qint64(v.toDouble()))) {
        *error = QStringLiteral("json: cannot unmarshal into Go struct field %1 of type int64").arg(name);
        return std::nullopt;
    }
    return qint64(v.toDouble());
}

std::optional<QByteArray> stringField(const QJsonObject& o, const QString& name, QString* error)
{
    const QJsonValue v = field(o, name);
    if (v.isUndefined() || v.isNull()) return QByteArray();
    if (!v.isString()) {
        *error = QStringLiteral("json: cannot unmarshal into Go struct field %1 of type string").arg(name);
        return std::nullopt;
    }
    return v.toString().toUtf8();
}

std::optional<QList<QByteArray>> stringListField(const QJsonObject& o, const QString& name, QString* error)
{
    const QJsonValue v = field(o, name);
    QList<QByteArray> out;
    if (v.isUndefined() || v.isNull()) return out;
    if (!v.isArray()) {
        *error = QStringLiteral("json: cannot unmarshal into Go struct field %1 of type []string").arg(name);
        return std::nullopt;
    }
    for (const QJsonValue& e : v.toArray()) {
        if (!e.isString()) {
            *error = QStringLiteral("json: cannot unmarshal into Go struct field %1 of type string").arg(name);
            return std::nullopt;
        }
        out.append(e.toString().toUtf8());
    }
    return out;
}

std::optional<QJsonObject> parseObject(const QByteArray& body, QString* error)
{
    if (body.trimmed().isEmpty()) return QJsonObject(); // Go: an empty body leaves the struct zero-valued
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &pe);
    if (pe.error != QJsonParseError::NoError) {
        *error = QStringLiteral("invalid character at offset %1: %2").arg(pe.offset).arg(pe.errorString());
        return std::nullopt;
    }
    if (!doc.isObject()) {
        *error = QStringLiteral("json: cannot unmarshal array into Go value of type object");
        return std::nullopt;
    }
    return doc.object();
}

// Admin parameters come from the JSON body or the query string (curl-friendly).
class AdminParams
{
public:
    explicit AdminParams(const HttpRequest& r)
        : m_query(r.queryItems())
    {
        const QJsonDocument doc = QJsonDocument::fromJson(r.body);
        if (doc.isObject()) m_body = doc.object();
    }
    bool has(const QString& name) const { return m_body.contains(name) || m_query.hasQueryItem(name); }
    std::optional<qint64> integer(const QString& name) const
    {
        if (m_body.contains(name) && m_body.value(name).isDouble()) return qint64(m_body.value(name).toDouble());
        bool ok = false;
        const qint64 v = m_query.queryItemValue(name).toLongLong(&ok);
        return ok ? std::optional<qint64>(v) : std::nullopt;
    }
    std::optional<bool> boolean(const QString& name) const
    {
        if (m_body.contains(name) && m_body.value(name).isBool()) return m_body.value(name).toBool();
        const QString v = m_query.queryItemValue(name);
        if (v == QLatin1String("true") || v == QLatin1String("1")) return true;
        if (v == QLatin1String("false") || v == QLatin1String("0")) return false;
        return std::nullopt;
    }
    QByteArray string(const QString& name) const
    {
        if (m_body.contains(name) && m_body.value(name).isString()) return m_body.value(name).toString().toUtf8();
        return m_query.queryItemValue(name, QUrl::FullyDecoded).toUtf8();
    }
    QList<QByteArray> list(const QString& name) const
    {
        QList<QByteArray> out;
        if (m_body.value(name).isArray()) {
            for (const QJsonValue& v : m_body.value(name).toArray()) out.append(v.toString().toUtf8());
            return out;
        }
        for (const QByteArray& s : string(name).split(',')) {
            if (!s.isEmpty()) out.append(s);
        }
        return out;
    }

private:
    QJsonObject m_body;
    QUrlQuery m_query;
};

} // namespace

EmulatorServer::EmulatorServer(ServicerState* state, EmulatorOptions options, QObject* parent)
    : QObject(parent)
    , m_state(state)
    , m_options(std::move(options))
{
}

quint16 EmulatorServer::start(const QHostAddress& address, quint16 port)
{
    m_server = new LocalHttpServer([this](const HttpRequest& rq, HttpReply rp) { handle(rq, std::move(rp)); }, this);
    m_chain = new ChainCaller(m_options.chainTimeoutMs, this);
    m_blockTimer = new QTimer(this);
    connect(m_blockTimer, &QTimer::timeout, this, [this] { m_state->advanceBlock(); });
    setBlockClock(m_state->settings().msPerBlock);
    return m_server->start(address, port);
}

quint16 EmulatorServer::port() const
{
    return m_server ? m_server->port() : 0;
}

void EmulatorServer::setBlockClock(int msPerBlock)
{
    m_msPerBlock = qMax(0, msPerBlock);
    if (m_msPerBlock > 0) {
        m_blockTimer->start(m_msPerBlock);
    } else {
        m_blockTimer->stop();
    }
}

void EmulatorServer::handle(const HttpRequest& request, HttpReply reply)
{
    if (request.path.startsWith("/admin/")) {
        handleAdmin(request, std::move(reply));
        return;
    }
    if (m_faults.delayMs > 0 && request.path.startsWith(m_faults.delayPath)) {
        count(QStringLiteral("injected_delay"));
        QTimer::singleShot(m_faults.delayMs, this, [this, request, reply]() mutable {
            if (reply.isConnected()) route(request, std::move(reply));
        });
        return;
    }
    route(request, std::move(reply));
}

bool EmulatorServer::shouldFail(const QByteArray& path)
{
    if (!path.startsWith(m_faults.failPath)) return false;
    if (m_faults.failCount > 0) {
        --m_faults.failCount;
        return true;
    }
    return m_faults.failUntilMs > QDateTime::currentMSecsSinceEpoch();
}

void EmulatorServer::route(const HttpRequest& request, HttpReply reply)
{
    if (shouldFail(request.path)) {
        count(QStringLiteral("injected_failure"));
        reply.send(m_faults.failStatus, errorResponse(m_faults.failStatus, QStringLiteral("localnet injected failure")),
                   kGoError);
        return;
    }
    const QByteArray& p = request.path;
    const QByteArray& m = request.method;
    struct Route
    {
        const char* path;
        const char* method;
        void (EmulatorServer::*handler)(const HttpRequest&, HttpReply);
    };
    static const Route routes[] = {
        {"/v1/private/mesh/relay", "POST", &EmulatorServer::meshRelay},
        {"/v1/private/mesh/session", "POST", &EmulatorServer::meshSession},
        {"/v1/private/mesh/check", "POST", &EmulatorServer::meshCheck},
        {"/v1/client/relay", "POST", &EmulatorServer::clientRelay},
        {"/v1/client/dispatch", "POST", &EmulatorServer::clientDispatch},
    };
    for (const Route& r : routes) {
        if (p != r.path) continue;
        if (m == r.method) {
            (this->*r.handler)(request, std::move(reply));
        } else if (m == "OPTIONS") {
            reply.send(200, {}, {}, corsHeaders() + HeaderList{{"Allow", "OPTIONS, POST"}});
        } else {
            reply.send(405, "Method Not Allowed\n", "text/plain; charset=utf-8", {{"Allow", "OPTIONS, POST"}});
        }
        return;
    }
    if (p == "/v1" && m == "GET") {
        count(QStringLiteral("version"));
        QByteArray body;
        appendGoJsonString(body, m_state->settings().version);
        reply.send(200, body, kGoError);
    } else if (p == "/v1/health" && m == "GET") {
        count(QStringLiteral("health"));
        GoJsonWriter w;
        w.beginObject().key("height").integer(m_state->height()).key("is_catching_up").boolean(m_state->isCatchingUp())
            .key("is_starting").boolean(m_state->isStarting()).key("version").string(m_state->settings().version)
            .endObject();
        reply.send(200, w.take() + '\n', kGoJson);
    } else if (p == "/v1/query/height" && (m == "POST" || m == "GET")) {
        count(QStringLiteral("query_height"));
        GoJsonWriter w;
        w.beginObject().key("height").integer(m_state->height()).endObject();
        reply.send(200, w.take() + '\n', kGoJson);
    } else {
        reply.send(404, "404 page not found\n", "text/plain; charset=utf-8");
    }
}

bool EmulatorServer::authorized(const HttpRequest& request, HttpReply& reply, const HeaderList& headers)
{
    // Bare token, exact compare (PROTOCOL §5.2). The 401 echoes what was received, like the servicer.
    const QByteArray received = request.header("Authorization");
    if (received == m_options.token) return true;
    count(QStringLiteral("unauthorized"));
    reply.send(401, errorResponse(401, QStringLiteral("wrong authtoken: ") + QString::fromUtf8(received)), kGoError,
               headers);
    return false;
}

void EmulatorServer::meshRelay(const HttpRequest& request, HttpReply reply)
{
    count(QStringLiteral("mesh_relay"));
    const HeaderList cors = corsHeaders();
    if (!authorized(request, reply, cors)) return;
    if (request.queryValue(QStringLiteral("verify")) == QLatin1String("true")) {
        count(QStringLiteral("verify"));
        reply.send(200, kNotifyOk, kGoJson, cors);
        return;
    }
    const auto relay = decodeRelay(request.body);
    if (!relay) {
        m_state->countRejected(PocketError{QString(), 0, relay.error()});
        reply.send(400, "{\"dispatch\":null,\"error\":{}}\n", kGoJson, cors);
        return;
    }
    const auto accepted = m_state->validateRelay(*relay);
    if (!accepted) {
        const PocketError& e = accepted.error();
        m_state->countRejected(e);
        GoJsonWriter w;
        w.beginObject().key("dispatch");
        if (warrantsDispatch(e)) {
            w.raw(m_state->dispatchJson(relay->proof.aat.appPubKey, relay->proof.blockchain, DispatchStyle::RelayError));
        } else {
            w.null();
        }
        w.key("error");
        writeSdkError(w, e, false);
        w.key("signature").boolean(false).endObject();
        reply.send(400, w.take() + '\n', kGoJson, cors);
        return;
    }
    m_state->storeEvidence(*accepted, EvidenceSource::Notify);
    reply.send(200, kNotifyOk, kGoJson, cors);
}

void EmulatorServer::meshSession(const HttpRequest& request, HttpReply reply)
{
    count(QStringLiteral("mesh_session"));
    if (!authorized(request, reply, {})) return;
    if (request.queryValue(QStringLiteral("verify")) == QLatin1String("true")) {
        count(QStringLiteral("verify"));
        reply.send(200, kSessionVerify, kGoJson);
        return;
    }
    QString err;
    const auto body = parseObject(request.body, &err);
    std::optional<QByteArray> app, chain, servicer;
    std::optional<qint64> height;
    if (body) {
        const QJsonValue header = field(*body, QStringLiteral("session_header"));
        if (!header.isUndefined() && !header.isNull() && !header.isObject()) {
            err = QStringLiteral("json: cannot unmarshal into Go struct field MeshSession.session_header");
        } else {
            app = stringField(header.toObject(), QStringLiteral("app_public_key"), &err);
            if (app) chain = stringField(*body, QStringLiteral("blockchain"), &err);
            if (chain) servicer = stringField(*body, QStringLiteral("servicer_pub_key"), &err);
            if (servicer) height = intField(*body, QStringLiteral("session_block_height"), &err);
        }
    }
    if (!height) {
        reply.send(400, errorResponse(400, err), kGoError);
        return;
    }
    const auto grant = m_state->validateSession(*app, *chain, *height, *servicer);
    GoJsonWriter w;
    w.beginObject().key("dispatch");
    if (!grant) {
        m_state->countRejected(grant.error());
        w.null().key("error");
        writeSdkError(w, grant.error(), true);
        w.key("remaining_relays").integer(0).key("success").boolean(false).endObject();
        reply.send(400, w.take() + '\n', kGoJson);
        return;
    }
    w.raw(m_state->dispatchJson(grant->appHex, grant->chain, DispatchStyle::MeshSession));
    w.key("error").null().key("remaining_relays").integer(grant->remainingRelays).key("success").boolean(true);
    w.endObject();
    reply.send(200, w.take() + '\n', kGoJson);
}

void EmulatorServer::meshCheck(const HttpRequest& request, HttpReply reply)
{
    count(QStringLiteral("mesh_check"));
    if (!authorized(request, reply, {})) return;
    if (request.queryValue(QStringLiteral("verify")) == QLatin1String("true")) {
        count(QStringLiteral("verify"));
        reply.send(200, "{}\n", kGoJson);
        return;
    }
    QString err;
    const auto body = parseObject(request.body, &err);
    std::optional<QList<QByteArray>> servicers, chains;
    if (body) servicers = stringListField(*body, QStringLiteral("servicers"), &err);
    if (servicers) chains = stringListField(*body, QStringLiteral("Chains"), &err);
    if (!chains) {
        reply.send(400, errorResponse(400, err), kGoError);
        return;
    }
    QList<QByteArray> wrongServicers, wrongChains;
    for (const QByteArray& a : *servicers) {
        if (m_state->keyIndexByAddressHex(a) < 0) wrongServicers.append(a);
    }
    for (const QByteArray& c : *chains) {
        if (!m_state->hostsChain(c)) wrongChains.append(c);
    }
    const auto& s = m_state->settings();
    GoJsonWriter w;
    w.beginObject();
    w.key("blocks_per_session").integer(s.blocksPerSession);
    w.key("chains").boolean(wrongChains.isEmpty());
    w.key("client_session_sync_allowance").integer(s.sessionSyncAllowance);
    w.key("error").null();
    w.key("servicers").boolean(wrongServicers.isEmpty());
    w.key("status").beginObject().key("height").integer(m_state->height());
    w.key("is_catching_up").boolean(m_state->isCatchingUp()).key("is_starting").boolean(m_state->isStarting());
    w.key("version").string(s.version).endObject();
    w.key("success").boolean(true);
    w.key("wrong_chains").beginArray();
    for (const QByteArray& c : wrongChains) w.string(c);
    w.endArray().key("wrong_servicers").beginArray();
    for (const QByteArray& a : wrongServicers) w.string(a);
    w.endArray().endObject();
    reply.send(200, w.take() + '\n', kGoJson);
}

void EmulatorServer::clientRelay(const HttpRequest& request, HttpReply reply)
{
    count(QStringLiteral("client_relay"));
    const HeaderList cors = corsHeaders();
    const auto relay = decodeRelay(request.body);
    if (!relay) {
        m_state->countRejected(PocketError{QString(), 0, relay.error()});
        reply.send(400, errorResponse(400, relay.error()), kGoError, cors);
        return;
    }
    const auto accepted = m_state->validateRelay(*relay);
    if (!accepted) {
        const PocketError& e = accepted.error();
        m_state->countRejected(e);
        if (e.code == 0) {
            reply.send(400, "{\"dispatch\":null,\"error\":{}}\n", kGoJson, cors);
            return;
        }
        const QByteArray dispatch = warrantsDispatch(e)
            ? m_state->dispatchJson(relay->proof.aat.appPubKey, relay->proof.blockchain, DispatchStyle::RelayError)
            : QByteArray();
        reply.send(400, relayErrorBody(e, dispatch), kGoJson, cors);
        return;
    }
    // The official servicer stores the proof before executing (HandleRelay): evidence even if the chain fails.
    m_state->storeEvidence(*accepted, EvidenceSource::ClientRelay);
    const QByteArray chainUrl = m_options.chainUrls.value(relay->proof.blockchain);
    if (chainUrl.isEmpty()) {
        reply.send(400, relayErrorBody(PocketError::pocketcore(46)), kGoJson, cors);
        return;
    }
    const QByteArray privateKey = m_state->key(accepted->keyIndex).privateKey;
    const QByteArray proofHashHex = accepted->proofHashHex;
    const bool sort = m_options.jsonSortResponses;
    m_chain->call(relay->proof.blockchain, chainUrl, relay->payload,
                  [reply, cors, privateKey, proofHashHex, sort](Result<QByteArray> body) mutable {
                      if (!body) {
                          reply.send(400, relayErrorBody(body.error()), kGoJson, cors);
                          return;
                      }
                      const QByteArray response = sort ? goSortJsonObject(*body).value_or(*body) : *body;
                      const QByteArray signature = signResponse(privateKey, response, proofHashHex);
                      reply.send(200, relaySuccessBody(response, signature), kGoJson, cors);
                  });
}

void EmulatorServer::clientDispatch(const HttpRequest& request, HttpReply reply)
{
    count(QStringLiteral("client_dispatch"));
    QString err;
    const auto body = parseObject(request.body, &err);
    std::optional<QByteArray> app, chain;
    if (body) app = stringField(*body, QStringLiteral("app_public_key"), &err);
    if (app) chain = stringField(*body, QStringLiteral("chain"), &err);
    if (!chain) {
        reply.send(400, errorResponse(400, err), kGoError, corsHeaders());
        return;
    }
    if (!m_state->app(*app)) {
        reply.send(400, errorResponse(400, PocketError::pocketcore(45).errorText()), kGoError, corsHeaders());
        return;
    }
    if (!m_state->hostsChain(*chain)) {
        reply.send(400, errorResponse(400, PocketError::pocketcore(26).errorText()), kGoError, corsHeaders());
        return;
    }
    reply.send(200, m_state->dispatchJson(*app, *chain, DispatchStyle::ClientDispatch) + '\n', kGoJson, corsHeaders());
}

QJsonObject EmulatorServer::countersJson() const
{
    QJsonObject o;
    for (const auto& [k, v] : m_counters) o.insert(k, double(v));
    return o;
}

void EmulatorServer::handleAdmin(const HttpRequest& request, HttpReply reply)
{
    const QByteArray& p = request.path;
    const bool get = request.method == "GET";
    const bool post = request.method == "POST";
    const AdminParams params(request);
    auto ok = [&](const QJsonObject& o) { reply.send(200, compact(o), kAdminJson); };
    auto bad = [&](const QString& e) { reply.send(400, compact(QJsonObject{{"error", e}}), kAdminJson); };
    auto faultsJson = [this] {
        return QJsonObject{{"delay_ms", m_faults.delayMs},
                           {"delay_path", QString::fromUtf8(m_faults.delayPath)},
                           {"fail_count", m_faults.failCount},
                           {"fail_until_ms", double(m_faults.failUntilMs)},
                           {"fail_status", m_faults.failStatus},
                           {"fail_path", QString::fromUtf8(m_faults.failPath)},
                           {"refusing", m_server->isRefusing()}};
    };

    if (p == "/admin/state" && get) {
        QJsonObject o = m_state->stateJson();
        o.insert("ms_per_block", m_msPerBlock);
        o.insert("requests", countersJson());
        o.insert("faults", faultsJson());
        ok(o);
    } else if (p == "/admin/servicers" && get) {
        QJsonArray list;
        for (int i = 0; i < m_state->keyCount(); ++i) {
            list.append(QJsonObject{{"index", i},
                                    {"address", QString::fromLatin1(m_state->key(i).addressHex)},
                                    {"public_key", QString::fromLatin1(m_state->key(i).publicKeyHex)}});
        }
        ok(QJsonObject{{"servicers", list}});
    } else if (p == "/admin/evidence" && get) {
        ok(m_state->evidenceJson());
    } else if (p == "/admin/evidence/clear" && post) {
        m_state->clearEvidence();
        ok(m_state->evidenceJson());
    } else if (p == "/admin/height" && post) {
        if (const auto h = params.integer(QStringLiteral("height"))) m_state->setHeight(*h);
        if (const auto a = params.integer(QStringLiteral("advance"))) m_state->setHeight(m_state->height() + *a);
        if (const auto ms = params.integer(QStringLiteral("ms_per_block"))) setBlockClock(int(*ms));
        ok(QJsonObject{{"height", double(m_state->height())},
                       {"latest_session_height", double(m_state->latestSessionHeight())},
                       {"ms_per_block", m_msPerBlock}});
    } else if (p == "/admin/status" && post) {
        m_state->setStatus(params.boolean(QStringLiteral("is_starting")).value_or(false),
                           params.boolean(QStringLiteral("is_catching_up")).value_or(false));
        ok(QJsonObject{{"is_starting", m_state->isStarting()}, {"is_catching_up", m_state->isCatchingUp()}});
    } else if (p == "/admin/delay" && post) {
        m_faults.delayMs = int(params.integer(QStringLiteral("ms")).value_or(0));
        m_faults.delayPath = params.string(QStringLiteral("path"));
        ok(faultsJson());
    } else if (p == "/admin/fail" && post) {
        m_faults.failCount = int(params.integer(QStringLiteral("count")).value_or(0));
        const qint64 ms = params.integer(QStringLiteral("ms")).value_or(0);
        m_faults.failUntilMs = ms > 0 ? QDateTime::currentMSecsSinceEpoch() + ms : 0;
        m_faults.failStatus = int(params.integer(QStringLiteral("status")).value_or(500));
        m_faults.failPath = params.string(QStringLiteral("path"));
        ok(faultsJson());
    } else if (p == "/admin/refuse" && post) {
        const int ms = int(params.integer(QStringLiteral("ms")).value_or(1000));
        QJsonObject o = faultsJson();
        o.insert("refusing", true);
        o.insert("refuse_ms", ms);
        ok(o);
        m_server->refuseConnections(ms, reply.socket());
    } else if (p == "/admin/apps" && get) {
        ok(m_state->stateJson());
    } else if (p == "/admin/apps" && post) {
        StakedApp a;
        a.publicKeyHex = params.string(QStringLiteral("public_key"));
        a.maxRelays = params.integer(QStringLiteral("max_relays")).value_or(100000);
        a.chains = params.list(QStringLiteral("chains"));
        if (a.publicKeyHex.size() != 64) return bad(QStringLiteral("public_key must be 64 hex characters"));
        m_state->stakeApp(a);
        ok(m_state->stateJson());
    } else if (p == "/admin/apps/unstake" && post) {
        const bool removed = m_state->unstakeApp(params.string(QStringLiteral("public_key")));
        ok(QJsonObject{{"removed", removed}});
    } else if (p == "/admin/seal" && post) {
        m_state->seal(params.string(QStringLiteral("app_public_key")), params.string(QStringLiteral("chain")),
                      params.integer(QStringLiteral("session_height")).value_or(0));
        ok(QJsonObject{{"sealed", true}});
    } else {
        reply.send(404, compact(QJsonObject{{"error", QStringLiteral("unknown admin route")}}), kAdminJson);
    }
}

} // namespace pocket::localnet
