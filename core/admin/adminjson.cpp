#include "admin/adminjson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <algorithm>

#include "config/configjson.h"
#include "config/reloadfiles.h"
#include "protocol/crypto.h"
#include "protocol/gojson.h"
#include "servicer/notifier.h"

namespace pocket::admin {

namespace {

QByteArray masked(const QString& url) { return config::maskUrl(url).toUtf8(); }

void stringArray(GoJsonWriter& w, const QStringList& list);
void keyedArray(GoJsonWriter& w, QByteArrayView key, const QStringList& list)
{
    w.key(key);
    stringArray(w, list);
}

void stringArray(GoJsonWriter& w, const QStringList& list)
{
    w.beginArray();
    for (const QString& s : list) w.string(s.toUtf8());
    w.endArray();
}

void errorObject(GoJsonWriter& w, const std::optional<PocketError>& e)
{
    if (!e) {
        w.null();
        return;
    }
    w.beginObject();
    w.key("code").integer(e->code);
    w.key("codespace").string(e->codespace.toUtf8());
    w.key("message").string(e->message.toUtf8());
    w.endObject();
}

QByteArray finish(GoJsonWriter& w)
{
    QByteArray out = w.take();
    out += '\n';
    return out;
}

void sortedChainObject(GoJsonWriter& w, const ConfiguredChain& c)
{
    // Re-encoded (PROTOCOL §1.5): keys sorted at every level.
    w.beginObject();
    w.key("basic_auth").beginObject();
    w.key("password").string(c.basicAuthPassword.toUtf8());
    w.key("username").string(c.basicAuthUser.toUtf8());
    w.endObject();
    w.key("id").string(c.id);
    w.key("url").string(c.url.toUtf8());
    w.endObject();
}

void issuesArray(GoJsonWriter& w, const QList<ConfigIssue>& issues)
{
    w.beginArray();
    for (const ConfigIssue& i : issues) {
        w.beginObject();
        w.key("file").string(i.file.toUtf8());
        w.key("key").string(i.key.toUtf8());
        w.key("line").integer(i.line);
        w.key("message").string(i.message.toUtf8());
        w.key("text").string(i.toString().toUtf8());
        w.endObject();
    }
    w.endArray();
}

void reloadFile(GoJsonWriter& w, const ReloadFileReport& f)
{
    w.beginObject();
    w.key("applied").boolean(f.applied);
    w.key("errors");
    issuesArray(w, f.errors);
    w.key("file").string(f.file.toUtf8());
    w.key("read").boolean(f.read);
    w.key("unchanged").boolean(f.unchanged);
    w.key("warnings");
    issuesArray(w, f.warnings);
    w.endObject();
}

void removedByReason(GoJsonWriter& w, const QHash<QString, qint64>& byName)
{
    w.beginObject();
    QStringList names;
    for (int i = 0; i < kRemovalReasonCount; ++i) names.append(removalReasonName(RemovalReason(i)));
    for (const QString& n : byName.keys())
        if (!names.contains(n)) names.append(n);
    names.sort();
    for (const QString& n : names) w.key(n.toUtf8()).integer(byName.value(n));
    w.endObject();
}

} // namespace

QByteArray chainsArrayJson(const ChainTable& table)
{
    GoJsonWriter w(256);
    w.beginArray();
    for (const ConfiguredChain& c : table.chains) w.raw(chainJson(c)); // Go struct order, as marshalled
    w.endArray();
    return w.take();
}

QByteArray servicersArrayJson(const KeyRing& ring)
{
    GoJsonWriter w(64 * (ring.size() + 1));
    w.beginArray();
    for (const ServicerIdentity& id : ring.all()) {
        w.beginObject();
        w.key("address").string(id.addressHex);
        w.endObject();
    }
    w.endArray();
    return w.take();
}

QByteArray chainsByIdJson(const ChainTable& table)
{
    QMap<QByteArray, const ConfiguredChain*> sorted;
    for (const ConfiguredChain& c : table.chains) sorted.insert(c.id, &c);
    GoJsonWriter w(256);
    w.beginObject();
    for (auto it = sorted.constBegin(); it != sorted.constEnd(); ++it) {
        w.key(it.key());
        sortedChainObject(w, **it);
    }
    w.endObject();
    return finish(w);
}

Result<ChainTable> parseUpdateChainsBody(const QByteArray& body)
{
    // The reference decodes the array and checks every id first (PROTOCOL §6.2); its message is kept.
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return fail(PocketError::internal(QStringLiteral("invalid JSON body at offset %1: %2; expected a chains "
                                                         "array [{\"id\",\"url\",\"basic_auth\"}]")
                                              .arg(parseError.offset)
                                              .arg(parseError.errorString())));
    if (doc.isArray()) {
        for (const QJsonValue& v : doc.array()) {
            const QJsonValue id = v.toObject().value(QLatin1String("id"));
            if (!id.isString()) continue; // reported below with the element's path
            const auto raw = crypto::hexDecode(id.toString().toUtf8());
            if (!raw || raw->isEmpty() || raw->size() > 4)
                return fail(PocketError::internal(
                    QStringLiteral("invalid ID: %1 in network identifier in json").arg(id.toString())));
        }
    }
    ConfigResult<ChainTable> parsed = parseChainsFile(body, QStringLiteral("request body"));
    if (!parsed.ok()) {
        QStringList messages;
        for (const ConfigIssue& i : parsed.issues.errors()) messages.append(i.toString());
        return fail(PocketError::internal(messages.join(QStringLiteral("; "))));
    }
    return parsed.value;
}

QByteArray nodesJson(const QList<AdminNodeView>& nodes, qint64 nowMs)
{
    GoJsonWriter w(512);
    w.beginObject();
    w.key("nodes").beginArray();
    for (const AdminNodeView& n : nodes) {
        const NodeStatus& s = n.status;
        const auto servingError = NodeStatusTable::servingError(s);
        QByteArray state = "ok";
        if (!s.checked) state = "unchecked";
        else if (s.isStarting) state = "starting";
        else if (s.isCatchingUp) state = "catching_up";
        w.beginObject();
        w.key("available").boolean(!servingError);
        w.key("blocks_per_session").integer(s.heights.blocksPerSession);
        w.key("connectivity").boolean(s.connectivityOk);
        w.key("error").string(s.lastError.toUtf8());
        w.key("height").integer(s.heights.height);
        w.key("last_check_age_ms").integer(s.lastCheckMs > 0 ? std::max<qint64>(0, nowMs - s.lastCheckMs) : -1);
        w.key("last_check_ms").integer(s.lastCheckMs);
        w.key("latest_session_height").integer(s.checked ? latestSessionHeight(s.heights.height, s.heights.blocksPerSession) : 0);
        w.key("name").string(s.name.toUtf8());
        w.key("retired_only").boolean(n.retiredOnly);
        w.key("retired_servicers").integer(n.retiredServicers);
        w.key("serving_error").string(servingError ? servingError->message.toUtf8() : QByteArray());
        w.key("servicers").integer(n.servicers);
        w.key("session_sync_allowance").integer(s.heights.sessionSyncAllowance);
        w.key("status").string(state);
        w.key("url").string(masked(s.url));
        w.key("version").string(s.version.toUtf8());
        keyedArray(w, "wrong_chains", s.wrongChains);
        keyedArray(w, "wrong_servicers", s.wrongServicers);
        w.endObject();
    }
    w.endArray();
    w.endObject();
    return finish(w);
}

QByteArray sessionsJson(const QList<SessionInfo>& page, qint64 total, qint64 offset, qint64 limit)
{
    GoJsonWriter w(512 + 512 * page.size());
    w.beginObject();
    w.key("limit").integer(limit);
    w.key("offset").integer(offset);
    w.key("sessions").beginArray();
    for (const SessionInfo& s : page) {
        w.beginObject();
        w.key("app_public_key").string(s.appPubKey);
        w.key("chain").string(s.chain);
        w.key("created_ms").integer(s.createdMs);
        w.key("error");
        errorObject(w, s.error);
        w.key("key").string(s.key);
        w.key("node_url").string(masked(s.nodeUrl));
        w.key("relays_admitted").integer(s.relaysAdmitted);
        w.key("relays_delivered").integer(s.relaysDelivered);
        w.key("relays_in_flight").integer(s.relaysInFlight);
        w.key("remaining_relays").integer(s.remainingRelays);
        w.key("servicer_address").string(s.servicerAddressHex);
        w.key("servicer_public_key").string(s.servicerPubKeyHex);
        w.key("session_height").integer(s.sessionHeight);
        w.key("state").string(sessionStateName(s.state).toUtf8());
        w.key("validation_attempts").integer(s.validationAttempts);
        w.endObject();
    }
    w.endArray();
    w.key("total").integer(total);
    w.endObject();
    return finish(w);
}

QByteArray outboxJson(const AdminOutboxView& v)
{
    struct Row
    {
        OutboxNodeStats stored;
        const NodeQueueStats* queue = nullptr;
    };
    QMap<QString, Row> rows; // by URL: sorted output
    for (auto it = v.outbox.nodes.constBegin(); it != v.outbox.nodes.constEnd(); ++it) rows[it.key()].stored = *it;
    for (const NodeQueueStats& q : v.queues) rows[q.nodeUrl].queue = &q;

    const auto age = [&](qint64 createdMs) { return createdMs > 0 ? std::max<qint64>(0, v.nowMs - createdMs) : 0; };
    qint64 queued = 0, waiting = 0, inFlight = 0, retries = 0, delivered = 0, oldest = 0;
    for (const Row& r : rows) {
        if (r.stored.oldestCreatedMs > 0 && (oldest == 0 || r.stored.oldestCreatedMs < oldest))
            oldest = r.stored.oldestCreatedMs;
        if (!r.queue) continue;
        queued += r.queue->queued;
        waiting += r.queue->waiting;
        inFlight += r.queue->inFlight;
        retries += r.queue->retries;
        delivered += r.queue->delivered;
    }
    QHash<QString, qint64> removed; // since the outbox opened (durable counter of every removal)
    for (int i = 0; i < kRemovalReasonCount; ++i)
        removed.insert(removalReasonName(RemovalReason(i)), qint64(v.outbox.removedByReason[size_t(i)]));

    GoJsonWriter w(1024);
    w.beginObject();
    w.key("database").beginObject();
    w.key("batched_operations").integer(qint64(v.outbox.batchedOperations));
    w.key("batches").integer(qint64(v.outbox.batches));
    w.key("duplicates").integer(qint64(v.outbox.duplicates));
    w.key("failed_batches").integer(qint64(v.outbox.failedBatches));
    w.key("last_commit_us").integer(v.outbox.lastCommitUs);
    w.key("last_error").string(v.outbox.lastError.toUtf8());
    w.key("last_sync_ms").integer(v.outbox.lastSyncMs);
    w.key("max_commit_us").integer(v.outbox.maxCommitUs);
    w.key("open").boolean(v.outbox.open);
    w.key("queued_removes").integer(v.outbox.queuedRemoves);
    w.key("queued_stores").integer(v.outbox.queuedStores);
    w.key("rejected_stores").integer(qint64(v.outbox.rejectedStores));
    w.key("replayed").integer(qint64(v.outbox.replayedRelays));
    w.key("stored").integer(qint64(v.outbox.stored));
    w.key("syncs").integer(qint64(v.outbox.syncs));
    w.endObject();
    w.key("delivered").integer(delivered);
    w.key("depth").integer(v.outbox.depth);
    w.key("in_flight").integer(inFlight);
    w.key("nodes").beginArray();
    for (auto it = rows.constBegin(); it != rows.constEnd(); ++it) {
        const Row& r = *it;
        const NodeQueueStats empty;
        const NodeQueueStats& q = r.queue ? *r.queue : empty;
        w.beginObject();
        w.key("average_wait_ms").integer(q.delivered ? (q.deliveredWaitMsTotal + q.delivered / 2) / q.delivered : 0);
        w.key("delivered").integer(q.delivered);
        w.key("depth").integer(r.stored.depth);
        w.key("in_flight").integer(q.inFlight);
        w.key("name").string(v.nodeNames.value(it.key()).toUtf8());
        w.key("oldest_age_ms").integer(age(r.stored.oldestCreatedMs));
        w.key("oldest_pending_age_ms").integer(age(q.oldestCreatedMs));
        w.key("queued").integer(q.queued);
        w.key("removed_by_reason");
        // The notifier counts deliveries apart (`delivered`); they are removals too, as in the totals.
        QHash<QString, qint64> byReason = q.removedByReason;
        byReason[removalReasonName(RemovalReason::Delivered)] += q.delivered;
        removedByReason(w, byReason);
        w.key("retries").integer(q.retries);
        w.key("url").string(masked(it.key()));
        w.key("waiting").integer(q.waiting);
        w.endObject();
    }
    w.endArray();
    w.key("oldest_age_ms").integer(age(oldest));
    w.key("queued").integer(queued);
    w.key("removed_by_reason");
    removedByReason(w, removed);
    w.key("retries").integer(retries);
    w.key("waiting").integer(waiting);
    w.endObject();
    return finish(w);
}

QByteArray reloadJson(const ReloadReport& r)
{
    GoJsonWriter w(1024);
    w.beginObject();
    w.key("chain_count").integer(r.chainCount);
    w.key("chains");
    reloadFile(w, r.chains);
    keyedArray(w, "chains_added", r.chainsAdded);
    keyedArray(w, "chains_removed", r.chainsRemoved);
    keyedArray(w, "chains_updated", r.chainsUpdated);
    w.key("changed").boolean(r.changed());
    w.key("key_count").integer(r.keyCount);
    w.key("keys");
    reloadFile(w, r.keys);
    keyedArray(w, "keys_added", r.keysAdded);
    keyedArray(w, "keys_moved", r.keysMoved);
    keyedArray(w, "keys_removed", r.keysRemoved);
    w.key("node_count").integer(r.nodeCount);
    keyedArray(w, "nodes_added", r.nodesAdded);
    keyedArray(w, "nodes_removed", r.nodesRemoved);
    w.key("ok").boolean(r.ok());
    w.key("reason").string(r.reason.toUtf8());
    w.endObject();
    return finish(w);
}

QByteArray logsJson(const std::optional<QList<LogLine>>& lines, qint64 lastSeq)
{
    GoJsonWriter w(256 + 160 * (lines ? lines->size() : 0));
    w.beginObject();
    w.key("available").boolean(lines.has_value());
    w.key("last_seq").integer(lastSeq);
    w.key("lines").beginArray();
    for (const LogLine& l : lines.value_or(QList<LogLine>())) {
        w.beginObject();
        w.key("category").string(l.category.toUtf8());
        w.key("level").string(QByteArray(1, l.level));
        w.key("message").string(l.message.toUtf8());
        w.key("seq").integer(l.seq);
        w.key("text").string(formatLogLine(l).trimmed());
        w.key("time_ms").integer(l.timeMs);
        w.endObject();
    }
    w.endArray();
    w.endObject();
    return finish(w);
}

QByteArray stoppingJson()
{
    return QByteArrayLiteral("{\"stopping\":true}\n");
}

namespace {

struct Sample
{
    QByteArray name;
    QMap<QByteArray, QByteArray> labels; // sorted by name
    QByteArray value;
};
struct Family
{
    QByteArray name, type, help;
    QList<Sample> samples;
};

// Undoes the exposition escapes (\\, \", \n) of label values and HELP texts.
QByteArray unescape(QByteArrayView s)
{
    QByteArray out;
    out.reserve(s.size());
    for (qsizetype i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            const char n = s[++i];
            out += n == 'n' ? '\n' : n;
        } else {
            out += s[i];
        }
    }
    return out;
}

// One sample line `name{a="x",b="y"} value`; false when it is not one.
bool parseSample(QByteArrayView line, Sample& out)
{
    qsizetype i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    out.name = line.first(i).toByteArray();
    if (i < line.size() && line[i] == '{') {
        ++i;
        while (i < line.size() && line[i] != '}') {
            const qsizetype eq = line.indexOf('=', i);
            if (eq < 0 || eq + 1 >= line.size() || line[eq + 1] != '"') return false;
            const QByteArray name = line.sliced(i, eq - i).toByteArray();
            qsizetype j = eq + 2;
            while (j < line.size() && line[j] != '"') j += line[j] == '\\' ? 2 : 1;
            if (j >= line.size()) return false;
            out.labels.insert(name, unescape(line.sliced(eq + 2, j - eq - 2)));
            i = j + 1;
            if (i < line.size() && line[i] == ',') ++i;
        }
        ++i; // '}'
    }
    const QByteArrayView rest = line.sliced(std::min(i, line.size())).trimmed();
    const qsizetype space = rest.indexOf(' '); // an optional timestamp follows the value
    out.value = (space < 0 ? rest : rest.first(space)).toByteArray();
    return !out.name.isEmpty() && !out.value.isEmpty();
}

} // namespace

