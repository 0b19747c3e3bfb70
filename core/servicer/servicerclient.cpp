#include "servicer/servicerclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

#include "protocol/gojson.h"

namespace pocket {

namespace {

bool inSet(quint32 code, std::initializer_list<quint32> set)
{
    return std::find(set.begin(), set.end(), code) != set.end();
}

QString httpErrorText(const HttpError& e) { return e.message; }

} // namespace

PocketError pocketErrorFromJson(const QJsonObject& error)
{
    PocketError e;
    e.codespace = error.value(QLatin1String("codespace")).toString();
    e.code = quint32(error.value(QLatin1String("code")).toDouble());
    QString message = error.value(QLatin1String("message")).toString();
    // /session replies carry the multi-line Error() text (PROTOCOL §5.2.2): keep the plain message.
    if (e.codespace == QLatin1String(kCodespacePocketcore) && !pocketcoreMessage(e.code).isEmpty()
        && message.startsWith(QLatin1String("ERROR:\n")))
        message = pocketcoreMessage(e.code);
    e.message = message;
    return e;
}

NotifyOutcome classifyNotifyReply(int httpStatus, const QByteArray& contentType, const QByteArray& body,
                                  const QByteArray& retryAfter)
{
    NotifyOutcome out;
    out.httpStatus = httpStatus;
    if (httpStatus == 200) {
        out.verdict = NotifyVerdict::Delivered;
        return out;
    }
    if ((httpStatus == 429 || httpStatus == 503) && !retryAfter.isEmpty()) {
        bool ok = false;
        const int seconds = retryAfter.trimmed().toInt(&ok);
        if (ok && seconds >= 0) out.retryAfterSeconds = seconds;
    }
    out.verdict = NotifyVerdict::Retry;
    if (httpStatus >= 401) {
        out.detail = QStringLiteral("servicer answered HTTP %1").arg(httpStatus);
        return out;
    }
    if (!contentType.contains("application/json")) {
        out.detail = QStringLiteral("servicer answered HTTP %1 without JSON").arg(httpStatus);
        return out;
    }
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    const QJsonObject reply = doc.object();
    const QJsonValue error = reply.value(QLatin1String("error"));
    if (!doc.isObject() || !error.isObject()) {
        out.detail = QStringLiteral("servicer answered HTTP %1 without an error object").arg(httpStatus);
        return out;
    }
    out.error = pocketErrorFromJson(error.toObject());
    const QJsonValue dispatch = reply.value(QLatin1String("dispatch"));
    if (dispatch.isObject()) {
        out.dispatchJson = QJsonDocument(dispatch.toObject()).toJson(QJsonDocument::Compact);
        out.dispatchHeight = qint64(dispatch.toObject().value(QLatin1String("block_height")).toDouble());
    }
    out.detail = out.error->toString();
    const quint32 code = out.error->code;
    // Order of PROTOCOL §4.4: invalidate set first, then the non-retryable set, else retry.
    if (inSet(code, {45, 90, 71, 75})) out.verdict = NotifyVerdict::RejectedInvalidate;
    else if (inSet(code, {76, 13, 26, 37, 74, 60})) out.verdict = NotifyVerdict::Rejected;
    return out;
}

SessionReply classifySessionReply(int httpStatus, const QByteArray& body)
{
    SessionReply out;
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    if (!doc.isObject()) {
        out.detail = QStringLiteral("unreadable /session reply (HTTP %1)").arg(httpStatus);
        return out; // retry (DECISIONS 5)
    }
    const QJsonObject reply = doc.object();
    const QJsonValue dispatch = reply.value(QLatin1String("dispatch"));
    if (dispatch.isObject()) out.dispatchJson = QJsonDocument(dispatch.toObject()).toJson(QJsonDocument::Compact);
    if (httpStatus == 200) {
        out.kind = SessionReply::Kind::Valid;
        // Passed through float64 by the servicer (PROTOCOL §5.2.2): read leniently.
        const double remaining = reply.value(QLatin1String("remaining_relays")).toDouble(-1);
        out.remainingRelays = remaining < 0 ? -1 : qint64(std::min(remaining, 9.0e18));
        return out;
    }
    const QJsonValue error = reply.value(QLatin1String("error"));
    if (!error.isObject()) {
        out.detail = QStringLiteral("/session answered HTTP %1 without an error object").arg(httpStatus);
        return out; // 401 {"code":401,...}, 5xx: retry
    }
    out.error = pocketErrorFromJson(error.toObject());
    out.detail = out.error->toString();
    if (out.error->codespace != QLatin1String(kCodespacePocketcore)) return out; // node syncing, lean key: retry
    if (out.error->code == 60) {
        // The servicer's /session only accepts its latest session height, /relay accepts the tolerance
        // window (BUG-4): a previous session is still claimable, so keep serving it without a count.
        out.kind = SessionReply::Kind::Valid;
        out.remainingRelays = -1;
        return out;
    }
    out.kind = SessionReply::Kind::Rejected;
    return out;
}

ServicerClient::ServicerClient(HttpClient* client, ServicerClientOptions options, QObject* parent)
    : QObject(parent), m_client(client), m_options(std::move(options))
{
}

HttpRequest ServicerClient::baseRequest(const QString& url, bool json) const
{
    HttpRequest r;
    r.method = "POST";
    r.url = url.toUtf8();
    r.timeoutMs = m_options.timeoutMs;
    r.headers.emplaceBack("Authorization", m_options.authToken);
    if (json) r.headers.emplaceBack("Content-Type", "application/json");
    if (!m_options.userAgent.isEmpty()) r.headers.emplaceBack("User-Agent", m_options.userAgent);
    return r;
}

void ServicerClient::notify(const QString& nodeUrl, const QByteArray& servicerAddressHex, const QByteArray& chain,
                            const QByteArray& appPubKey, const QByteArray& body, QObject* context,
                            std::function<void(NotifyOutcome)> done)
{
    // Plain concatenation like the reference (PROTOCOL §4.2); chain/app are informational query parameters.
    HttpRequest r = baseRequest(nodeUrl + QStringLiteral("/v1/private/mesh/relay?chain=%1&app=%2")
                                              .arg(QString::fromLatin1(QUrl::toPercentEncoding(QString::fromUtf8(chain))),
                                                   QString::fromLatin1(QUrl::toPercentEncoding(QString::fromUtf8(appPubKey)))),
                                true);
    r.headers.emplaceBack("X-Servicer", servicerAddressHex);
    r.body = body;
    m_client->send(std::move(r), context, [done = std::move(done)](HttpResult reply) {
        if (!reply) {
            NotifyOutcome out;
            out.detail = QStringLiteral("notify transport error: ") + httpErrorText(reply.error());
            done(std::move(out));
            return;
        }
        done(classifyNotifyReply(reply->status, reply->header("Content-Type"), reply->body,
                                 reply->header("Retry-After")));
    });
}

void ServicerClient::session(const SessionInfo& session, QObject* context, std::function<void(SessionReply)> done)
{
    GoJsonWriter w(512);
    // MeshSession field order (PROTOCOL §5.2.2).
    w.beginObject()
        .key("session_header")
        .beginObject()
        .key("app_public_key")
        .string(session.appPubKey)
        .key("chain")
        .string(session.chain)
        .key("session_height")
        .integer(session.sessionHeight)
        .endObject()
        .key("meta")
        .beginObject()
        .key("block_height")
        .integer(session.firstMetaHeight)
        .endObject()
        .key("servicer_pub_key")
        .string(session.servicerPubKeyHex)
        .key("blockchain")
        .string(session.chain)
        .key("session_block_height")
        .integer(session.sessionHeight)
        .endObject();
    HttpRequest r = baseRequest(session.nodeUrl + QStringLiteral("/v1/private/mesh/session"), true);
    r.body = w.take();
    m_client->send(std::move(r), context, [done = std::move(done)](HttpResult reply) {
        if (!reply) {
            SessionReply out;
            out.detail = QStringLiteral("session transport error: ") + httpErrorText(reply.error());
            done(std::move(out));
            return;
        }
        done(classifySessionReply(reply->status, reply->body));
    });
}

void ServicerClient::check(const QString& nodeUrl, const QList<QByteArray>& servicerAddresses,
                           const QList<QByteArray>& chains, QObject* context,
                           std::function<void(Result<CheckReply>)> done)
{
    GoJsonWriter w(256);
    w.beginObject().key("servicers").beginArray();
    for (const auto& a : servicerAddresses) w.string(a);
    w.endArray().key("Chains").beginArray(); // capital C (PROTOCOL §5.2.4)
    for (const auto& c : chains) w.string(c);
    w.endArray().endObject();
    HttpRequest r = baseRequest(nodeUrl + QStringLiteral("/v1/private/mesh/check"), false);
    r.body = w.take();
    m_client->send(std::move(r), context, [done = std::move(done)](HttpResult reply) {
        if (!reply) {
            done(fail(PocketError::internal(QStringLiteral("check failed: ") + httpErrorText(reply.error()))));
            return;
        }
        const QJsonDocument doc = QJsonDocument::fromJson(reply->body);
        if (reply->status != 200 || !doc.isObject()) {
            done(fail(PocketError::internal(QStringLiteral("check answered HTTP %1%2")
                                                .arg(reply->status)
                                                .arg(doc.isObject() ? QString() : QStringLiteral(" (not JSON)")))));
            return;
        }
        const QJsonObject o = doc.object();
        CheckReply c;
        c.success = o.value(QLatin1String("success")).toBool();
        const QJsonObject status = o.value(QLatin1String("status")).toObject();
        c.isStarting = status.value(QLatin1String("is_starting")).toBool();
        c.isCatchingUp = status.value(QLatin1String("is_catching_up")).toBool();
        c.height = qint64(status.value(QLatin1String("height")).toDouble());
        c.version = status.value(QLatin1String("version")).toString();
        c.blocksPerSession = qint64(o.value(QLatin1String("blocks_per_session")).toDouble());
        c.sessionSyncAllowance = qint64(o.value(QLatin1String("client_session_sync_allowance")).toDouble());
        for (const auto& v : o.value(QLatin1String("wrong_chains")).toArray()) c.wrongChains.append(v.toString());
        for (const auto& v : o.value(QLatin1String("wrong_servicers")).toArray())
            c.wrongServicers.append(v.toString());
        if (status.isEmpty()) {
            done(fail(PocketError::internal(QStringLiteral("check reply has no status"))));
            return;
        }
        done(c);
    });
}

void ServicerClient::verify(const QString& nodeUrl, const QString& endpoint, QObject* context,
                            std::function<void(bool, QString)> done)
{
    HttpRequest r = baseRequest(nodeUrl + QStringLiteral("/v1/private/mesh/%1?verify=true").arg(endpoint), true);
    m_client->send(std::move(r), context,
                   [done = std::move(done), endpoint](HttpResult reply) {
                       if (!reply) done(false, endpoint + QStringLiteral(": ") + httpErrorText(reply.error()));
                       else if (reply->status != 200)
                           done(false, endpoint + QStringLiteral(": HTTP %1").arg(reply->status));
                       else done(true, {});
                   });
}

} // namespace pocket
