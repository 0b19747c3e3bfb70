#pragma once
// A scripted servicer for unit tests of the notifier: a QTcpServer on 127.0.0.1 that reads HTTP/1.1
// requests (Content-Length bodies), keeps connections alive and answers what `answer` returns.
#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <functional>
#include <optional>

#include "httprequestbuffer.h"

namespace pocket::test {

struct FakeReply
{
    int status = 200;
    QByteArray body = "{}";
    QByteArray contentType = "application/json";
};

class FakeServicer : public QObject
{
    Q_OBJECT
public:
    using Answer = std::function<FakeReply(const QByteArray& path, const QByteArray& body)>;

    explicit FakeServicer(Answer answer, QObject* parent = nullptr) : QObject(parent), m_answer(std::move(answer))
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = m_server.nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, this, [this, s] { onRead(s); });
                connect(s, &QTcpSocket::disconnected, this, [this, s] {
                    m_buffers.remove(s);
                    s->deleteLater();
                });
            }
        });
        m_server.listen(QHostAddress::LocalHost, 0);
    }
    ~FakeServicer() override
    {
        // The sockets are children of m_server and die after m_buffers: their disconnected() must not reach us.
        for (QTcpSocket* s : m_server.findChildren<QTcpSocket*>()) s->disconnect(this);
    }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()); }
    int requests() const { return m_requests; }

private:
    void onRead(QTcpSocket* s)
    {
        QByteArray& buf = m_buffers[s];
        buf += s->readAll();
        while (const std::optional<BufferedHttpRequest> request = takeHttpRequest(buf)) {
            ++m_requests;
            const FakeReply r = m_answer(request->target, request->body);
            s->write("HTTP/1.1 " + QByteArray::number(r.status) + " X\r\nContent-Type: " + r.contentType
                     + "\r\nContent-Length: " + QByteArray::number(r.body.size()) + "\r\n\r\n" + r.body);
        }
    }

    QTcpServer m_server;
    Answer m_answer;
    QHash<QTcpSocket*, QByteArray> m_buffers;
    int m_requests = 0;
};

} // namespace pocket::test
