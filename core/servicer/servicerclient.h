#pragma once
// The mesh's calls to a POKTscan servicer's private mesh endpoints (PROTOCOL §5.2): /relay (notify),
// /session (validation), /check (health), each with ?verify=true probes. Bare-token Authorization.
// Lives in the control thread with that thread's HttpClient.
#include <QByteArray>
#include <QObject>
#include <QString>
#include <QStringList>
#include <functional>
#include <optional>

#include "http/httpclient.h"
#include "session/sessioncache.h"
#include "util/result.h"

namespace pocket {

struct ServicerClientOptions
{
    QByteArray authToken; // servicer_auth_token_file Value; never logged
    QByteArray userAgent = "mesh-node";
    int timeoutMs = 60000;
};

struct CheckReply
{
    bool success = false;
    bool isStarting = false;
    bool isCatchingUp = false;
    qint64 height = 0;
    QString version;
    qint64 blocksPerSession = 0;
    qint64 sessionSyncAllowance = 0;
    QStringList wrongChains;
    QStringList wrongServicers;
};

enum class NotifyVerdict {
    Delivered,          // 200
    Rejected,           // a non-retryable pocket code (PROTOCOL §4.4: 76, 13, 26, 37, 74, 60)
    RejectedInvalidate, // 45, 90, 71, 75: the session is invalid too
    Retry,              // transport errors, HTTP ≥ 401, unreadable replies, every other code
};

struct NotifyOutcome
{
    NotifyVerdict verdict = NotifyVerdict::Retry;
    int httpStatus = 0; // 0 = transport error
    std::optional<PocketError> error;
    QByteArray dispatchJson;
    qint64 dispatchHeight = 0;
    int retryAfterSeconds = -1; // Retry-After of a 429/503
    QString detail;             // for logs: never contains the token
};

struct SessionReply
{
    enum class Kind { Valid, Rejected, Retry } kind = Kind::Retry;
    qint64 remainingRelays = -1;
    QByteArray dispatchJson;
    std::optional<PocketError> error;
    QString detail;
};

// Reply classification, exposed for tests (PROTOCOL §4.4, §8.3).
NotifyOutcome classifyNotifyReply(int httpStatus, const QByteArray& contentType, const QByteArray& body,
                                  const QByteArray& retryAfter);
SessionReply classifySessionReply(int httpStatus, const QByteArray& body);
// A pocket error from a servicer's {code,codespace,message}; the multi-line Error() text is unwrapped.
PocketError pocketErrorFromJson(const class QJsonObject& error);

class ServicerClient : public QObject
{
    Q_OBJECT
public:
    ServicerClient(HttpClient* client, ServicerClientOptions options, QObject* parent = nullptr);

    void notify(const QString& nodeUrl, const QByteArray& servicerAddressHex, const QByteArray& chain,
                const QByteArray& appPubKey, const QByteArray& body, QObject* context,
                std::function<void(NotifyOutcome)> done);
    void session(const SessionInfo& session, QObject* context, std::function<void(SessionReply)> done);
    void check(const QString& nodeUrl, const QList<QByteArray>& servicerAddresses, const QList<QByteArray>& chains,
               QObject* context, std::function<void(Result<CheckReply>)> done);
    // POST <node>/v1/private/mesh/<endpoint>?verify=true with an empty body; ok on HTTP 200 (PROTOCOL §9.3).
    void verify(const QString& nodeUrl, const QString& endpoint, QObject* context,
                std::function<void(bool ok, QString error)> done);

private:
    HttpRequest baseRequest(const QString& url, bool json) const;
    HttpClient* m_client;
    ServicerClientOptions m_options;
};

} // namespace pocket
