#pragma once
// A scripted servicer for notifier tests (PROTOCOL §5.2.1, §8): a QTcpServer on 127.0.0.1 that reads HTTP/1.1
// requests (Content-Length bodies, keep-alive), records every request whole (method, target, headers, body,
// arrival time) and answers what the script returns. Unlike tests/relay/fakeservicer.h it keeps the headers
// and arrival times, can hold answers until the test releases them, and counts the requests under way at
// once (received, not answered yet).
#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QPair>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <deque>
#include <functional>
#include <optional>

#include "httprequestbuffer.h"

namespace pocket::test {

// A request as received (target: path and query as sent, e.g. /v1/private/mesh/relay?chain=0021&app=…), with
// its arrival time.
struct ServicerRequest : BufferedHttpRequest
{
    qint64 atMs = 0; // arrival, ms on the servicer's monotonic clock

    QByteArray path() const { return target.left(target.indexOf('?') < 0 ? target.size() : target.indexOf('?')); }
    QByteArray query() const { return target.indexOf('?') < 0 ? QByteArray() : target.mid(target.indexOf('?') + 1); }
};

struct ScriptedReply
{
    int status = 200;
    QByteArray body = "{\"dispatch\":null,\"error\":null,\"signature\":true}";
    QByteArray contentType = "application/json";
    QList<QPair<QByteArray, QByteArray>> headers; // extra headers, e.g. Retry-After
};

class ScriptedServicer
{
public:
    // index: 0-based number of the request among all this servicer received.
    using Script = std::function<ScriptedReply(const ServicerRequest& request, int index)>;

    explicit ScriptedServicer(Script script) : m_script(std::move(script))
    {
        m_clock.start();
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket* s = m_server.nextPendingConnection()) {
                QObject::connect(s, &QTcpSocket::readyRead, &m_server, [this, s] { onRead(s); });
                QObject::connect(s, &QTcpSocket::disconnected, &m_server, [this, s] {
                    m_buffers.remove(s);
                    s->deleteLater();
                });
            }
        });
        m_server.listen(QHostAddress::LocalHost, 0);
    }
    ~ScriptedServicer()
    {
        // The sockets are children of m_server and die after m_buffers: their signals must not reach us.
        for (QTcpSocket* s : m_server.findChildren<QTcpSocket*>()) s->disconnect(&m_server);
    }
    ScriptedServicer(const ScriptedServicer&) = delete;
    ScriptedServicer& operator=(const ScriptedServicer&) = delete;

    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()); }
    const QList<ServicerRequest>& requests() const { return m_requests; }
    // Answers are kept (in arrival order) until released while holding; answered at once otherwise.
    void setHolding(bool holding) { m_holding = holding; }
    int held() const { return int(m_held.size()); }
    bool releaseOne()
    {
        while (!m_held.empty()) {
            Held h = m_held.front();
            m_held.pop_front();
            --m_underWay;
            if (h.socket) {
                write(h.socket, h.reply);
                return true;
            }
        }
        return false;
    }
    int underWay() const { return m_underWay; }
    int maxUnderWay() const { return m_maxUnderWay; } // most requests received and not answered, at once

private:
    struct Held
    {
        QPointer<QTcpSocket> socket;
        ScriptedReply reply;
    };

    void onRead(QTcpSocket* s)
    {
        QByteArray& buf = m_buffers[s];
        buf += s->readAll();
        while (const std::optional<BufferedHttpRequest> taken = takeHttpRequest(buf)) {
            const ServicerRequest request{*taken, m_clock.elapsed()};
            m_requests.append(request);
            m_maxUnderWay = std::max(m_maxUnderWay, ++m_underWay);
            const ScriptedReply reply = m_script(request, int(m_requests.size()) - 1);
            if (m_holding) {
                m_held.push_back(Held{s, reply});
            } else {
                --m_underWay;
                write(s, reply);
            }
        }
    }

    static void write(QTcpSocket* s, const ScriptedReply& r)
    {
        QByteArray head = "HTTP/1.1 " + QByteArray::number(r.status) + " X\r\nContent-Type: " + r.contentType
                          + "\r\nContent-Length: " + QByteArray::number(r.body.size()) + "\r\n";
        for (const auto& h : r.headers) head += h.first + ": " + h.second + "\r\n";
        s->write(head + "\r\n" + r.body);
    }

    QTcpServer m_server;
    Script m_script;
    QElapsedTimer m_clock;
    QHash<QTcpSocket*, QByteArray> m_buffers;
    QList<ServicerRequest> m_requests;
    std::deque<Held> m_held;
    bool m_holding = false;
    int m_underWay = 0;
    int m_maxUnderWay = 0;
};

} // namespace pocket::test
