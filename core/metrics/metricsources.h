#pragma once
// Turning the snapshots other components already give (Notifier::stats(), RelayOutbox::stats()) into the
// samples MeshMetrics' providers return, so MeshNode's provider lambdas stay one line each.
#include <QHash>
#include <QList>
#include <QString>

#include "metrics/meshmetrics.h"
#include "outbox/relayoutbox.h"

namespace pocket {

struct NodeQueueStats; // servicer/notifier.h

namespace metrics {

// nodeUrl -> node_name label (configured name, else URL host, PROTOCOL §11). A URL missing from the map
// is named by its host (config::urlHostName), never by the full URL (it may carry credentials).
using NodeNames = QHash<QString, QString>;
QString nodeNameFor(const NodeNames& names, const QString& nodeUrl);

// One stat_type="node" sample per notification queue: workers_running = requests in flight,
// workers_idle = maxWorkers - in flight, tasks_waiting = queued + backing off, tasks_successful =
// delivered, tasks_failed = removed for any other reason, tasks_completed = both, tasks_submitted =
// completed + waiting + running; min_workers 0, max_workers = servicer_max_workers, max_capacity =
// servicer_max_workers_capacity.
QList<WorkerPoolSample> workerPoolSamples(const QList<NodeQueueStats>& queues, const NodeNames& names,
                                          qint64 maxWorkers, qint64 maxCapacity);

// The outbox families from RelayOutbox::stats(); ages relative to nowMs (ms since the epoch).
OutboxSample outboxSample(const OutboxStats& stats, const NodeNames& names, qint64 nowMs);

// The notifier's NotifyEvent (servicer/notifier.h) as MeshMetrics::recordNotify takes it; a template so this
// header does not depend on the notifier's:
//   m_notifier->setObserver([m](const NotifyEvent& e) { m->recordNotify(metrics::notifyObservation(e)); });
template <typename Event>
NotifyObservation notifyObservation(const Event& e)
{
    NotifyObservation o;
    o.chain = e.chain;
    o.servicerAddressHex = e.servicerAddressHex;
    o.nodeUrl = e.nodeUrl;
    o.durationMs = e.durationMs;
    o.delivered = e.delivered;
    o.httpStatus = e.httpStatus;
    o.error = e.error;
    o.removalReason = e.removalReason;
    o.attempted = e.attempted;
    return o;
}

} // namespace metrics
} // namespace pocket
