#pragma once
// Request framing for the tests' fake HTTP/1.1 servers (QTcpServer on 127.0.0.1): each socket's bytes are
// appended to a buffer and takeHttpRequest() takes the next whole request off its front. Only Content-Length
// bodies (what the mesh's HttpClient sends, PROTOCOL §10.1); a fake that must see chunked bodies frames them
// itself. The head is kept byte for byte so that tests can check exactly what arrived.
// Header-only so it needs no change to the meshtestsupport library's source list.
#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>
#include <algorithm>
#include <optional>

namespace pocket::test {

// One request as it arrived.
struct BufferedHttpRequest
{
    QByteArray head;    // request line and header lines, up to and including the empty line, as sent
    QByteArray method;  // e.g. POST
    QByteArray target;  // request-target as sent, e.g. /v1/private/mesh/relay?chain=0021
    QByteArray version; // e.g. HTTP/1.1
    QList<QPair<QByteArray, QByteArray>> headers; // in wire order; names as sent, values trimmed
    QByteArray body;

    // Every value of the header `name` (case-insensitive), in wire order.
    QList<QByteArray> headerValues(QByteArrayView name) const
    {
        QList<QByteArray> values;
        for (const auto& h : headers)
            if (h.first.compare(name, Qt::CaseInsensitive) == 0) values.append(h.second);
        return values;
    }
    // The first value of `name`; null when absent.
    QByteArray header(QByteArrayView name) const
    {
        for (const auto& h : headers)
            if (h.first.compare(name, Qt::CaseInsensitive) == 0) return h.second;
        return {};
    }
};

// Takes the next complete request off the front of `buffer` and leaves whatever follows (a pipelined request,
// or part of one) in place; nullopt, with `buffer` untouched, while the head or the body is still incomplete.
// The body is framed by the first Content-Length header (none, or not a number: no body).
inline std::optional<BufferedHttpRequest> takeHttpRequest(QByteArray& buffer)
{
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0) return std::nullopt;
    BufferedHttpRequest r;
    r.head = buffer.left(end + 4);
    const QList<QByteArray> lines = buffer.left(end).split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    r.method = requestLine.value(0);
    r.target = requestLine.value(1);
    r.version = requestLine.value(2);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon > 0) r.headers.append({lines[i].left(colon), lines[i].mid(colon + 1).trimmed()});
    }
    const qsizetype length = std::max<qsizetype>(0, r.header("Content-Length").toLongLong());
    if (buffer.size() < end + 4 + length) return std::nullopt;
    r.body = buffer.mid(end + 4, length);
    buffer.remove(0, end + 4 + length);
    return r;
}

} // namespace pocket::test
