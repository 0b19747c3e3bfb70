#pragma once
// One HTTP request as a route handler sees it: an owned copy, independent of QHttpServer's request
// object (which 6.4 reuses for the next request on the connection, QT64-NOTES).
#include <QByteArray>
#include <QByteArrayView>
#include <QHostAddress>
#include <QList>
#include <QUrlQuery>
#include <utility>

namespace pocket {

// Header lines in received order with their original spelling; names compare case-insensitively.
using HttpHeaderList = QList<std::pair<QByteArray, QByteArray>>;

// First value of header `name` (case-insensitive), empty when absent.
QByteArray headerValue(const HttpHeaderList& headers, QByteArrayView name);
bool hasHeader(const HttpHeaderList& headers, QByteArrayView name);

struct ServerRequest
{
    QByteArray method;     // as received, e.g. "POST" (methods are case-sensitive in HTTP)
    QByteArray target;     // request-target as received, e.g. "/v1/query/height?x=1"
    QByteArray rawPath;    // percent-encoded path part of the target (what a proxy forwards)
    QByteArray path;       // percent-decoded path, the routing key (Go's URL.Path)
    QByteArray rawQuery;   // after '?', without it; empty when absent
    HttpHeaderList headers;
    QByteArray body;       // de-chunked, at most HttpServerOptions::maxBodyBytes
    QHostAddress remoteAddress;
    quint16 remotePort = 0;
    int httpMinorVersion = 1; // HTTP/1.<n>
    int serverThread = 0;     // index of the server thread that accepted the connection

    QByteArray header(QByteArrayView name) const { return headerValue(headers, name); }
    QUrlQuery query() const;
};

} // namespace pocket
