#include "admin/adminapi.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QUrlQuery>
#include <sodium.h>

#include "admin/adminjson.h"
#include "server/httpresponses.h"
#include "server/meshhttpserver.h"

Q_LOGGING_CATEGORY(lcAdmin, "pocket.admin")

namespace pocket {

namespace {

constexpr char kPrefix[] = "/v1/private/mesh/";

HttpHeaderList reEncodedHeaders() { return {{"Content-Type", http::kJsonLowerUtf8}}; } // WriteJSONResponse
HttpHeaderList rawHeaders() { return {{"Content-Type", http::kJsonUpperUtf8}}; }       // WriteRaw

// Query parameters of an operator route: only `allowed` names, each at most once, integers in range.
class QueryInts
{
public:
    QueryInts(const ServerRequest& request, std::initializer_list<const char*> allowed)
    {
        const QUrlQuery query = request.query();
        QStringList names;
        for (const char* a : allowed) names.append(QLatin1String(a));
        for (const auto& [name, value] : query.queryItems(QUrl::FullyDecoded)) {
            if (!names.contains(name)) {
                m_error = QStringLiteral("unknown query parameter \"%1\" (accepted: %2)")
                              .arg(name.left(64), names.join(QStringLiteral(", ")));
                return;
            }
            if (m_values.contains(name)) {
                m_error = QStringLiteral("query parameter \"%1\" given twice").arg(name);
                return;
            }
            m_values.insert(name, value);
        }
    }
    const QString& error() const { return m_error; }
    // The value of `name` in [min, max], `fallback` when absent; sets error() when not such an integer.
    qint64 get(const char* name, qint64 fallback, qint64 min, qint64 max)
    {
        const QString key = QLatin1String(name);
        if (!m_error.isEmpty() || !m_values.contains(key)) return fallback;
        const QString text = m_values.value(key);
        bool ok = false;
        const qint64 v = text.toLongLong(&ok);
        if (!ok || v < min || v > max) {
            m_error = QStringLiteral("query parameter \"%1\": expected an integer from %2 to %3, got \"%4\"")
                          .arg(key)
                          .arg(min)
                          .arg(max)
                          .arg(text.left(64));
            return fallback;
        }
        return v;
    }

private:
    QHash<QString, QString> m_values;
    QString m_error;
};

void badRequest(const Responder& responder, const QString& message)
{
    http::sendJsonError(responder, 400, message.toUtf8());
}

} // namespace

AdminApi::AdminApi(AdminBackend* backend, QObject* control, QByteArray token)
    : m_backend(backend), m_control(control), m_token(std::move(token))
{
}

bool AdminApi::authorized(const QByteArray& header) const
{
    // DECISIONS 8: no token configured ⇒ closed; compared in constant time; never echoed.
    if (m_token.isEmpty() || header.size() != m_token.size()) return false;
    return sodium_memcmp(header.constData(), m_token.constData(), size_t(m_token.size())) == 0;
}

void AdminApi::add(ServerThreadContext& ctx, const QByteArray& method, const QByteArray& route, Handler handler) const
{
    ctx.route(method, QByteArray(kPrefix) + route, [this, handler](ServerRequest request, Responder responder) {
        if (!authorized(request.header("Authorization"))) {
            // The reference answers "wrong Authorization: <received>"; the received value is not echoed.
            http::sendJsonError(responder, 401, "wrong Authorization");
            return;
        }
        (this->*handler)(request, responder);
    });
}

void AdminApi::registerRoutes(ServerThreadContext& ctx) const
{
    // Reference routes and methods (PROTOCOL §6.2).
    add(ctx, "GET", "health", &AdminApi::health);
    add(ctx, "POST", "chains", &AdminApi::chains);
    add(ctx, "POST", "servicers", &AdminApi::servicers);
    add(ctx, "POST", "updatechains", &AdminApi::updateChains);
    add(ctx, "POST", "stop", &AdminApi::stop);
    // Operator routes (issue 5 item 5).
    add(ctx, "GET", "nodes", &AdminApi::nodes);
    add(ctx, "GET", "sessions", &AdminApi::sessions);
    add(ctx, "GET", "outbox", &AdminApi::outbox);
    add(ctx, "GET", "metrics", &AdminApi::metrics);
    add(ctx, "GET", "logs", &AdminApi::logs);
    add(ctx, "POST", "reload", &AdminApi::reload);
}

void AdminApi::inControl(const Responder& responder, std::function<void()> fn) const
{
    const bool posted = QMetaObject::invokeMethod(m_control, std::move(fn), Qt::QueuedConnection);
    if (!posted) http::sendJsonError(responder, 503, "the mesh node is stopping");
}

void AdminApi::health(const ServerRequest&, const Responder& responder) const
{
    responder.send(200, reEncodedHeaders(), m_backend->healthJson());
}

void AdminApi::chains(const ServerRequest&, const Responder& responder) const
{
    responder.send(200, rawHeaders(), admin::chainsArrayJson(*m_backend->chains()));
}

void AdminApi::servicers(const ServerRequest&, const Responder& responder) const
{
    responder.send(200, rawHeaders(), admin::servicersArrayJson(*m_backend->keys()));
}

void AdminApi::updateChains(const ServerRequest& request, const Responder& responder) const
{
    auto table = admin::parseUpdateChainsBody(request.body);
    if (!table) {
        badRequest(responder, table.error().message);
        return;
    }
    inControl(responder, [this, responder, table = std::move(*table)] {
        if (auto updated = m_backend->updateChains(table); !updated) {
            http::sendJsonError(responder, 500, updated.error().message.toUtf8());
            return;
        }
        responder.send(200, reEncodedHeaders(), admin::chainsByIdJson(table));
    });
}

void AdminApi::stop(const ServerRequest&, const Responder& responder) const
{
    // The reference stops without answering (PROTOCOL §6.2); here the answer goes out first, then the same
    // graceful stop as SIGTERM: the server drains (this answer included) before the node shuts down.
    qCInfo(lcAdmin) << "stop requested through the admin API";
    responder.send(200, reEncodedHeaders(), admin::stoppingJson());
    QMetaObject::invokeMethod(m_control, [backend = m_backend] { backend->requestStop(); }, Qt::QueuedConnection);
}

void AdminApi::nodes(const ServerRequest& request, const Responder& responder) const
{
    QueryInts query(request, {});
    if (!query.error().isEmpty()) return badRequest(responder, query.error());
    inControl(responder, [this, responder] {
        responder.send(200, reEncodedHeaders(),
                       admin::nodesJson(m_backend->nodes(), QDateTime::currentMSecsSinceEpoch()));
    });
}

void AdminApi::sessions(const ServerRequest& request, const Responder& responder) const
{
    QueryInts query(request, {"offset", "limit"});
    const qint64 offset = query.get("offset", 0, 0, std::numeric_limits<int>::max());
    const qint64 limit = query.get("limit", kDefaultSessionLimit, 1, kMaxSessionLimit);
    if (!query.error().isEmpty()) return badRequest(responder, query.error());
    const QList<SessionInfo> all = m_backend->sessions();
    const QList<SessionInfo> page = offset < all.size() ? all.mid(offset, limit) : QList<SessionInfo>();
    responder.send(200, reEncodedHeaders(), admin::sessionsJson(page, all.size(), offset, limit));
}

void AdminApi::outbox(const ServerRequest& request, const Responder& responder) const
{
    QueryInts query(request, {});
    if (!query.error().isEmpty()) return badRequest(responder, query.error());
    inControl(responder, [this, responder] {
        responder.send(200, reEncodedHeaders(), admin::outboxJson(m_backend->outbox()));
    });
}

void AdminApi::metrics(const ServerRequest& request, const Responder& responder) const
{
    QueryInts query(request, {});
    if (!query.error().isEmpty()) return badRequest(responder, query.error());
    inControl(responder, [this, responder] {
        QByteArray body = m_backend->metricsJson();
        if (!body.endsWith('\n')) body += '\n';
        responder.send(200, reEncodedHeaders(), body);
    });
}

void AdminApi::logs(const ServerRequest& request, const Responder& responder) const
{
    // ?max=N (newest N lines), ?after=SEQ (only lines after a seq already seen: polling), ?level=D|I|W|E.
    QueryInts query(request, {"max", "after", "level"});
    const int max = int(query.get("max", kDefaultLogLines, 1, kMaxLogLines));
    const qint64 after = query.get("after", 0, 0, std::numeric_limits<qint64>::max());
    if (!query.error().isEmpty()) return badRequest(responder, query.error());
    const QString levelText = request.query().queryItemValue(QStringLiteral("level")).toUpper();
    char level = 'D';
    if (!levelText.isEmpty()) {
        if (levelText.size() != 1 || LogRing::levelRank(levelText.at(0).toLatin1()) < 0)
            return badRequest(responder, QStringLiteral("query parameter \"level\": expected D, I, W or E, got \"%1\"")
                                             .arg(levelText.left(16)));
        level = levelText.at(0).toLatin1();
    }
    const auto lines = m_backend->logLines(max, after, level);
    const qint64 last = lines && !lines->isEmpty() ? lines->last().seq : after;
    responder.send(200, reEncodedHeaders(), admin::logsJson(lines, last));
}

void AdminApi::reload(const ServerRequest& request, const Responder& responder) const
{
    QueryInts query(request, {});
    if (!query.error().isEmpty()) return badRequest(responder, query.error());
    inControl(responder, [this, responder] {
        const ReloadReport report = m_backend->reload(QStringLiteral("admin API"));
        // 422 when a file was refused (the last good state is kept), with the same body.
        responder.send(report.ok() ? 200 : 422, reEncodedHeaders(), admin::reloadJson(report));
    });
}

} // namespace pocket
