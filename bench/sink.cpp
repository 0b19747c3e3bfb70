// bench-sink: a trivial, fast stand-in for a servicer node (PROTOCOL §5.2) that only counts notifications,
// for timing the outbox replay without the servicer's own validation cost. Plain HTTP/1.1 keep-alive on a
// QTcpServer (one thread, no QHttpServer: it must outrun the mesh). Answers
//   POST /v1/private/mesh/relay      200 {"dispatch":null,"error":null,"signature":true}, counted
//   POST /v1/private/mesh/session    200 a dispatch with a large remaining_relays
//   POST /v1/private/mesh/check      200 a CheckResponse (§5.2.4): --height, not starting, not catching up
//   POST …?verify=true               200 like the servicer (§5.2, §9.3 connectivity probes)
//   GET  /count                      {"count","distinct","first_ms","last_ms","target","target_ms",…}
// Ready line on stdout: {"port":N,"url":"http://127.0.0.1:N"}. Timestamps are ms since the epoch.
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QHash>
#include <QTcpServer>
#include <QTcpSocket>
#include <cstdio>
#include <unordered_set>

namespace {

struct Counters
{
    qint64 notifications = 0; // every POST /v1/private/mesh/relay without verify
    qint64 distinct = 0;      // of those, distinct bodies (a retried notification counts once)
    qint64 firstMs = 0, lastMs = 0, targetMs = 0;
    qint64 checks = 0, sessions = 0, verifies = 0, other = 0;
};

class Sink : public QObject
{
public:
    Sink(qint64 height, int blocksPerSession, qint64 target) : m_height(height), m_bps(blocksPerSession), m_target(target)
    {
        m_seen.reserve(size_t(std::max<qint64>(target, 1024)) * 2);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = m_server.nextPendingConnection()) {
                s->setSocketOption(QAbstractSocket::LowDelayOption, 1);
                connect(s, &QTcpSocket::readyRead, this, [this, s] { onData(s); });
                connect(s, &QTcpSocket::disconnected, this, [this, s] {
                    m_buffers.remove(s);
                    s->deleteLater();
                });
            }
        });
    }
    quint16 listen(quint16 port)
    {
        m_server.setMaxPendingConnections(1024);
        return m_server.listen(QHostAddress::LocalHost, port) ? m_server.serverPort() : 0;
    }

