#include "metrics/metricsources.h"

#include "config/configjson.h"
#include "servicer/notifier.h"

namespace pocket::metrics {

QString nodeNameFor(const NodeNames& names, const QString& nodeUrl)
{
    const QString name = names.value(nodeUrl);
    if (!name.isEmpty()) return name;
    return config::urlHostName(nodeUrl);
}

QList<WorkerPoolSample> workerPoolSamples(const QList<NodeQueueStats>& queues, const NodeNames& names,
                                          qint64 maxWorkers, qint64 maxCapacity)
{
    QList<WorkerPoolSample> out;
    out.reserve(queues.size());
    for (const NodeQueueStats& q : queues) {
        WorkerPoolSample s;
        s.statType = "node";
        s.nodeName = nodeNameFor(names, q.nodeUrl);
        qint64 failed = 0;
        for (auto it = q.removedByReason.cbegin(); it != q.removedByReason.cend(); ++it)
            if (it.key() != removalReasonName(RemovalReason::Delivered)) failed += it.value();
        s.workersRunning = q.inFlight;
        s.workersIdle = std::max<qint64>(0, maxWorkers - q.inFlight);
        s.tasksWaiting = q.queued + q.waiting;
        s.tasksSuccessful = q.delivered;
        s.tasksFailed = failed;
        s.tasksCompleted = q.delivered + failed;
        s.tasksSubmitted = s.tasksCompleted + s.tasksWaiting + s.workersRunning;
        s.minWorkers = 0;
        s.maxWorkers = maxWorkers;
        s.maxCapacity = maxCapacity;
        out.append(s);
    }
    return out;
}

OutboxSample outboxSample(const OutboxStats& stats, const NodeNames& names, qint64 nowMs)
{
    OutboxSample o;
    o.available = stats.open;
    o.depth = stats.depth;
    o.removedByReason = stats.removedByReason;
    o.stored = stats.stored;
    o.rejectedStores = stats.rejectedStores;
    // Two URLs may carry the same name: their numbers are summed (one series per label set).
    QMap<QString, OutboxNodeSample> byName;
    for (auto it = stats.nodes.cbegin(); it != stats.nodes.cend(); ++it) {
        const qint64 age = it->depth > 0 && it->oldestCreatedMs > 0 ? std::max<qint64>(0, nowMs - it->oldestCreatedMs) : 0;
        OutboxNodeSample& n = byName[nodeNameFor(names, it.key())];
        n.nodeName = nodeNameFor(names, it.key());
        n.depth += it->depth;
        n.oldestAgeMs = std::max(n.oldestAgeMs, age);
        o.oldestAgeMs = std::max(o.oldestAgeMs, age);
    }
    o.nodes = byName.values();
    return o;
}

} // namespace pocket::metrics
