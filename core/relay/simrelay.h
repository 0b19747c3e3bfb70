#pragma once
// /v1/client/sim (PROTOCOL §6.1, only with --simulateRelay): a payload executed on a chain like a relay,
// without signing or notification; and the reference's WriteErrorResponse body (§1.5).
#include <QByteArray>
#include <QString>
#include <expected>
#include <utility>

#include "protocol/relay.h"

namespace pocket {

// {"relay_network_id":"0021","payload":{data,method,path,headers}} -> (chain id, payload), or the error text.
std::expected<std::pair<QByteArray, Payload>, QString> decodeSimRelay(const QByteArray& body);

// {"code":<code>,"message":"<msg>"}\n (struct order code, message; Go string escaping).
QByteArray goErrorResponseBody(int code, const QString& message);

} // namespace pocket
