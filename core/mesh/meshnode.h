#pragma once
// One running mesh node: the data directory's configuration turned into the relay pipeline. Owns the
// shared state, the outbox, the control-thread services (session validator, notifier, node monitor) and
// the HTTP front with its server threads. Lives in the control thread (the thread that created it).
#include <QObject>
#include <QTimer>
#include <atomic>
#include <memory>

#include "config/datadir.h"
#include "relay/meshshared.h"
#include "util/result.h"

namespace pocket {

class HttpClient;
class MeshHttpServer;
class NodeMonitor;
class Notifier;
class RelayOutbox;
class ServicerClient;
class SessionValidator;

struct MeshNodeOptions
{
    bool simulateRelay = false;
    int serverThreads = 0;    // 0: one per core, at most 2
    quint16 portOverride = 0; // tests: 0 keeps rpc_port
};

class MeshNode : public QObject
{
    Q_OBJECT
public:
    MeshNode(LoadedDataDir loaded, MeshNodeOptions options, QObject* parent = nullptr);
    ~MeshNode() override;

    // Opens the outbox, starts following the servicer nodes, replays stored relays and starts listening.
    Result<void> start();
    // Graceful stop (issue 5 item 9): stop intake, finish requests in flight, flush and close the outbox.
    void stop(int graceMs = 5000);

    quint16 port() const;
    MeshShared& shared() { return m_shared; }
    const LoadedDataDir& dataDir() const { return m_loaded; }
    // The JSON of GET /v1/private/mesh/health (control thread).
    QByteArray healthJson() const;
    bool isReady() const;

Q_SIGNALS:
    void stopRequested();

private:
    void buildKeysAndChains();
    void setupServerThread(class ServerThreadContext& ctx);
    bool authorized(const QByteArray& header) const;

    LoadedDataDir m_loaded;
    MeshNodeOptions m_options;
    MeshShared m_shared;
    std::unique_ptr<RelayOutbox> m_outbox;
    std::unique_ptr<HttpClient> m_servicerHttp; // control thread
    std::unique_ptr<ServicerClient> m_servicer;
    std::unique_ptr<SessionValidator> m_validator;
    std::unique_ptr<Notifier> m_notifier;
    std::unique_ptr<NodeMonitor> m_monitor;
    std::unique_ptr<MeshHttpServer> m_server;
    QTimer m_cleanupTimer;
    std::atomic<qint64> m_replayed{0};
    std::atomic<bool> m_replayDone{false};
};

} // namespace pocket
