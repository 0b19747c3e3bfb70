#pragma once
// The servicer emulator's HTTP side: what a POKTscan servicer with mesh_node=true answers
// (/v1/private/mesh/{relay,session,check}, PROTOCOL §5.2), the public routes the SDK and the mesh use
// (/v1/client/dispatch, /v1, /v1/health, /v1/query/height), /v1/client/relay as a reference servicer
// node (the "no mesh" baseline), and the /admin/ routes tests use to inject faults and read evidence
// (README.md). Threading: lives in one thread with its ServicerState; no locks.
#include <QByteArray>
#include <QHostAddress>
#include <QMap>
#include <QObject>
#include <map>

#include "localhttpserver.h"
#include "servicerstate.h"

class QTimer;

namespace pocket::localnet {

class ChainCaller;

struct EmulatorOptions
{
    QByteArray token;                     // servicer auth token (bare Authorization header value)
    QMap<QByteArray, QByteArray> chainUrls; // chain id -> base URL, for the reference /v1/client/relay
    int chainTimeoutMs = 30000;
    bool jsonSortResponses = true;        // pocket_config json_sort_relay_responses (PROTOCOL §10.3)
};

class EmulatorServer : public QObject
{
    Q_OBJECT
public:
    EmulatorServer(ServicerState* state, EmulatorOptions options, QObject* parent = nullptr);

    // Listens on address:port (0 = free port) and starts the block clock; returns the port or 0.
    quint16 start(const QHostAddress& address, quint16 port);
    quint16 port() const;

private:
    // Fault injection set through /admin/ (applies to non-admin routes whose path starts with `path`).
    struct Faults
    {
        int delayMs = 0;
        QByteArray delayPath;
        int failCount = 0;      // next N matching requests fail
        qint64 failUntilMs = 0; // or every matching request until this time (ms since epoch)
        int failStatus = 500;
        QByteArray failPath;
    };

    void handle(const HttpRequest& request, HttpReply reply);
    void route(const HttpRequest& request, HttpReply reply);
    bool shouldFail(const QByteArray& path);
    bool authorized(const HttpRequest& request, HttpReply& reply, const HeaderList& headers);

    void meshRelay(const HttpRequest& request, HttpReply reply);
    void meshSession(const HttpRequest& request, HttpReply reply);
    void meshCheck(const HttpRequest& request, HttpReply reply);
    void clientRelay(const HttpRequest& request, HttpReply reply);
    void clientDispatch(const HttpRequest& request, HttpReply reply);

    void handleAdmin(const HttpRequest& request, HttpReply reply);
    QJsonObject countersJson() const;
    void setBlockClock(int msPerBlock);
    void count(const QString& what) { ++m_counters[what]; }

    ServicerState* m_state; // not owned; same thread
    EmulatorOptions m_options;
    LocalHttpServer* m_server = nullptr;
    ChainCaller* m_chain = nullptr;
    QTimer* m_blockTimer = nullptr;
    int m_msPerBlock = 0;
    Faults m_faults;
    std::map<QString, qint64> m_counters; // requests per route, auth failures, injected faults
};

} // namespace pocket::localnet
