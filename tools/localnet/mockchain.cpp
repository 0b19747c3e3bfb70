#include "mockchain.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTimer>

namespace pocket::localnet {

namespace {

const QByteArray kJson = "application/json";

QByteArray compact(const QJsonValue& v)
{
    if (v.isArray()) return QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact);
    if (v.isObject()) return QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact);
    // Scalars: wrap and strip (QJsonDocument only holds arrays and objects).
    QByteArray a = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
    return a.mid(1, a.size() - 2);
}

QJsonObject rpcError(const QJsonValue& id, int code, const QString& message)
{
    return QJsonObject{{"jsonrpc", "2.0"}, {"id", id}, {"error", QJsonObject{{"code", code}, {"message", message}}}};
}

} // namespace

QJsonObject MockChainConfig::toJson() const
{
    return QJsonObject{{"latency_ms", latencyMs},
                       {"error_rate", errorRate},
                       {"hang_rate", hangRate},
                       {"fixed", fixedAnswer},
                       {"fixed_body", QString::fromUtf8(fixedBody)},
                       {"height", double(height)},
                       {"record", record},
                       {"max_records", maxRecords}};
}

QString MockChainConfig::apply(const QJsonObject& o)
{
    auto number = [&](const char* key, auto& target) -> QString {
        if (!o.contains(QLatin1String(key))) return {};
        if (!o.value(QLatin1String(key)).isDouble()) return QStringLiteral("%1 must be a number").arg(key);
        target = static_cast<std::remove_reference_t<decltype(target)>>(o.value(QLatin1String(key)).toDouble());
        return {};
    };
    auto boolean = [&](const char* key, bool& target) -> QString {
        if (!o.contains(QLatin1String(key))) return {};
        if (!o.value(QLatin1String(key)).isBool()) return QStringLiteral("%1 must be a boolean").arg(key);
        target = o.value(QLatin1String(key)).toBool();
        return {};
    };
    for (const QString& e : {number("latency_ms", latencyMs), number("error_rate", errorRate),
                             number("hang_rate", hangRate), number("height", height),
                             number("max_records", maxRecords), boolean("fixed", fixedAnswer),
                             boolean("record", record)}) {
        if (!e.isEmpty()) return e;
    }
    if (o.contains(QLatin1String("fixed_body"))) {
        if (!o.value(QLatin1String("fixed_body")).isString()) return QStringLiteral("fixed_body must be a string");
        fixedBody = o.value(QLatin1String("fixed_body")).toString().toUtf8();
    }
    return {};
}

MockChain::MockChain(MockChainConfig config, QObject* parent)
    : QObject(parent)
    , m_config(std::move(config))
    // Created here, in the launcher's main thread, before the chain moves to its own thread: the
    // QAbstractHttpServer constructor initialises OpenSSL state, which OpenSSL only frees for the main thread.
    , m_server(new LocalHttpServer([this](const HttpRequest& rq, HttpReply rp) { handle(rq, std::move(rp)); }, this))
{
}

quint16 MockChain::start(const QHostAddress& address, quint16 port)
{
    return m_server->start(address, port);
}

quint16 MockChain::port() const
{
    return m_server ? m_server->port() : 0;
}

void MockChain::handle(const HttpRequest& request, HttpReply reply)
{
    if (request.path.startsWith("/admin/")) {
        handleAdmin(request, std::move(reply));
        return;
    }
    answerChain(request, std::move(reply));
}

void MockChain::answerChain(const HttpRequest& request, HttpReply reply)
{
    ++m_seq;
    if (m_config.record && !m_config.fixedAnswer) {
        m_records.push_back(Record{m_seq, request.method, request.path, request.query, request.headers, request.body});
        while (m_records.size() > size_t(qMax(1, m_config.maxRecords))) {
            m_records.pop_front();
            ++m_dropped;
        }
    }
    auto* rng = QRandomGenerator::global();
    if (m_config.hangRate > 0 && rng->generateDouble() < m_config.hangRate) {
        ++m_hangsInjected;
        reply.hang();
        return;
    }
    int status = 200;
    QByteArray body;
    if (m_config.errorRate > 0 && rng->generateDouble() < m_config.errorRate) {
        ++m_errorsInjected;
        status = 500;
        body = R"({"error":"mock chain injected failure"})";
    } else {
        body = m_config.fixedAnswer ? m_config.fixedBody : chainResponse(request);
    }
    if (m_config.latencyMs <= 0) {
        reply.send(status, body, kJson);
        return;
    }
    QTimer::singleShot(m_config.latencyMs, this, [reply, status, body]() mutable { reply.send(status, body, kJson); });
}

