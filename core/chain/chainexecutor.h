#pragma once
// Executes a relay's payload on the blockchain node (PROTOCOL §10): URL joining, method, headers, basic
// auth, timeout, Connection: close, path clean-up, then the optional Go JSON sort of the answer (§10.3).
// Lives in one thread with that thread's HttpClient.
#include <QByteArray>
#include <QObject>
#include <QString>
#include <functional>

#include "config/chains.h"
#include "http/httpclient.h"
#include "protocol/relay.h"
#include "util/result.h"

namespace pocket {

struct ChainCallOptions
{
    int timeoutMs = 1200;
    bool dropConnections = false;
    bool pathCleanup = false;
    bool sortJson = true;
    QByteArray userAgent = "mesh-node";
    bool logRequest = false;  // log_chain_request: adds REQ=<data> to error texts (PROTOCOL §10.2) and debug lines
    bool logResponse = false; // log_chain_response: adds RES=<body> to the debug line of each call
};

struct ChainResult
{
    QByteArray response; // the exact string to sign and return
    int httpStatus = 0;  // for metrics: the chain's status, 500 on execution errors, 504 on timeout
    qint64 chainMs = 0;  // time spent in the chain call
};

// The URL of §10.1 step 1: all leading/trailing '/' trimmed from both parts, joined by one '/'.
QString joinChainUrl(const QString& chainUrl, const QByteArray& path);
// §10.1 step 2: drop every non-graphic code point (controls, format characters) from the URL.
QString cleanupChainUrl(const QString& url);

class ChainExecutor : public QObject
{
    Q_OBJECT
public:
    ChainExecutor(HttpClient* client, ChainCallOptions options, QObject* parent = nullptr);

    // `done` is called once, later, in this object's thread; with a ChainResult or error 28 (execution).
    // The ChainResult's httpStatus is also reported on error through `failedStatus`.
    void execute(const ConfiguredChain& chain, const Payload& payload, QObject* context,
                 std::function<void(Result<ChainResult>, int httpStatus)> done);

    const ChainCallOptions& options() const { return m_options; }

private:
    HttpClient* m_client;
    ChainCallOptions m_options;
};

} // namespace pocket
