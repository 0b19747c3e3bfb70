#include "server/httprouter.h"

#include <algorithm>

#include "server/httpresponses.h"

namespace pocket {

namespace {

QByteArray htmlEscape(const QByteArray& s)
{
    // Go's html.EscapeString as http.Redirect uses it.
    QByteArray out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '\'': out += "&#39;"; break;
        case '"': out += "&#34;"; break;
        default: out += c;
        }
    }
    return out;
}

QByteArray toggledTrailingSlash(const QByteArray& path)
{
    if (path.size() > 1 && path.endsWith('/')) return path.first(path.size() - 1);
    return path + '/';
}

} // namespace

QByteArray cleanUrlPath(const QByteArray& p)
{
    // Go's path.Clean on a path that is made absolute first (httprouter CleanPath), keeping a trailing
    // slash like httprouter does.
    if (p.isEmpty()) return "/";
    QList<QByteArray> out;
    for (const QByteArray& part : p.split('/')) {
        if (part.isEmpty() || part == ".") continue;
        if (part == "..") {
            if (!out.isEmpty()) out.removeLast();
            continue;
        }
        out.append(part);
    }
    QByteArray result = '/' + out.join('/');
    if (p.endsWith('/') && result.size() > 1) result += '/';
    return result;
}

void HttpRouter::add(const QByteArray& method, const QByteArray& path, HttpHandler handler)
{
    MethodTable& table = m_exact[path];
    table.removeIf([&](const MethodHandler& m) { return m.method == method; });
    table.append({method, std::move(handler)});
}

void HttpRouter::addPrefix(const QByteArray& method, const QByteArray& prefix, HttpHandler handler)
{
    auto it = std::find_if(m_prefixes.begin(), m_prefixes.end(), [&](const PrefixRoute& r) { return r.prefix == prefix; });
    if (it == m_prefixes.end()) {
        m_prefixes.append({prefix, {}});
        std::stable_sort(m_prefixes.begin(), m_prefixes.end(),
                         [](const PrefixRoute& a, const PrefixRoute& b) { return a.prefix.size() > b.prefix.size(); });
        it = std::find_if(m_prefixes.begin(), m_prefixes.end(), [&](const PrefixRoute& r) { return r.prefix == prefix; });
    }
    it->methods.removeIf([&](const MethodHandler& m) { return m.method == method; });
    it->methods.append({method, std::move(handler)});
}

const HttpHandler* HttpRouter::find(const MethodTable& table, const QByteArray& method)
{
    for (const MethodHandler& m : table)
        if (m.method == method) return &m.handler;
    return nullptr;
}

const HttpRouter::MethodTable* HttpRouter::tableFor(const QByteArray& path) const
{
    if (auto it = m_exact.constFind(path); it != m_exact.constEnd()) return &it.value();
    for (const PrefixRoute& r : m_prefixes)
        if (path.startsWith(r.prefix)) return &r.methods;
    return nullptr;
}

const HttpHandler* HttpRouter::handlerFor(const QByteArray& method, const QByteArray& path) const
{
    if (auto it = m_exact.constFind(path); it != m_exact.constEnd())
        if (const HttpHandler* h = find(it.value(), method)) return h;
    for (const PrefixRoute& r : m_prefixes)
        if (path.startsWith(r.prefix))
            if (const HttpHandler* h = find(r.methods, method)) return h;
    return nullptr;
}

QByteArray HttpRouter::allowedMethods(const QByteArray& path, const QByteArray& exceptMethod) const
{
    QList<QByteArray> methods;
    auto collect = [&](const MethodTable& table) {
        for (const MethodHandler& m : table)
            if (m.method != exceptMethod && m.method != "OPTIONS" && !methods.contains(m.method)) methods.append(m.method);
    };
    if (path == "*") {
        for (const MethodTable& t : m_exact) collect(t);
        for (const PrefixRoute& r : m_prefixes) collect(r.methods);
    } else {
        // httprouter asks every method's tree: an exact route and a prefix route may both answer.
        if (auto it = m_exact.constFind(path); it != m_exact.constEnd()) collect(it.value());
        for (const PrefixRoute& r : m_prefixes)
            if (path.startsWith(r.prefix)) collect(r.methods);
    }
    if (methods.isEmpty()) return {};
    methods.append("OPTIONS");
    std::sort(methods.begin(), methods.end());
    return methods.join(", ");
}

QByteArray HttpRouter::redirectPath(const QByteArray& method, const QByteArray& path) const
{
    if (method == "CONNECT" || path == "/") return {};
    const QByteArray toggled = toggledTrailingSlash(path);
    if (handlerFor(method, toggled)) return toggled;
    // Case-insensitive match of the cleaned path, with or without the trailing slash.
    const QByteArray cleaned = cleanUrlPath(path);
    for (const QByteArray& candidate : {cleaned, toggledTrailingSlash(cleaned)}) {
        for (auto it = m_exact.constBegin(); it != m_exact.constEnd(); ++it)
            if (it.key().compare(candidate, Qt::CaseInsensitive) == 0 && find(it.value(), method)) return it.key();
    }
    return {};
}

void HttpRouter::dispatch(ServerRequest request, Responder responder) const
{
    if (const HttpHandler* h = handlerFor(request.method, request.path)) {
        (*h)(std::move(request), std::move(responder));
        return;
    }
    // Go's server answers "OPTIONS *" itself: 200, no body.
    if (request.target == "*") {
        responder.send(200);
        return;
    }
    if (const QByteArray to = redirectPath(request.method, request.path); !to.isEmpty()) {
        const int code = request.method == "GET" ? 301 : 307;
        QByteArray location = to.toPercentEncoding("/!$&'()*+,;=:@~");
        if (!request.rawQuery.isEmpty()) location += '?' + request.rawQuery;
        HttpHeaderList headers{{"Location", location}};
        QByteArray body;
        if (request.method == "GET" || request.method == "HEAD")
            headers.emplace_back("Content-Type", "text/html; charset=utf-8");
        if (request.method == "GET")
            body = "<a href=\"" + htmlEscape(location) + "\">" + http::statusText(code) + "</a>.\n\n";
        responder.send(code, std::move(headers), std::move(body));
        return;
    }
    if (const QByteArray allow = allowedMethods(request.path, request.method); !allow.isEmpty()) {
        if (request.method == "OPTIONS") {
            // Automatic OPTIONS: 200, empty body, only Allow (no CORS, PROTOCOL §2.3).
            responder.send(200, {{"Allow", allow}});
        } else {
            http::sendGoHttpError(responder, 405, "Method Not Allowed", {{"Allow", allow}});
        }
        return;
    }
    if (m_fallback) {
        m_fallback(std::move(request), std::move(responder));
        return;
    }
    http::sendGoHttpError(responder, 404, "404 page not found");
}

} // namespace pocket
