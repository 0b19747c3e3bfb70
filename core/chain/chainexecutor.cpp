#include "chain/chainexecutor.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QPointer>

#include "protocol/jsonsort.h"

Q_LOGGING_CATEGORY(lcChain, "pocket.chain")

namespace pocket {

namespace {

QByteArray trimSlashes(QByteArrayView s)
{
    qsizetype b = 0, e = s.size();
    while (b < e && s[b] == '/') ++b;
    while (e > b && s[e - 1] == '/') --e;
    return s.sliced(b, e - b).toByteArray();
}

// Go's textproto.CanonicalMIMEHeaderKey: upper-case the first letter and each letter after '-',
// lower-case the rest; keys with characters outside the token set are returned unchanged.
QByteArray canonicalHeaderKey(const QByteArray& key)
{
    static constexpr char kTokenExtra[] = "!#$%&'*+-.^_`|~";
    for (const char c : key) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || (c != 0 && std::strchr(kTokenExtra, c));
        if (!ok) return key;
    }
    QByteArray out = key;
    bool upper = true;
    for (char& c : out) {
        if (upper && c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
        else if (!upper && c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
        upper = c == '-';
    }
    return out;
}

void setHeader(QList<std::pair<QByteArray, QByteArray>>& headers, const QByteArray& key, const QByteArray& value)
{
    for (auto& h : headers) {
        if (h.first == key) {
            h.second = value;
            return;
        }
    }
    headers.emplaceBack(key, value);
}

} // namespace

QString joinChainUrl(const QString& chainUrl, const QByteArray& path)
{
    QByteArray url = trimSlashes(chainUrl.toUtf8());
    if (!path.isEmpty()) url += '/' + trimSlashes(path);
    return QString::fromUtf8(url);
}

QString cleanupChainUrl(const QString& url)
{
    // Go unicode.IsGraphic: letters, marks, numbers, punctuation, symbols and Zs spaces are kept.
    QString out;
    out.reserve(url.size());
    for (const char32_t cp : url.toUcs4()) {
        switch (QChar::category(cp)) {
        case QChar::Other_Control:
        case QChar::Other_Format:
        case QChar::Other_Surrogate:
        case QChar::Other_PrivateUse:
        case QChar::Other_NotAssigned:
        case QChar::Separator_Line:
        case QChar::Separator_Paragraph:
            continue;
        default:
            out += QString::fromUcs4(&cp, 1);
        }
    }
    return out;
}

ChainExecutor::ChainExecutor(HttpClient* client, ChainCallOptions options, QObject* parent)
    : QObject(parent), m_client(client), m_options(std::move(options))
{
}

void ChainExecutor::execute(const ConfiguredChain& chain, const Payload& payload, QObject* context,
                            std::function<void(Result<ChainResult>, int)> done)
{
    QString url = joinChainUrl(chain.url, payload.path);
    if (m_options.pathCleanup) url = cleanupChainUrl(url);

    HttpRequest request;
    request.method = payload.method.isEmpty() ? QByteArrayLiteral("POST") : payload.method;
    request.url = url.toUtf8();
    request.body = payload.data;
    request.timeoutMs = m_options.timeoutMs;
    request.closeConnection = m_options.dropConnections;
    if (!chain.basicAuthUser.isEmpty())
        request.headers.emplaceBack(
            "Authorization",
            "Basic " + (chain.basicAuthUser + QLatin1Char(':') + chain.basicAuthPassword).toUtf8().toBase64());
    if (!m_options.userAgent.isEmpty()) setHeader(request.headers, "User-Agent", m_options.userAgent);
    if (!payload.headers || payload.headers->empty()) {
        setHeader(request.headers, "Content-Type", "application/json");
    } else {
        for (const auto& [key, value] : *payload.headers) setHeader(request.headers, canonicalHeaderKey(key), value);
    }

    // Texts of PROTOCOL §10.2 (never the chain URL: it may carry credentials).
    const QString where = QStringLiteral("CHAIN=%1 PATH=%2 METHOD=%3")
                              .arg(QString::fromUtf8(chain.id), QString::fromUtf8(payload.path),
                                   QString::fromUtf8(payload.method));
    const QString reqSuffix =
        m_options.logRequest ? QStringLiteral(" REQ=%1").arg(QString::fromUtf8(payload.data)) : QString();
    const bool sortJson = m_options.sortJson;
    const bool logResponse = m_options.logResponse;
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    m_client->send(std::move(request), context,
                   [done = std::move(done), where, reqSuffix, sortJson, logResponse, timer](
                       HttpResult reply) {
                       const qint64 elapsed = timer->elapsed();
                       // One debug line per call (seed: log_chain_request / log_chain_response attach the
                       // payloads "when the logger is set to debug"); the category check keeps the hot path
                       // free of formatting when debug is off. Never the chain URL (it may carry credentials).
                       if (lcChain().isDebugEnabled()) {
                           QString line = where;
                           if (reply) line += QStringLiteral(" STATUS=%1").arg(reply->status);
                           else line += QStringLiteral(" ERROR=%1").arg(reply.error().message);
                           line += QStringLiteral(" TIME=%1ms").arg(elapsed) + reqSuffix;
                           if (logResponse && reply) line += QStringLiteral(" RES=") + QString::fromUtf8(reply->body);
                           qCDebug(lcChain).noquote() << "chain call" << line;
                       }
                       if (!reply) {
                           QString text;
                           int status = 500;
                           switch (reply.error().kind) {
                           case HttpErrorKind::InvalidRequest:
                               text = QStringLiteral("unable to process blockchain request");
                               break;
                           case HttpErrorKind::Timeout:
                               text = QStringLiteral("request timeout for ") + where;
                               status = 504;
                               break;
                           case HttpErrorKind::BodyRead:
                           case HttpErrorKind::TooLarge:
                               text = QStringLiteral("unable to process blockchain response payload");
                               break;
                           default:
                               text = QStringLiteral("blockchain request for ") + where + reqSuffix;
                               break;
                           }
                           done(fail(PocketError::pocketcore(28, text)), status);
                           return;
                       }
                       ChainResult result;
                       result.httpStatus = reply->status;
                       result.chainMs = elapsed;
                       result.response = std::move(reply->body);
                       if (sortJson) {
                           if (auto sorted = goSortJsonObject(result.response)) result.response = std::move(*sorted);
                       }
                       const int status = result.httpStatus;
                       done(std::move(result), status);
                   });
}

} // namespace pocket
