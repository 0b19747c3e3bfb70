#include "localhttpserver.h"

#include <QHttpServerRequest>
#include <QTcpServer>
#include <QTimer>
#include <QUrl>

namespace pocket::localnet {

namespace {

QByteArray methodName(QHttpServerRequest::Method m)
{
    switch (m) {
    case QHttpServerRequest::Method::Get: return "GET";
    case QHttpServerRequest::Method::Put: return "PUT";
    case QHttpServerRequest::Method::Delete: return "DELETE";
    case QHttpServerRequest::Method::Post: return "POST";
    case QHttpServerRequest::Method::Head: return "HEAD";
    case QHttpServerRequest::Method::Options: return "OPTIONS";
    case QHttpServerRequest::Method::Patch: return "PATCH";
    case QHttpServerRequest::Method::Connect: return "CONNECT";
    case QHttpServerRequest::Method::Trace: return "TRACE";
    default: return "UNKNOWN";
    }
}

} // namespace

QByteArray HttpRequest::target() const
{
    return query.isEmpty() ? path : path + '?' + query;
}

QByteArray HttpRequest::header(QByteArrayView name) const
{
    for (const auto& [k, v] : headers) {
        if (name.compare(k, Qt::CaseInsensitive) == 0) return v;
    }
    return {};
}

bool HttpRequest::hasHeader(QByteArrayView name) const
{
    for (const auto& h : headers) {
        if (name.compare(h.first, Qt::CaseInsensitive) == 0) return true;
    }
    return false;
}

QUrlQuery HttpRequest::queryItems() const
{
    return QUrlQuery(QString::fromUtf8(query));
}

QString HttpRequest::queryValue(const QString& name) const
{
    return queryItems().queryItemValue(name, QUrl::FullyDecoded);
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Request Entity Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

HttpReply::HttpReply(QTcpSocket* socket)
    : m_state(std::make_shared<State>())
{
    m_state->socket = socket;
}

void HttpReply::send(int status, const QByteArray& body, const QByteArray& contentType,
                     const HeaderList& extraHeaders)
{
    if (!m_state || m_state->answered) return;
    m_state->answered = true;
    QTcpSocket* s = m_state->socket.data();
    if (!s || s->state() != QAbstractSocket::ConnectedState) return;
    QByteArray out;
    out.reserve(body.size() + 256);
    out += "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    if (!contentType.isEmpty()) out += "Content-Type: " + contentType + "\r\n";
    for (const auto& [k, v] : extraHeaders) out += k + ": " + v + "\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n";
    out += body;
    s->write(out);
}

void HttpReply::drop()
{
    if (!m_state || m_state->answered) return;
    m_state->answered = true;
    if (QTcpSocket* s = m_state->socket.data()) s->abort();
}

void HttpReply::hang()
{
    if (m_state) m_state->answered = true;
}

bool HttpReply::isAnswered() const
{
    return m_state && m_state->answered;
}

bool HttpReply::isConnected() const
{
    return m_state && m_state->socket && m_state->socket->state() == QAbstractSocket::ConnectedState;
}

QTcpSocket* HttpReply::socket() const
{
    return m_state ? m_state->socket.data() : nullptr;
}

LocalHttpServer::LocalHttpServer(Handler handler, QObject* parent)
    : QAbstractHttpServer(parent)
    , m_handler(std::move(handler))
{
}

LocalHttpServer::~LocalHttpServer() = default;

quint16 LocalHttpServer::start(const QHostAddress& address, quint16 port)
{
    m_tcpServer = new QTcpServer(this);
    if (!m_tcpServer->listen(address, port)) return 0;
    m_address = address;
    m_port = m_tcpServer->serverPort();
    bind(m_tcpServer);
    m_relistenTimer = new QTimer(this);
    m_relistenTimer->setSingleShot(true);
    connect(m_relistenTimer, &QTimer::timeout, this, &LocalHttpServer::relisten);
    return m_port;
}

void LocalHttpServer::refuseConnections(int ms, QTcpSocket* keep)
{
    if (!m_tcpServer) return;
    m_refusing = true;
    m_tcpServer->close();
    // Sockets accepted by QAbstractHttpServer are children of the QTcpServer.
    const auto sockets = m_tcpServer->findChildren<QTcpSocket*>();
    for (QTcpSocket* s : sockets) {
        if (s == keep) {
            s->disconnectFromHost(); // flushes the admin answer first
        } else {
            s->abort();
        }
    }
    m_relistenTimer->start(qMax(0, ms));
}

void LocalHttpServer::relisten()
{
    if (m_tcpServer->listen(m_address, m_port)) {
        m_refusing = false;
        return;
    }
    // The port may still be held for a moment (another process grabbed it?): try again shortly.
    m_relistenTimer->start(50);
}

bool LocalHttpServer::handleRequest(const QHttpServerRequest& request, QTcpSocket* socket)
{
    if (m_refusing) {
        socket->abort();
        return true;
    }
    HttpRequest copy;
    copy.method = methodName(request.method());
    const QUrl url = request.url();
    copy.path = url.path(QUrl::FullyEncoded).toUtf8();
    if (copy.path.isEmpty()) copy.path = "/";
    if (url.hasQuery()) copy.query = url.query(QUrl::FullyEncoded).toUtf8();
    copy.headers = request.headers();
    copy.body = request.body();
    m_handler(copy, HttpReply(socket));
    return true;
}

void LocalHttpServer::missingHandler(const QHttpServerRequest&, QTcpSocket* socket)
{
    HttpReply(socket).send(404, "404 page not found\n", "text/plain; charset=utf-8");
}

} // namespace pocket::localnet
