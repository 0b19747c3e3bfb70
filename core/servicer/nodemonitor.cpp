#include "servicer/nodemonitor.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <memory>

Q_LOGGING_CATEGORY(lcNode, "pocket.node")

namespace pocket {

NodeMonitor::NodeMonitor(ServicerClient* client, NodeStatusTable* nodes, std::function<KeyRingPtr()> keys,
                         std::function<QList<QByteArray>()> chainIds, NodeMonitorOptions options, QObject* parent)
    : QObject(parent), m_client(client), m_nodes(nodes), m_keys(std::move(keys)), m_chainIds(std::move(chainIds)),
      m_options(options)
{
}

void NodeMonitor::syncNodes(const QHash<QString, QString>& nodeNames)
{
    for (auto it = m_follow.begin(); it != m_follow.end();) {
        if (!nodeNames.contains(it.key())) {
            delete it->timer;
            delete it->reprobeTimer;
            m_nodes->remove(it.key());
            it = m_follow.erase(it);
        } else {
            ++it;
        }
    }
    for (auto it = nodeNames.constBegin(); it != nodeNames.constEnd(); ++it) {
        if (m_follow.contains(it.key())) continue;
        NodeStatus status;
        status.url = it.key();
        status.name = it.value();
        m_nodes->upsert(status);
        Follow f;
        f.timer = new QTimer(this);
        const QString url = it.key();
        connect(f.timer, &QTimer::timeout, this, [this, url] { check(url); });
        f.timer->start(m_options.checkIntervalMs);
        if (m_options.connectivityRecheckMs > 0) {
            f.reprobeTimer = new QTimer(this);
            connect(f.reprobeTimer, &QTimer::timeout, this, [this, url] { probe(url); });
            f.reprobeTimer->start(m_options.connectivityRecheckMs);
        }
        m_follow.insert(url, f);
        probe(url);
    }
}

void NodeMonitor::checkNow(const QString& nodeUrl) { check(nodeUrl); }

void NodeMonitor::probe(const QString& url)
{
    auto it = m_follow.find(url);
    if (it == m_follow.end() || it->probing) return;
    it->probing = true;
    struct Probe
    {
        int remaining = 3;
        QStringList errors;
    };
    auto state = std::make_shared<Probe>();
    for (const QString& endpoint : {QStringLiteral("relay"), QStringLiteral("session"), QStringLiteral("check")}) {
        m_client->verify(url, endpoint, this, [this, url, state](bool ok, QString error) {
            if (!ok) state->errors.append(error);
            if (--state->remaining > 0) return;
            auto it = m_follow.find(url);
            if (it == m_follow.end()) return; // node removed meanwhile
            it->probing = false;
            const bool allOk = state->errors.isEmpty();
            m_nodes->modify(url, [&](NodeStatus& s) {
                s.connectivityOk = allOk;
                if (!allOk) s.lastError = QStringLiteral("connectivity: ") + state->errors.join(QStringLiteral("; "));
            });
            if (allOk) {
                it->connectivityFailures = 0;
                qCInfo(lcNode).noquote() << "node" << url << "connectivity ok";
                check(url);
            } else {
                // Never fatal (DECISIONS 7): retry with backoff; relays get a clear error meanwhile.
                const int n = ++it->connectivityFailures;
                const int wait = int(std::min<qint64>(qint64(m_options.connectivityRetryMinMs) << std::min(n - 1, 16),
                                                      m_options.connectivityRetryMaxMs));
                qCWarning(lcNode).noquote() << "node" << url << "connectivity check failed:"
                                            << state->errors.join(QStringLiteral("; ")) << "- retry in" << wait << "ms";
                QTimer::singleShot(wait, this, [this, url] { probe(url); });
                check(url); // the status may still be readable (e.g. only /relay is blocked by a proxy)
            }
        });
    }
}

void NodeMonitor::check(const QString& url)
{
    const KeyRingPtr keys = m_keys();
    const QList<QByteArray> addresses = keys ? keys->addressesOfNode(url) : QList<QByteArray>();
    if (addresses.isEmpty()) return; // PROTOCOL §9.1: a node without keys is not checked
    m_client->check(url, addresses, m_chainIds(), this, [this, url](Result<CheckReply> reply) {
        if (!m_follow.contains(url)) return;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (!reply) {
            m_nodes->modify(url, [&](NodeStatus& s) {
                s.lastError = reply.error().message;
                s.lastCheckMs = now;
            });
            qCWarning(lcNode).noquote() << "node" << url << "check failed:" << reply.error().message;
            Q_EMIT nodeChecked(url, false);
            return;
        }
        // Stored even when success is false (PROTOCOL §9.1). A zero blocks_per_session is refused rather
        // than dividing by zero later (DECISIONS 2).
        m_nodes->modify(url, [&](NodeStatus& s) {
            s.checked = true;
            s.isStarting = reply->isStarting;
            s.isCatchingUp = reply->isCatchingUp;
            s.heights.height = std::max(s.heights.height, reply->height);
            if (reply->height < s.heights.height - 1000) s.heights.height = reply->height; // the node was reset
            if (reply->blocksPerSession > 0) s.heights.blocksPerSession = reply->blocksPerSession;
            s.heights.sessionSyncAllowance = std::max<qint64>(0, reply->sessionSyncAllowance);
            s.version = reply->version;
            s.wrongChains = reply->wrongChains;
            s.wrongServicers = reply->wrongServicers;
            s.lastCheckMs = now;
            s.lastError.clear();
            if (!reply->wrongChains.isEmpty() || !reply->wrongServicers.isEmpty())
                s.lastError = QStringLiteral("servicer does not host chains [%1] or servicers [%2]")
                                  .arg(reply->wrongChains.join(QLatin1Char(',')),
                                       reply->wrongServicers.join(QLatin1Char(',')));
        });
        if (!reply->wrongChains.isEmpty() || !reply->wrongServicers.isEmpty())
            qCWarning(lcNode).noquote() << "node" << url << "wrong chains" << reply->wrongChains << "wrong servicers"
                                        << reply->wrongServicers;
        Q_EMIT nodeChecked(url, true);
    });
}

} // namespace pocket
