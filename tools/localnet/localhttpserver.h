#pragma once
// A small HTTP/1.1 server for the local network (servicer emulator and mock chain), on top of
// QAbstractHttpServer (Qt 6.4). It copies every request before the handler runs (QHttpServerRequest is
// reused for the next request on the connection, QT64-NOTES) and writes raw responses to the socket
// through a guarded handle, so an answer given later (delay, upstream call) never touches a socket that
// is gone (the QHttpServerResponder keeps a raw pointer, QT64-NOTES). It can also stop accepting
// connections for a while (fault injection: "refuse connections") and listen again on the same port.
#include <QAbstractHttpServer>
#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QPointer>
#include <QTcpSocket>
#include <QUrlQuery>
#include <functional>
#include <memory>

class QTcpServer;
class QTimer;

namespace pocket::localnet {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// An owned copy of one request.
struct HttpRequest
{
    QByteArray method; // "GET", "POST", ... (upper case)
    QByteArray path;   // percent-encoded path as received, e.g. "/v1/query/height"
    QByteArray query;  // raw query string without '?', empty when there is none
    HeaderList headers; // original case and order
    QByteArray body;

    // path + "?" + query (the request target).
    QByteArray target() const;
    // First header with this name (case-insensitive), empty when absent.
    QByteArray header(QByteArrayView name) const;
    bool hasHeader(QByteArrayView name) const;
    QUrlQuery queryItems() const;
    QString queryValue(const QString& name) const;
};

// A handle to answer one request once, now or later. Copyable; all copies share the same state.
// Writing after the client disconnected is a no-op.
class HttpReply
{
public:
    HttpReply() = default;
    explicit HttpReply(QTcpSocket* socket);

    // Writes status line, Content-Type (when non-empty), extra headers, Content-Length and the body.
    void send(int status, const QByteArray& body, const QByteArray& contentType,
              const HeaderList& extraHeaders = {});
    // Closes the connection without an answer (a "hang up").
    void drop();
    // Never answers: the connection stays open until the client gives up (a "hang").
    void hang();
    bool isAnswered() const;
    bool isConnected() const;
    QTcpSocket* socket() const;

private:
    struct State
    {
        QPointer<QTcpSocket> socket;
        bool answered = false;
    };
    std::shared_ptr<State> m_state;
};

class LocalHttpServer : public QAbstractHttpServer
{
    Q_OBJECT
public:
    using Handler = std::function<void(const HttpRequest&, HttpReply)>;

    explicit LocalHttpServer(Handler handler, QObject* parent = nullptr);
    ~LocalHttpServer() override;

    // Listens on address:port (0 = a free port). Returns the bound port, 0 on failure.
    quint16 start(const QHostAddress& address, quint16 port);
    quint16 port() const { return m_port; }
    QHostAddress address() const { return m_address; }

    // Closes the listening socket and aborts every open connection except `keep` (the admin request
    // that asked for it, answered before it is closed); listens again on the same port after `ms`.
    // While refusing, a request arriving on a connection that is still open is dropped unanswered.
    void refuseConnections(int ms, QTcpSocket* keep = nullptr);
    bool isRefusing() const { return m_refusing; }

protected:
    bool handleRequest(const QHttpServerRequest& request, QTcpSocket* socket) override;
    void missingHandler(const QHttpServerRequest& request, QTcpSocket* socket) override;

private:
    void relisten();

    Handler m_handler;
    QTcpServer* m_tcpServer = nullptr; // owned (child), lives in this object's thread
    QTimer* m_relistenTimer = nullptr;
    QHostAddress m_address;
    quint16 m_port = 0;
    bool m_refusing = false;
};

// The reason phrase of an HTTP status ("OK", "Bad Request", ...).
QByteArray reasonPhrase(int status);

} // namespace pocket::localnet
