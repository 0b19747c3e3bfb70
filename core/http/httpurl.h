#pragma once
// A URL parsed and printed the way Go's net/url does it (Go 1.19 `url.Parse`, `URL.RequestURI`,
// `URL.ResolveReference`). The mesh builds chain URLs by string concatenation and Go then decides what
// goes on the wire (PROTOCOL §10.1): spaces and non-ASCII in the path are percent-encoded, the query is
// sent as-is, control characters and malformed `%` escapes in the path are rejected. QUrl "repairs"
// several of these inputs, so HttpClient parses raw bytes with this class instead.
// A value type without shared state; usable from any thread.
#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <expected>

namespace pocket {

class HttpUrl {
public:
    // Go `url.Parse(raw)`: absolute URLs and relative references. The error text follows Go's but never
    // repeats the URL (it may carry credentials or an API key in the path).
    static std::expected<HttpUrl, QString> parse(QByteArrayView raw);

    // Go `u.Parse(ref)`: parses `ref` and resolves it against this URL (redirect Location headers).
    std::expected<HttpUrl, QString> resolve(QByteArrayView ref) const;

    // Go `URL.EscapedPath()`: the original encoding when it is a valid one, else the path re-escaped.
    QByteArray escapedPath() const;
    // Go `URL.RequestURI()`: the request-target of an origin-form request line.
    QByteArray requestUri() const;
    // Host without the port, brackets removed (`[::1]:8080` -> `::1`).
    QByteArray hostname() const;
    // The port digits after the host, or empty.
    QByteArray port() const;
    // Go `URL.String()`; `withUserinfo` false drops `user:password@` (Go's Referer and Redacted use).
    QByteArray toString(bool withUserinfo) const;

    QByteArray scheme;       // lower case; empty for a relative reference
    QByteArray opaque;       // `scheme:opaque` form (no `//`); never usable for a request
    bool hasUser = false;    // userinfo present (possibly empty)
    bool hasPassword = false;
    QByteArray username;     // decoded
    QByteArray password;     // decoded
    QByteArray host;         // decoded host[:port] as written, e.g. `example.com:8080`, `[::1]:80`
    QByteArray path;         // decoded
    QByteArray rawPath;      // Go's encoding hint: the original path when it differs from escape(path)
    bool forceQuery = false; // a bare trailing `?`
    QByteArray rawQuery;     // exactly as given, never re-encoded
    QByteArray fragment;     // decoded; never sent
    QByteArray rawFragment;  // original fragment when it differs from the default escaping

private:
    static std::expected<HttpUrl, QString> parseNoFragment(QByteArrayView raw);
    std::expected<void, QString> setPath(QByteArrayView escaped);
};

} // namespace pocket
