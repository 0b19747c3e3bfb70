#include "chaincaller.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QUrl>

namespace pocket::localnet {

namespace {

QByteArray trimSlashes(QByteArray s)
{
    qsizetype b = 0, e = s.size();
    while (b < e && s[b] == '/') ++b;
    while (e > b && s[e - 1] == '/') --e;
    return s.mid(b, e - b);
}

} // namespace

ChainCaller::ChainCaller(int timeoutMs, QObject* parent)
    : QObject(parent)
    , m_nam(new QNetworkAccessManager(this))
    , m_timeoutMs(timeoutMs)
{
}

QByteArray ChainCaller::chainUrl(const QByteArray& baseUrl, const QByteArray& path)
{
    QByteArray url = trimSlashes(baseUrl);
    if (!path.isEmpty()) url += '/' + trimSlashes(path);
    return url;
}

void ChainCaller::call(const QByteArray& chainId, const QByteArray& baseUrl, const Payload& payload, Done done)
{
    const QByteArray method = payload.method.isEmpty() ? QByteArray("POST") : payload.method;
    const QString what = QStringLiteral("CHAIN=%1 PATH=%2 METHOD=%3")
                             .arg(QString::fromUtf8(chainId), QString::fromUtf8(payload.path), QString::fromUtf8(method));
    const QUrl url = QUrl::fromEncoded(chainUrl(baseUrl, payload.path), QUrl::TolerantMode);
    if (!url.isValid()) {
        QMetaObject::invokeMethod(this, [done] {
            done(fail(PocketError::pocketcore(28, QStringLiteral("unable to process blockchain request"))));
        }, Qt::QueuedConnection);
        return;
    }
    QNetworkRequest request(url);
    request.setTransferTimeout(m_timeoutMs);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    if (!payload.headers || payload.headers->empty()) {
        request.setRawHeader("Content-Type", "application/json");
    } else {
        for (const auto& [k, v] : *payload.headers) request.setRawHeader(k, v);
    }
    QNetworkReply* reply = m_nam->sendCustomRequest(request, method, payload.data);
    connect(reply, &QNetworkReply::finished, this, [reply, done, what] {
        reply->deleteLater();
        const QByteArray body = reply->readAll();
        const bool gotStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).isValid();
        // An HTTP error status with a body is still a chain answer (PROTOCOL §10.2).
        if (reply->error() == QNetworkReply::NoError || gotStatus) {
            done(body);
        } else if (reply->error() == QNetworkReply::OperationCanceledError
                   || reply->error() == QNetworkReply::TimeoutError) {
            done(fail(PocketError::pocketcore(28, QStringLiteral("request timeout for ") + what)));
        } else {
            done(fail(PocketError::pocketcore(28, QStringLiteral("blockchain request for ") + what)));
        }
    });
}

} // namespace pocket::localnet
