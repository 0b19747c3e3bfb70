#pragma once
// Value types of the outbound HTTP client (HttpClient, httpclient.h): request, response, error.
// Plain values; safe to move between threads.
#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <expected>
#include <utility>

namespace pocket {

// Header fields in wire order; names keep the case they were sent or received with.
using HttpHeaders = QList<std::pair<QByteArray, QByteArray>>;

struct HttpRequest {
    // Sent verbatim (case preserved, PROTOCOL §10.1 step 3); empty means GET (Go). Must be an HTTP token.
    QByteArray method;
    // Raw URL parsed like Go's net/url (HttpUrl): `http` or `https`, optional `user:password@` (sent as
    // Basic auth when no Authorization header is given). A QUrl converts with `toEncoded()`.
    QByteArray url;
    // Written in this order after Host/User-Agent/Connection/Content-Length. Host, Content-Length,
    // Transfer-Encoding and Trailer are ignored (Go); a User-Agent here replaces the client's (an empty
    // one sends none); an Accept-Encoding here disables transparent gzip and the body comes back raw.
    HttpHeaders headers;
    QByteArray body;
    // Whole exchange (connect, TLS, send, headers, body, every redirect hop); 0 = no limit (Go Client.Timeout).
    int timeoutMs = 0;
    // Send `Connection: close` and never reuse the connection (chain_drop_connections, PROTOCOL §10.1 step 6).
    bool closeConnection = false;
    // Go's redirect policy: at most 10 requests in a chain ("stopped after 10 redirects"); 301/302/303
    // turn any method but GET/HEAD into a body-less GET, 307/308 keep method and body (a 307/308 without
    // Location is returned as is). False returns the 3xx response itself.
    bool followRedirects = true;
};

struct HttpResponse {
    int status = 0;
    // Response headers as received, except (like Go) Transfer-Encoding, and Content-Length when chunked;
    // after transparent gzip decoding also without Content-Encoding and Content-Length.
    HttpHeaders headers;
    QByteArray body;
    HttpHeaders trailers; // chunked trailer fields, if any

    // First value of `name` (case-insensitive), or a null QByteArray.
    QByteArray header(QByteArrayView name) const;
};

enum class HttpErrorKind {
    InvalidRequest, // Go http.NewRequest fails: bad method, URL the Go parser rejects (PROTOCOL §10.2 "request build")
    Timeout,        // timeoutMs passed before the final response's headers arrived (Go os.IsTimeout on Do)
    Connect,        // DNS, TCP connect or TLS handshake failed
    Transport,      // everything else Go's Client.Do reports: bad header field, unsupported scheme, connection
                    // closed or malformed response before the final headers, redirect errors
    BodyRead,       // failed after the final headers: truncated body, bad chunk, gzip error, timeout while
                    // reading the body (Go: error from io.ReadAll, PROTOCOL §10.2 "response payload")
    TooLarge,       // response headers over 1 MiB or body over HttpClientOptions::maxResponseBytes
};

// Messages never contain URL userinfo, the URL path or query, or header values.
struct HttpError {
    HttpErrorKind kind;
    QString message;
};

using HttpResult = std::expected<HttpResponse, HttpError>;

// Name of the kind for logs ("timeout", "connect", ...).
QString httpErrorKindName(HttpErrorKind kind);

} // namespace pocket
