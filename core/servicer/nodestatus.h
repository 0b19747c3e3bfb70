#pragma once
// What the mesh knows about each servicer node (PROTOCOL §9), shared by the server threads (readers)
// and the control thread (the node monitor and notification replies write). DECISIONS 10: guarded.
#include <QHash>
#include <QReadWriteLock>
#include <QString>
#include <QStringList>
#include <optional>

#include "protocol/pocketerror.h"
#include "session/sessionheight.h"

namespace pocket {

struct NodeStatus
{
    QString url;
    QString name;
    bool checked = false;      // a /check reply has been read (PROTOCOL §9.2: no status ⇒ unavailable)
    bool isStarting = false;
    bool isCatchingUp = false;
    HeightView heights;
    QString version;
    QStringList wrongChains;
    QStringList wrongServicers;
    bool connectivityOk = false; // the ?verify=true probes passed (DECISIONS 7)
    qint64 lastCheckMs = 0;
    QString lastError;
};

class NodeStatusTable
{
public:
    void upsert(const NodeStatus& status);
    void remove(const QString& url);
    std::optional<NodeStatus> get(const QString& url) const;
    QList<NodeStatus> all() const;
    // Raises H after a rejected notification carried a dispatch with a higher block height (PROTOCOL §8.2 step 8).
    void raiseHeight(const QString& url, qint64 height);
    // Updates under the lock; `fn` must be quick.
    template <typename Fn>
    void modify(const QString& url, Fn&& fn)
    {
        QWriteLocker lock(&m_lock);
        auto it = m_nodes.find(url);
        if (it != m_nodes.end()) fn(*it);
    }

    // The error a relay gets while the node cannot serve (PROTOCOL §5.1 steps 4–6), or none.
    static std::optional<PocketError> servingError(const std::optional<NodeStatus>& status);

private:
    mutable QReadWriteLock m_lock; // guards m_nodes
    QHash<QString, NodeStatus> m_nodes;
};

} // namespace pocket
