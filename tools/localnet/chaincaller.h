#pragma once
// The emulator's own outbound chain call when it serves /v1/client/relay as a reference servicer node
// (PROTOCOL §10.1 URL/method/header rules, §10.2 error texts). QNetworkAccessManager is enough here: the
// emulator is a baseline, not the thing being measured. Threading: lives in the emulator's thread.
#include <QByteArray>
#include <QObject>
#include <functional>

#include "protocol/relay.h"
#include "util/result.h"

class QNetworkAccessManager;

namespace pocket::localnet {

class ChainCaller : public QObject
{
    Q_OBJECT
public:
    using Done = std::function<void(Result<QByteArray> body)>;

    explicit ChainCaller(int timeoutMs, QObject* parent = nullptr);

    // Executes `payload` against the chain at `baseUrl`; `done` gets the response body (any HTTP status is
    // a success) or a pocketcore 28 error. `done` runs in this object's thread, never synchronously.
    void call(const QByteArray& chainId, const QByteArray& baseUrl, const Payload& payload, Done done);

    // url (slashes trimmed) + "/" + path (slashes trimmed) when the path is not empty (PROTOCOL §10.1).
    static QByteArray chainUrl(const QByteArray& baseUrl, const QByteArray& path);

private:
    QNetworkAccessManager* m_nam;
    int m_timeoutMs;
};

} // namespace pocket::localnet
