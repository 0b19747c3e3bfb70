#pragma once
// Follows each servicer node (PROTOCOL §9): connectivity probes (?verify=true on relay, session, check) at
// start, again every `connectivityRecheckMs` (a proxy or firewall change on the servicer's side shows up
// without a restart), retried with backoff when they fail — never fatal (DECISIONS 7) — and /check every
// `checkIntervalMs`. Lives in the control thread.
#include <QHash>
#include <QObject>
#include <QTimer>
#include <functional>

#include "servicer/keyring.h"
#include "servicer/nodestatus.h"
#include "servicer/servicerclient.h"

namespace pocket {

struct NodeMonitorOptions
{
    int checkIntervalMs = 10000;
    int connectivityRetryMinMs = 1000;
    int connectivityRetryMaxMs = 60000;
    int connectivityRecheckMs = 600000; // 0: only at start and after failures
};

class NodeMonitor : public QObject
{
    Q_OBJECT
public:
    NodeMonitor(ServicerClient* client, NodeStatusTable* nodes, std::function<KeyRingPtr()> keys,
                std::function<QList<QByteArray>()> chainIds, NodeMonitorOptions options, QObject* parent = nullptr);

    // (Re)starts following the nodes of the current key ring; nodes no longer present are forgotten.
    void syncNodes(const QHash<QString, QString>& nodeNames);
    void checkNow(const QString& nodeUrl);

Q_SIGNALS:
    void nodeChecked(const QString& nodeUrl, bool ok);

private:
    struct Follow
    {
        QTimer* timer = nullptr;        // /check
        QTimer* reprobeTimer = nullptr; // periodic connectivity probes
        int connectivityFailures = 0;
        bool probing = false;
    };
    void probe(const QString& url);
    void check(const QString& url);

    ServicerClient* m_client;
    NodeStatusTable* m_nodes;
    std::function<KeyRingPtr()> m_keys;
    std::function<QList<QByteArray>()> m_chainIds;
    NodeMonitorOptions m_options;
    QHash<QString, Follow> m_follow; // control thread only
};

} // namespace pocket
