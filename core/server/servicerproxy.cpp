#include "server/servicerproxy.h"

#include <QLoggingCategory>

#include "http/httpclient.h"
#include "http/httpurl.h"
#include "server/httpresponses.h"

Q_DECLARE_LOGGING_CATEGORY(lcHttpServer)

namespace pocket {

namespace {

bool equalsIgnoreCase(QByteArrayView a, QByteArrayView b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

QByteArrayView trimOws(QByteArrayView s)
{
    while (!s.isEmpty() && (s.front() == ' ' || s.front() == '\t')) s = s.sliced(1);
    while (!s.isEmpty() && (s.back() == ' ' || s.back() == '\t')) s.chop(1);
    return s;
}

// Go httputil hopHeaders (Go 1.19).
bool isHopByHop(QByteArrayView name)
{
    static const char* const kHop[] = {"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
                                       "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"};
    for (const char* h : kHop)
        if (equalsIgnoreCase(name, h)) return true;
    return false;
}

// Go removeConnectionHeaders + hop-by-hop removal: also drops every header named in a Connection header.
HttpHeaderList withoutHopByHop(const HttpHeaderList& headers)
{
    QList<QByteArray> named;
    for (const auto& [name, value] : headers) {
        if (!equalsIgnoreCase(name, "Connection")) continue;
        for (const QByteArray& token : value.split(','))
            if (const QByteArrayView t = trimOws(token); !t.isEmpty()) named.append(t.toByteArray());
    }
    HttpHeaderList out;
    out.reserve(headers.size());
    for (const auto& h : headers) {
        if (isHopByHop(h.first)) continue;
        bool listed = false;
        for (const QByteArray& n : named) listed = listed || equalsIgnoreCase(h.first, n);
        if (!listed) out.append(h);
    }
    return out;
}

// Go's clientIP from RemoteAddr: IPv4 (also when mapped into IPv6), IPv6 without brackets or zone.
QByteArray clientIp(const QHostAddress& address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    if (isV4) return QHostAddress(v4).toString().toLatin1();
    QHostAddress plain(address);
    plain.setScopeId({});
    return plain.toString().toLatin1();
}

QByteArray singleJoiningSlash(const QByteArray& a, const QByteArray& b)
{
    const bool aslash = a.endsWith('/');
    const bool bslash = b.startsWith('/');
    if (aslash && bslash) return a + b.sliced(1);
    if (!aslash && !bslash) return a + '/' + b;
    return a + b;
}

} // namespace

ServicerProxy::ServicerProxy(HttpClient& client, TargetPicker pickTarget, ServicerProxyOptions options, QObject* parent)
    : QObject(parent), m_client(client), m_pickTarget(std::move(pickTarget)), m_options(options)
{
}

const QList<std::pair<QByteArray, QByteArray>>& ServicerProxy::proxiedRoutes()
{
    static const QList<std::pair<QByteArray, QByteArray>> routes = [] {
        QList<std::pair<QByteArray, QByteArray>> r;
        r.emplace_back("GET", "/v1");
        r.emplace_back("GET", "/v1/health");
        for (const char* p : {"/v1/client/challenge", "/v1/client/dispatch"}) {
            r.emplace_back("POST", p);
            r.emplace_back("OPTIONS", p);
        }
        // Not /v1/private/stop: see the header.
        for (const char* p : {"/v1/client/rawtx", "/v1/private/chains", "/v1/private/nodes"}) r.emplace_back("POST", p);
        for (const char* q : {"account", "accounts", "accounttxs", "acl", "allparams", "app", "appparams", "apps",
                              "balance", "block", "blocktxs", "daoowner", "height", "node", "nodeclaim",
                              "nodeclaims", "nodeparams", "nodes", "param", "pocketparams", "state", "supply",
                              "supportedchains", "tx", "upgrade", "signinginfo", "unconfirmedtxs", "unconfirmedtx"})
            r.emplace_back("POST", QByteArray("/v1/query/") + q);
        return r;
    }();
    return routes;
}

void ServicerProxy::registerRoutes(ServerThreadContext& ctx)
{
    for (const auto& [method, path] : proxiedRoutes())
        ctx.route(method, path, [this](ServerRequest request, Responder responder) {
            forward(std::move(request), std::move(responder));
        });
}

std::optional<QByteArray> ServicerProxy::upstreamUrl(const QByteArray& base, const ServerRequest& request)
{
    const auto target = HttpUrl::parse(base);
    if (!target || (target->scheme != "http" && target->scheme != "https") || target->host.isEmpty())
        return std::nullopt;
    QByteArray url = target->scheme + "://" + target->host;
    url += singleJoiningSlash(target->escapedPath(), request.rawPath);
    QByteArray query;
    if (target->rawQuery.isEmpty() || request.rawQuery.isEmpty()) query = target->rawQuery + request.rawQuery;
    else query = target->rawQuery + '&' + request.rawQuery;
    if (!query.isEmpty()) url += '?' + query;
    return url;
}

HttpHeaderList ServicerProxy::upstreamHeaders(const ServerRequest& request)
{
    HttpHeaderList out;
    QList<QByteArray> priorForwardedFor;
    bool haveUserAgent = false;
    for (const auto& h : withoutHopByHop(request.headers)) {
        // Host comes from the target URL (reference: req.Host = node host); X-Forwarded-* are rebuilt.
        if (equalsIgnoreCase(h.first, "Host") || equalsIgnoreCase(h.first, "X-Forwarded-Host")) continue;
        if (equalsIgnoreCase(h.first, "X-Forwarded-For")) {
            priorForwardedFor.append(h.second);
            continue;
        }
        haveUserAgent = haveUserAgent || equalsIgnoreCase(h.first, "User-Agent");
        out.append(h);
    }
    // Go's ReverseProxy sends no User-Agent when the client sent none (HttpClient: empty value = none).
    if (!haveUserAgent) out.emplace_back("User-Agent", QByteArray());
    QByteArray forwardedFor = priorForwardedFor.join(", ");
    if (!forwardedFor.isEmpty()) forwardedFor += ", ";
    forwardedFor += clientIp(request.remoteAddress);
    out.emplace_back("X-Forwarded-For", forwardedFor);
    out.emplace_back("X-Forwarded-Host", request.header("Host"));
    return out;
}

HttpHeaderList ServicerProxy::downstreamHeaders(const HttpHeaderList& upstream)
{
    return withoutHopByHop(upstream);
}

void ServicerProxy::forward(ServerRequest request, Responder responder)
{
    const std::optional<QByteArray> base = m_pickTarget ? m_pickTarget() : std::nullopt;
    if (!base) {
        http::sendJsonError(responder, 503, "no servicer node available");
        return;
    }
    const std::optional<QByteArray> url = upstreamUrl(*base, request);
    if (!url) {
        qCWarning(lcHttpServer) << "servicer node URL is not an absolute http(s) URL; cannot proxy";
        http::sendJsonError(responder, 502, "bad gateway: servicer node URL is invalid");
        return;
    }
    HttpRequest out;
    out.method = request.method;
    out.url = *url;
    out.headers = upstreamHeaders(request);
    out.body = std::move(request.body);
    out.timeoutMs = m_options.timeoutMs;
    out.followRedirects = false; // a reverse proxy passes redirects through
    const QByteArray path = request.path;
    m_client.send(std::move(out), this, [responder = std::move(responder), path](HttpResult result) {
        if (!result) {
            // The client's messages carry no userinfo, path, query or header values (httpmessage.h).
            qCWarning(lcHttpServer).noquote() << "proxy" << path << "to servicer node failed:"
                                              << httpErrorKindName(result.error().kind) << result.error().message;
            http::sendJsonError(responder, 502,
                                QByteArray("bad gateway: servicer node request failed (")
                                    + httpErrorKindName(result.error().kind).toUtf8() + ')');
            return;
        }
        responder.send(result->status, downstreamHeaders(result->headers), std::move(result->body));
    });
}

} // namespace pocket