QByteArray metricsJson(const QByteArray& exposition, const QByteArray& totalsJson)
{
    QList<Family> families;
    for (const QByteArray& raw : exposition.split('\n')) {
        const QByteArrayView line = QByteArrayView(raw).trimmed();
        if (line.isEmpty()) continue;
        if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
            const QByteArrayView body = line.sliced(7);
            const qsizetype space = body.indexOf(' ');
            const QByteArray name = (space < 0 ? body : body.first(space)).toByteArray();
            const QByteArrayView text = space < 0 ? QByteArrayView() : body.sliced(space + 1);
            if (families.isEmpty() || families.last().name != name) families.append(Family{name, {}, {}, {}});
            if (line.startsWith("# HELP ")) families.last().help = unescape(text);
            else families.last().type = text.toByteArray();
            continue;
        }
        if (line.startsWith('#')) continue;
        Sample sample;
        if (!parseSample(line, sample)) continue;
        // Histogram lines (_bucket, _sum, _count) belong to the family declared before them.
        if (families.isEmpty() || !sample.name.startsWith(families.last().name))
            families.append(Family{sample.name, "untyped", {}, {}});
        families.last().samples.append(sample);
    }

    GoJsonWriter w(exposition.size() * 2 + 256);
    w.beginObject();
    w.key("available").boolean(true);
    w.key("families").beginArray();
    for (const Family& f : families) {
        w.beginObject();
        w.key("help").string(f.help);
        w.key("name").string(f.name);
        w.key("samples").beginArray();
        for (const Sample& s : f.samples) {
            w.beginObject();
            w.key("labels").beginObject();
            for (auto it = s.labels.constBegin(); it != s.labels.constEnd(); ++it) w.key(it.key()).string(*it);
            w.endObject();
            w.key("name").string(s.name);
            w.key("value");
            bool numeric = false;
            s.value.toDouble(&numeric);
            if (numeric && s.value != "+Inf" && s.value != "-Inf" && s.value.toLower() != "nan") w.raw(s.value);
            else w.string(s.value);
            w.endObject();
        }
        w.endArray();
        w.key("type").string(f.type);
        w.endObject();
    }
    w.endArray();
    w.key("totals").raw(totalsJson);
    w.endObject();
    return finish(w);
}

} // namespace pocket::admin