private:
    void onData(QTcpSocket* s)
    {
        QByteArray& buf = m_buffers[s];
        buf += s->readAll();
        QByteArray out;
        qsizetype pos = 0;
        for (;;) {
            const qsizetype headerEnd = buf.indexOf("\r\n\r\n", pos);
            if (headerEnd < 0) break;
            const QByteArrayView head(buf.constData() + pos, headerEnd - pos);
            const qsizetype lineEnd = head.indexOf("\r\n");
            const QByteArrayView requestLine = lineEnd < 0 ? head : head.first(lineEnd);
            qint64 length = 0;
            // Content-Length, case-insensitive; the mesh sends no chunked bodies.
            for (qsizetype at = lineEnd; at >= 0 && at < head.size();) {
                const qsizetype next = head.indexOf("\r\n", at + 2);
                const QByteArrayView line = head.sliced(at + 2, (next < 0 ? head.size() : next) - at - 2);
                if (line.size() > 15 && QByteArrayView(line.first(15)).compare("content-length:", Qt::CaseInsensitive) == 0)
                    length = line.sliced(15).trimmed().toLongLong();
                at = next;
            }
            const qsizetype bodyStart = headerEnd + 4;
            if (buf.size() - bodyStart < length) break;
            const QByteArrayView body(buf.constData() + bodyStart, length);
            handle(requestLine, body, out);
            pos = bodyStart + length;
        }
        if (pos > 0) buf.remove(0, pos);
        if (!out.isEmpty()) s->write(out);
        if (buf.isEmpty()) m_buffers.remove(s); // keep the hash small between requests
    }

    static void reply(QByteArray& out, int status, const QByteArray& body)
    {
        out += status == 200 ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 404 Not Found\r\n";
        out += "Content-Type: application/json; charset=utf-8\r\nContent-Length: ";
        out += QByteArray::number(body.size());
        out += "\r\n\r\n";
        out += body;
    }

    void handle(QByteArrayView requestLine, QByteArrayView body, QByteArray& out)
    {
        const qsizetype sp1 = requestLine.indexOf(' ');
        const qsizetype sp2 = requestLine.lastIndexOf(' ');
        const QByteArrayView method = requestLine.first(std::max<qsizetype>(sp1, 0));
        const QByteArrayView target = sp1 >= 0 && sp2 > sp1 ? requestLine.sliced(sp1 + 1, sp2 - sp1 - 1) : QByteArrayView();
        const bool verify = target.contains("verify=true");
        if (method == "POST" && target.startsWith("/v1/private/mesh/relay")) {
            if (verify) {
                ++m_c.verifies;
            } else {
                const qint64 now = QDateTime::currentMSecsSinceEpoch();
                if (!m_c.notifications) m_c.firstMs = now;
                m_c.lastMs = now;
                ++m_c.notifications;
                if (m_seen.insert(qHash(body, 0x9e3779b9)).second && ++m_c.distinct == m_target) m_c.targetMs = now;
            }
            reply(out, 200, QByteArrayLiteral("{\"dispatch\":null,\"error\":null,\"signature\":true}\n"));
        } else if (method == "POST" && target.startsWith("/v1/private/mesh/session")) {
            if (verify) {
                ++m_c.verifies;
                reply(out, 200, QByteArrayLiteral("{\"dispatch\":null,\"error\":null,\"remaining_relays\":0,\"success\":true}\n"));
            } else {
                ++m_c.sessions;
                reply(out, 200,
                      "{\"dispatch\":{\"block_height\":" + QByteArray::number(m_height)
                          + ",\"session\":{\"header\":{},\"key\":\"\",\"nodes\":[]}},\"error\":null,"
                            "\"remaining_relays\":1000000000,\"success\":true}\n");
            }
        } else if (method == "POST" && target.startsWith("/v1/private/mesh/check")) {
            if (verify) {
                ++m_c.verifies;
                reply(out, 200, QByteArrayLiteral("{}\n"));
            } else {
                ++m_c.checks;
                reply(out, 200,
                      "{\"blocks_per_session\":" + QByteArray::number(m_bps)
                          + ",\"chains\":true,\"client_session_sync_allowance\":1,\"error\":null,\"servicers\":true,"
                            "\"status\":{\"height\":"
                          + QByteArray::number(m_height)
                          + ",\"is_catching_up\":false,\"is_starting\":false,\"version\":\"bench-sink\"},"
                            "\"success\":true,\"wrong_chains\":[],\"wrong_servicers\":[]}\n");
            }
        } else if (method == "GET" && target == "/count") {
            QByteArray j = "{\"checks\":" + QByteArray::number(m_c.checks) + ",\"count\":" + QByteArray::number(m_c.notifications)
                + ",\"distinct\":" + QByteArray::number(m_c.distinct) + ",\"first_ms\":" + QByteArray::number(m_c.firstMs)
                + ",\"last_ms\":" + QByteArray::number(m_c.lastMs) + ",\"other\":" + QByteArray::number(m_c.other)
                + ",\"sessions\":" + QByteArray::number(m_c.sessions) + ",\"target\":" + QByteArray::number(m_target)
                + ",\"target_ms\":" + QByteArray::number(m_c.targetMs) + ",\"verifies\":" + QByteArray::number(m_c.verifies)
                + "}\n";
            reply(out, 200, j);
        } else {
            ++m_c.other;
            reply(out, 404, QByteArrayLiteral("{}\n"));
        }
    }

    QTcpServer m_server;
    QHash<QTcpSocket*, QByteArray> m_buffers; // partial requests per connection (main thread only)
    std::unordered_set<size_t> m_seen;        // body hashes of the notifications (main thread only)
    Counters m_c;
    const qint64 m_height;
    const int m_bps;
    const qint64 m_target;
};

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Counting servicer stand-in for the replay benchmark."));
    p.addHelpOption();
    const QCommandLineOption port(QStringList{"port"}, "Port on 127.0.0.1 (0 = a free one).", "n", "0");
    const QCommandLineOption height(QStringList{"height"}, "Block height reported by /check.", "h", "105843");
    const QCommandLineOption bps(QStringList{"blocks-per-session"}, "blocks_per_session reported by /check.", "n", "4");
    const QCommandLineOption target(QStringList{"target"}, "Record the time when this many distinct notifications arrived.", "n", "0");
    for (const auto& o : {port, height, bps, target}) p.addOption(o);
    p.process(app);
    Sink sink(p.value(height).toLongLong(), p.value(bps).toInt(), p.value(target).toLongLong());
    const quint16 bound = sink.listen(quint16(p.value(port).toUInt()));
    if (!bound) {
        std::fprintf(stderr, "bench-sink: cannot listen\n");
        return 2;
    }
    std::printf("{\"port\":%u,\"url\":\"http://127.0.0.1:%u\"}\n", unsigned(bound), unsigned(bound));
    std::fflush(stdout);
    return app.exec();
}
