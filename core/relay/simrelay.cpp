#include "relay/simrelay.h"

#include <QJsonDocument>
#include <QJsonObject>

#include "protocol/gojson.h"

namespace pocket {

std::expected<std::pair<QByteArray, Payload>, QString> decodeSimRelay(const QByteArray& body)
{
    // Not hashed or signed, so the generic parser is precise enough here; types are still checked.
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError) return std::unexpected(error.errorString());
    if (!doc.isObject()) return std::unexpected(QStringLiteral("the simulated relay must be a JSON object"));
    const QJsonObject o = doc.object();
    const QJsonValue chain = o.value(QLatin1String("relay_network_id"));
    if (!chain.isString() && !chain.isNull() && !chain.isUndefined())
        return std::unexpected(QStringLiteral("relay_network_id must be a string"));
    const QJsonObject p = o.value(QLatin1String("payload")).toObject();
    Payload payload;
    for (const auto& [field, target] : {std::pair{"data", &payload.data}, std::pair{"method", &payload.method},
                                        std::pair{"path", &payload.path}}) {
        const QJsonValue v = p.value(QLatin1String(field));
        if (!v.isString() && !v.isNull() && !v.isUndefined())
            return std::unexpected(QStringLiteral("payload.%1 must be a string").arg(QLatin1String(field)));
        *target = v.toString().toUtf8();
    }
    const QJsonValue headers = p.value(QLatin1String("headers"));
    if (headers.isObject()) {
        HeaderMap map;
        const QJsonObject h = headers.toObject();
        for (auto it = h.begin(); it != h.end(); ++it) {
            if (!it.value().isString()) return std::unexpected(QStringLiteral("payload.headers values must be strings"));
            map[it.key().toUtf8()] = it.value().toString().toUtf8();
        }
        payload.headers = std::move(map);
    } else if (!headers.isNull() && !headers.isUndefined()) {
        return std::unexpected(QStringLiteral("payload.headers must be an object"));
    }
    return std::pair{chain.toString().toUtf8(), std::move(payload)};
}

QByteArray goErrorResponseBody(int code, const QString& message)
{
    GoJsonWriter w(64 + message.size());
    w.beginObject().key("code").integer(code).key("message").string(message.toUtf8()).endObject();
    QByteArray out = w.take();
    out += '\n';
    return out;
}

} // namespace pocket
