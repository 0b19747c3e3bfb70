#pragma once
// What the admin API (adminapi.h) reads and asks of a running mesh node. MeshNode implements it; tests may
// implement it with fixed data. Each method says the thread it is called in: AdminApi calls the "any thread"
// ones in the HTTP server thread that got the request and hops to the control thread for the others.
#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>
#include <memory>

#include "config/chains.h"
#include "config/configissue.h"
#include "log/logring.h"
#include "outbox/relayoutbox.h"
#include "servicer/keyring.h"
#include "servicer/notifier.h"
#include "servicer/nodestatus.h"
#include "session/sessioncache.h"
#include "util/result.h"

namespace pocket {

// A servicer node as /v1/private/mesh/nodes shows it.
struct AdminNodeView
{
    NodeStatus status;
    int servicers = 0;        // keys served through this node (home node)
    int retiredServicers = 0; // removed keys whose stored relays are still being notified through it
    bool retiredOnly = false; // the node left the key file; followed until its relays are notified
};

// /v1/private/mesh/outbox: the durable outbox plus the notifier's queues (control thread snapshot).
struct AdminOutboxView
{
    OutboxStats outbox;
    QList<NodeQueueStats> queues;
    QHash<QString, QString> nodeNames; // url -> name
    qint64 nowMs = 0;
};

// One file of a reload (PROTOCOL §12.4, DECISIONS 9).
struct ReloadFileReport
{
    QString file;          // as displayed (relative to data_dir)
    bool read = false;     // the file was read and parsed
    bool unchanged = false; // same bytes as the last time it was read: nothing to do
    bool applied = false;  // the new content is in use
    QList<ConfigIssue> errors;   // not empty: the last good state is kept
    QList<ConfigIssue> warnings;
};

struct ReloadReport
{
    QString reason;
    ReloadFileReport keys;
    ReloadFileReport chains;
    QStringList keysAdded;   // servicer addresses
    QStringList keysRemoved; // no longer served; their stored relays are still notified
    QStringList keysMoved;   // another home node
    QStringList nodesAdded;  // node URLs (masked)
    QStringList nodesRemoved;
    QStringList chainsAdded;
    QStringList chainsRemoved;
    QStringList chainsUpdated;
    int keyCount = 0;   // servicer keys in use after the reload
    int nodeCount = 0;
    int chainCount = 0;
    bool ok() const { return keys.errors.isEmpty() && chains.errors.isEmpty(); }
    bool changed() const
    {
        return !keysAdded.isEmpty() || !keysRemoved.isEmpty() || !keysMoved.isEmpty() || !nodesAdded.isEmpty()
               || !nodesRemoved.isEmpty() || !chainsAdded.isEmpty() || !chainsRemoved.isEmpty()
               || !chainsUpdated.isEmpty();
    }
};

class AdminBackend
{
public:
    virtual ~AdminBackend() = default;

    // ---- any thread ----
    virtual QByteArray healthJson() const = 0; // the body of GET /v1/private/mesh/health
    virtual std::shared_ptr<const ChainTable> chains() const = 0;
    virtual KeyRingPtr keys() const = 0;
    virtual QList<SessionInfo> sessions() const = 0; // every session, in a stable order
    // At most `max` of the newest log lines with seq > afterSeq and at least `minimumLevel` (LogRing),
    // oldest first; nullopt when the node has no log buffer.
    virtual std::optional<QList<LogLine>> logLines(int max, qint64 afterSeq, char minimumLevel) const = 0;

    // ---- control thread ----
    virtual QList<AdminNodeView> nodes() const = 0;
    virtual QByteArray metricsJson() const = 0; // a JSON object (admin::metricsJson)
    virtual AdminOutboxView outbox() const = 0;
    virtual ReloadReport reload(const QString& reason) = 0;
    // Replaces the chain table as a whole and persists it to chains.json (DECISIONS 9: atomically), or
    // changes nothing and says why.
    virtual Result<void> updateChains(const ChainTable& table) = 0;
    // The graceful stop of SIGTERM (issue 5 item 9), after the current answer went out.
    virtual void requestStop() = 0;
};

} // namespace pocket
