#include "servicer/nodestatus.h"

namespace pocket {

void NodeStatusTable::upsert(const NodeStatus& status)
{
    QWriteLocker lock(&m_lock);
    m_nodes.insert(status.url, status);
}

void NodeStatusTable::remove(const QString& url)
{
    QWriteLocker lock(&m_lock);
    m_nodes.remove(url);
}

std::optional<NodeStatus> NodeStatusTable::get(const QString& url) const
{
    QReadLocker lock(&m_lock);
    auto it = m_nodes.constFind(url);
    if (it == m_nodes.constEnd()) return std::nullopt;
    return *it;
}

QList<NodeStatus> NodeStatusTable::all() const
{
    QReadLocker lock(&m_lock);
    return m_nodes.values();
}

void NodeStatusTable::raiseHeight(const QString& url, qint64 height)
{
    modify(url, [height](NodeStatus& s) {
        if (height > s.heights.height) s.heights.height = height;
    });
}

std::optional<PocketError> NodeStatusTable::servingError(const std::optional<NodeStatus>& status)
{
    // Texts of the reference (PROTOCOL §5.1 steps 4–6); the reference sends them as sdk code 1.
    if (!status || !status->checked)
        return PocketError::internal(QStringLiteral("pocket node is currently unavailable"));
    if (status->isStarting)
        return PocketError::internal(QStringLiteral(
            "pocket node is unable to retrieve synced status from tendermint node, cannot service in this state"));
    if (status->isCatchingUp)
        return PocketError::internal(
            QStringLiteral("pocket node is currently syncing to the blockchain, cannot service in this state"));
    return std::nullopt;
}

} // namespace pocket
