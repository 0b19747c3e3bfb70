#pragma once
// A test client that writes exact bytes on a QTcpSocket and reads HTTP/1.x answers back without any
// repair: what the server sent is what the test sees. Runs in the test's (main) thread.
#include <QByteArray>
#include <QList>
#include <QTcpSocket>
#include <optional>
#include <utility>

namespace pocket::test {

struct RawResponse
{
    QByteArray version; // "HTTP/1.1"
    int status = 0;
    QByteArray statusLine; // without CRLF
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QByteArray raw; // every byte of this answer

    QByteArray header(QByteArrayView name) const;
    bool hasHeader(QByteArrayView name) const;
    int headerCount(QByteArrayView name) const;
};

class RawHttpClient
{
public:
    explicit RawHttpClient(quint16 port, const QString& host = QStringLiteral("127.0.0.1"));
    ~RawHttpClient();
    RawHttpClient(const RawHttpClient&) = delete;
    RawHttpClient& operator=(const RawHttpClient&) = delete;
    bool isConnected() const;
    void send(const QByteArray& bytes);
    // Next complete answer (Content-Length framed; without Content-Length, ended by the server's close).
    std::optional<RawResponse> readResponse(int timeoutMs = 5000, bool headRequest = false);
    // Waits until the server closed the connection.
    bool waitClosed(int timeoutMs = 5000);
    // Waits until `n` unread bytes are there.
    bool waitForBytes(qsizetype n, int timeoutMs = 5000);
    bool closedByServer() const { return m_closed; }
    // Received bytes not yet returned by readResponse().
    QByteArray& unread() { return m_buffer; }
    void close() { m_socket.abort(); }
    QTcpSocket& socket() { return m_socket; }

private:
    void pull();
    QTcpSocket m_socket;
    QByteArray m_buffer;
    bool m_closed = false;
};

// One request on a new connection; the answer or nullopt.
std::optional<RawResponse> rawExchange(quint16 port, const QByteArray& request, int timeoutMs = 5000);

} // namespace pocket::test
