#pragma once
// The bodies of the admin API (docs/admin-api.md). The geo-mesh routes keep the reference's shapes
// (PROTOCOL §6.2, §1.5); the operator routes are JSON objects with sorted keys and a trailing newline, like
// every re-encoded reply of the reference. Node URLs are shown masked (config::maskUrl): they may carry
// credentials (DECISIONS 8). Pure functions, any thread.
#include <QByteArray>
#include <QList>
#include <QStringList>
#include <optional>

#include "admin/adminbackend.h"
#include "config/chains.h"
#include "servicer/keyring.h"
#include "session/sessioncache.h"
#include "util/result.h"

namespace pocket::admin {

// POST /v1/private/mesh/chains: the reference's raw array [{"id","url","basic_auth":{"username","password"}}]
// (credentials included, as the reference does; file order instead of Go's random map order). No newline.
QByteArray chainsArrayJson(const ChainTable& table);
// POST /v1/private/mesh/servicers: [{"address":"<hex>"}, ...] in key file order. No newline.
QByteArray servicersArrayJson(const KeyRing& ring);
// POST /v1/private/mesh/updatechains reply: an object keyed by chain id (re-encoded: sorted keys) + "\n".
QByteArray chainsByIdJson(const ChainTable& table);
// The body of updatechains parsed and validated as a whole: ids as the reference checks them
// ("invalid ID: <id> in network identifier in json"), then everything start-up checks in chains.json.
// The error message is what the 400 answer carries.
Result<ChainTable> parseUpdateChainsBody(const QByteArray& body);

QByteArray nodesJson(const QList<AdminNodeView>& nodes, qint64 nowMs);
QByteArray sessionsJson(const QList<SessionInfo>& page, qint64 total, qint64 offset, qint64 limit);
QByteArray outboxJson(const AdminOutboxView& view);
QByteArray reloadJson(const ReloadReport& report);
QByteArray logsJson(const std::optional<QList<LogLine>>& lines, qint64 lastSeq);
QByteArray stoppingJson();
// GET /v1/private/mesh/metrics: the Prometheus exposition text (format 0.0.4, as the metrics endpoint serves
// it) as JSON: {"available","families":[{"help","name","samples":[{"labels":{...},"name","value"}],"type"}],
// "totals":{...}}. Values are JSON numbers, or the strings "+Inf", "-Inf", "NaN". `totalsJson` is an
// already encoded object.
QByteArray metricsJson(const QByteArray& exposition, const QByteArray& totalsJson);

} // namespace pocket::admin
