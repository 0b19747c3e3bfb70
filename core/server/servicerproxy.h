#pragma once
// The public routes the mesh forwards to a servicer node (PROTOCOL §6.1, reference `ProxyRequest` /
// `serveReverseProxy` = Go httputil.ReverseProxy): the request goes to the node of a uniformly random
// loaded servicer key, path joined onto the node URL's path (queries joined with '&'), hop-by-hop headers
// removed both ways, X-Forwarded-For appended, Host rewritten to the node; the node's status, headers and
// body come back.
//
// Departures from the reference (deliberate):
//  - POST /v1/private/stop is NOT proxied (the reference forwards it, so anyone who learns the servicer's
//    auth token — or guesses a weak one — can stop the servicer through the public mesh port).
//  - X-Forwarded-Host carries the incoming Host (the reference sends it empty, PROTOCOL §6.1 [REF]).
//  - Upstream failure answers 502 {"code":502,"message":"..."} (Go's ReverseProxy: 502, empty body); no
//    target answers 503 {"code":503,"message":"no servicer node available"}. Messages never carry the
//    node URL or credentials; the details go to the log (without credentials).
//  - Credentials in the node URL (user:password@) are not sent (Go's director copies only scheme and host).
//
// One ServicerProxy per server thread (created in setupThread, a child of ctx.owner()); it uses that
// thread's HttpClient, which must outlive it. pickTarget is called in the server thread and must be
// thread-safe with respect to whoever updates the servicer list.
#include <QByteArray>
#include <QList>
#include <QObject>
#include <functional>
#include <optional>
#include <utility>

#include "server/meshhttpserver.h"

namespace pocket {

class HttpClient;

struct ServicerProxyOptions
{
    // Whole upstream exchange; the reference has none (Go DefaultTransport), only the handler timeout
    // (client_rpc_timeout) bounds it. 0 = no limit.
    int timeoutMs = 120000;
};

class ServicerProxy : public QObject
{
    Q_OBJECT
public:
    // Base URL of the chosen servicer node (e.g. "http://node1:8081"), or nullopt when none is loaded.
    using TargetPicker = std::function<std::optional<QByteArray>()>;

    ServicerProxy(HttpClient& client, TargetPicker pickTarget, ServicerProxyOptions options = {},
                  QObject* parent = nullptr);

    // Registers every route of proxiedRoutes() on ctx.
    void registerRoutes(ServerThreadContext& ctx);
    // Forwards one request (also usable as a handler on its own).
    void forward(ServerRequest request, Responder responder);

    // (method, path) of every proxied route, PROTOCOL §6.1 minus POST /v1/private/stop.
    static const QList<std::pair<QByteArray, QByteArray>>& proxiedRoutes();
    // Go httputil singleJoiningSlash/joinURLPath + query join: the upstream URL for `request` on `base`;
    // nullopt when `base` is not an absolute http(s) URL.
    static std::optional<QByteArray> upstreamUrl(const QByteArray& base, const ServerRequest& request);
    // The request headers sent upstream (hop-by-hop removed, X-Forwarded-For/-Host set).
    static HttpHeaderList upstreamHeaders(const ServerRequest& request);
    // The response headers passed back (hop-by-hop removed).
    static HttpHeaderList downstreamHeaders(const HttpHeaderList& upstream);

private:
    HttpClient& m_client;
    const TargetPicker m_pickTarget;
    const ServicerProxyOptions m_options;
};

} // namespace pocket