QByteArray MockChain::chainResponse(const HttpRequest& request) const
{
    // JSON-RPC: POST to the root. Everything else is a REST call that echoes what it got.
    if (request.method == "POST" && request.path == "/") {
        QJsonParseError err;
        const QJsonDocument doc = QJsonDocument::fromJson(request.body, &err);
        if (err.error != QJsonParseError::NoError) {
            return compact(rpcError(QJsonValue::Null, -32700, QStringLiteral("Parse error")));
        }
        if (doc.isArray()) {
            QJsonArray out;
            for (const QJsonValue& call : doc.array()) out.append(rpcCall(call));
            return compact(out);
        }
        return compact(rpcCall(doc.object()));
    }
    QJsonObject echo{{"method", QString::fromUtf8(request.method)},
                     {"path", QString::fromUtf8(request.path)},
                     {"query", QString::fromUtf8(request.query)},
                     {"body", QString::fromUtf8(request.body)}};
    if (request.path.endsWith("/query/height")) echo.insert("height", double(m_config.height));
    return compact(echo);
}

QJsonValue MockChain::rpcCall(const QJsonValue& call) const
{
    const QJsonObject o = call.toObject();
    const QJsonValue id = o.value("id");
    if (!call.isObject() || !o.value("method").isString()) {
        return rpcError(id.isUndefined() ? QJsonValue(QJsonValue::Null) : id, -32600, QStringLiteral("Invalid Request"));
    }
    const QString method = o.value("method").toString();
    QJsonValue result;
    if (method == QLatin1String("eth_blockNumber")) {
        result = QStringLiteral("0x") + QString::number(m_config.height, 16);
    } else if (method == QLatin1String("eth_chainId")) {
        result = QStringLiteral("0x1");
    } else if (method == QLatin1String("eth_getBalance")) {
        result = QStringLiteral("0xde0b6b3a7640000"); // 1 ether
    } else {
        result = QJsonObject{{"method", method}, {"params", o.value("params")}};
    }
    return QJsonObject{{"jsonrpc", "2.0"}, {"id", id.isUndefined() ? QJsonValue(QJsonValue::Null) : id}, {"result", result}};
}

QByteArray MockChain::requestsJson() const
{
    QJsonArray list;
    for (const Record& r : m_records) {
        QJsonArray headers;
        for (const auto& [k, v] : r.headers) headers.append(QJsonArray{QString::fromUtf8(k), QString::fromUtf8(v)});
        list.append(QJsonObject{{"seq", double(r.seq)},
                                {"method", QString::fromUtf8(r.method)},
                                {"path", QString::fromUtf8(r.path)},
                                {"query", QString::fromUtf8(r.query)},
                                {"target", QString::fromUtf8(r.query.isEmpty() ? r.path : r.path + '?' + r.query)},
                                {"headers", headers},
                                {"body", QString::fromUtf8(r.body)},
                                {"body_base64", QString::fromLatin1(r.body.toBase64())}});
    }
    return compact(QJsonObject{{"count", int(m_records.size())},
                               {"dropped", double(m_dropped)},
                               {"total", double(m_seq)},
                               {"requests", list}});
}

void MockChain::handleAdmin(const HttpRequest& request, HttpReply reply)
{
    const QByteArray& p = request.path;
    if (p == "/admin/requests" && request.method == "GET") {
        reply.send(200, requestsJson(), kJson);
    } else if (p == "/admin/requests/clear" && request.method == "POST") {
        const int n = int(m_records.size());
        m_records.clear();
        m_dropped = 0;
        reply.send(200, compact(QJsonObject{{"cleared", n}}), kJson);
    } else if (p == "/admin/stats" && request.method == "GET") {
        reply.send(200,
                   compact(QJsonObject{{"requests", double(m_seq)},
                                       {"errors_injected", double(m_errorsInjected)},
                                       {"hangs_injected", double(m_hangsInjected)},
                                       {"recorded", int(m_records.size())}}),
                   kJson);
    } else if (p == "/admin/config" && request.method == "GET") {
        reply.send(200, compact(m_config.toJson()), kJson);
    } else if (p == "/admin/config" && request.method == "POST") {
        const QJsonDocument doc = QJsonDocument::fromJson(request.body);
        MockChainConfig next = m_config;
        const QString err = doc.isObject() ? next.apply(doc.object()) : QStringLiteral("body must be a JSON object");
        if (!err.isEmpty()) {
            reply.send(400, compact(QJsonObject{{"error", err}}), kJson);
            return;
        }
        m_config = next;
        reply.send(200, compact(m_config.toJson()), kJson);
    } else {
        reply.send(404, compact(QJsonObject{{"error", QStringLiteral("unknown admin route")}}), kJson);
    }
}

} // namespace pocket::localnet
