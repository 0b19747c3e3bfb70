#pragma once
// Test fixture for the local network: starts the real pocket-localnet executable on free ports (it binds
// port 0 and reports what it got on its JSON ready line), plus a blocking HTTP helper and a relay builder
// that signs relays with the protocol core, so tests can tamper with them byte by byte.
#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include "protocol/relay.h"

namespace pocket::test {

using Headers = QList<QPair<QByteArray, QByteArray>>;

struct HttpResult
{
    int status = 0;          // 0 when no HTTP answer arrived
    bool transportError = false;
    QString errorString;
    QByteArray body;
    Headers headers;
    qint64 elapsedMs = 0;

    QByteArray header(QByteArrayView name) const;
    QJsonObject json() const;
    QJsonArray jsonArray() const;
};

// One request on a fresh connection; waits at most timeoutMs.
HttpResult httpRequest(const QByteArray& method, const QString& url, const QByteArray& body = {},
                       const Headers& headers = {}, int timeoutMs = 10000);
inline HttpResult httpPost(const QString& url, const QByteArray& body, const Headers& headers = {}, int timeoutMs = 10000)
{
    return httpRequest("POST", url, body, headers, timeoutMs);
}
inline HttpResult httpGet(const QString& url, int timeoutMs = 10000)
{
    return httpRequest("GET", url, {}, {}, timeoutMs);
}

class LocalnetProcess
{
public:
    LocalnetProcess() = default;
    ~LocalnetProcess();
    LocalnetProcess(const LocalnetProcess&) = delete;
    LocalnetProcess& operator=(const LocalnetProcess&) = delete;

    // Starts pocket-localnet with free ports and a temporary data directory plus `args`; waits for the
    // ready line. On failure returns false with the reason (and the process' stderr) in `error`.
    bool start(const QStringList& args, QString* error);
    void stop();
    // SIGTERM, then true when the process exited normally with code 0 within a few seconds (under the
    // sanitizers that includes a leak-free exit).
    bool stopGracefully(QString* error);

    const QJsonObject& info() const { return m_info; }
    QString emulatorUrl() const { return m_info.value("emulator_url").toString(); }
    QString chainUrl() const { return m_info.value("chain_url").toString(); }
    QByteArray token() const { return m_info.value("servicer_token").toString().toUtf8(); }
    QString datadir() const { return m_dir.path(); }
    Headers auth() const { return {{"Authorization", token()}, {"Content-Type", "application/json"}}; }

    // Admin helpers on the emulator (/admin/...) and the mock chain.
    QJsonObject admin(const QByteArray& method, const QString& route, const QJsonObject& body = {});
    QJsonObject chainAdmin(const QByteArray& method, const QString& route, const QJsonObject& body = {});

private:
    QProcess m_process;
    QTemporaryDir m_dir;
    QJsonObject m_info;
};

// An ed25519 key for tests.
struct TestKey
{
    QByteArray privateKey; // 64 bytes
    QByteArray publicKeyHex;
};
TestKey testKeyFromHex(const QByteArray& privateKeyHex);
TestKey testKeyFromLabel(const QByteArray& label); // seed = sha256(label)

// A relay signed the way a client does it: AAT signed by `app`, proof signed by `client`.
struct RelaySpec
{
    TestKey app;
    TestKey client;
    QByteArray servicerPubKeyHex;
    QByteArray chain = "0021";
    qint64 sessionHeight = 0;
    qint64 blockHeight = 0;
    QByteArray data = R"({"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":1})";
    QByteArray path;
    QByteArray method = "POST";
    qint64 entropy = 1;
};
Relay buildRelay(const RelaySpec& spec);
// Re-signs the proof after a change (the client signature covers the proof hash).
void resignProof(Relay& relay, const TestKey& client);

// The golden vectors' keys (read from the vectors file).
TestKey vectorsKey(const char* which); // "app", "client", "servicer"

} // namespace pocket::test
