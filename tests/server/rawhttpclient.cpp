#include "rawhttpclient.h"

#include <QDeadlineTimer>

#include "testsupport.h"

namespace pocket::test {

QByteArray RawResponse::header(QByteArrayView name) const
{
    for (const auto& [k, v] : headers)
        if (QByteArrayView(k).compare(name, Qt::CaseInsensitive) == 0) return v;
    return {};
}

bool RawResponse::hasHeader(QByteArrayView name) const
{
    return headerCount(name) > 0;
}

int RawResponse::headerCount(QByteArrayView name) const
{
    int n = 0;
    for (const auto& h : headers)
        if (QByteArrayView(h.first).compare(name, Qt::CaseInsensitive) == 0) ++n;
    return n;
}

RawHttpClient::RawHttpClient(quint16 port, const QString& host)
{
    QObject::connect(&m_socket, &QTcpSocket::readyRead, [this] { pull(); });
    QObject::connect(&m_socket, &QTcpSocket::disconnected, [this] {
        pull();
        m_closed = true;
    });
    m_socket.connectToHost(host, port);
    waitFor([this] { return m_socket.state() == QAbstractSocket::ConnectedState || m_closed
                            || m_socket.state() == QAbstractSocket::UnconnectedState; },
            5000);
}

RawHttpClient::~RawHttpClient()
{
    m_socket.disconnect(); // no slot may run on a half-destroyed client
    m_socket.abort();
}

bool RawHttpClient::isConnected() const
{
    return m_socket.state() == QAbstractSocket::ConnectedState;
}

void RawHttpClient::pull()
{
    if (m_socket.isOpen()) m_buffer += m_socket.readAll();
}

void RawHttpClient::send(const QByteArray& bytes)
{
    m_socket.write(bytes);
    m_socket.flush();
}

bool RawHttpClient::waitClosed(int timeoutMs)
{
    return waitFor([this] { return m_closed || m_socket.state() == QAbstractSocket::UnconnectedState; }, timeoutMs);
}

bool RawHttpClient::waitForBytes(qsizetype n, int timeoutMs)
{
    return waitFor([this, n] { return m_buffer.size() >= n; }, timeoutMs);
}

std::optional<RawResponse> RawHttpClient::readResponse(int timeoutMs, bool headRequest)
{
    QDeadlineTimer deadline(timeoutMs);
    std::optional<RawResponse> result;
    auto tryParse = [&]() -> bool {
        const qsizetype end = m_buffer.indexOf("\r\n\r\n");
        if (end < 0) return false;
        RawResponse r;
        const QList<QByteArray> lines = m_buffer.first(end).split('\n');
        r.statusLine = lines.value(0).trimmed();
        const QList<QByteArray> parts = r.statusLine.split(' ');
        r.version = parts.value(0);
        r.status = parts.value(1).toInt();
        qint64 length = -1;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            QByteArray line = lines[i];
            if (line.endsWith('\r')) line.chop(1);
            const qsizetype colon = line.indexOf(':');
            r.headers.append({line.first(colon), line.sliced(colon + 1).trimmed()});
        }
        if (!r.header("Content-Length").isEmpty()) length = r.header("Content-Length").toLongLong();
        const bool noBody = headRequest || r.status / 100 == 1 || r.status == 204 || r.status == 304;
        qsizetype total = end + 4;
        if (noBody) {
        } else if (length >= 0) {
            if (m_buffer.size() < total + length) return false;
            r.body = m_buffer.sliced(total, length);
            total += length;
        } else {
            if (!m_closed) return false; // body runs to the close
            r.body = m_buffer.sliced(total);
            total = m_buffer.size();
        }
        r.raw = m_buffer.first(total);
        m_buffer.remove(0, total);
        result = std::move(r);
        return true;
    };
    waitFor([&] { return tryParse() || (m_closed && m_buffer.indexOf("\r\n\r\n") < 0); }, int(deadline.remainingTime()));
    return result;
}

std::optional<RawResponse> rawExchange(quint16 port, const QByteArray& request, int timeoutMs)
{
    RawHttpClient c(port);
    if (!c.isConnected()) return std::nullopt;
    c.send(request);
    return c.readResponse(timeoutMs);
}

} // namespace pocket::test
