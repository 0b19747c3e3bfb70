#pragma once
// Route table of one server thread, with the automatic answers of the reference's router (PROTOCOL §6:
// julienschmidt/httprouter defaults): trailing-slash and fixed-path redirects (301 for GET, 307
// otherwise), automatic OPTIONS (200, empty body, Allow), 405 with Allow, 404 "404 page not found".
// Owned by its server thread; filled during ServerThreadContext setup and read-only afterwards.
#include <QByteArray>
#include <QHash>
#include <QList>
#include <functional>

#include "server/responder.h"
#include "server/serverrequest.h"

namespace pocket {

// Runs in the server thread that accepted the connection. The handler owns `request`; it answers through
// `responder` now or later (see responder.h).
using HttpHandler = std::function<void(ServerRequest request, Responder responder)>;

class HttpRouter
{
public:
    void add(const QByteArray& method, const QByteArray& path, HttpHandler handler);
    // Every path that starts with `prefix` (longest prefix wins; exact routes win over prefixes).
    void addPrefix(const QByteArray& method, const QByteArray& prefix, HttpHandler handler);
    // Called instead of the 404 answer for paths no route knows (405/OPTIONS still come first).
    void setFallback(HttpHandler handler) { m_fallback = std::move(handler); }

    // Runs the matching handler, or the automatic answer.
    void dispatch(ServerRequest request, Responder responder) const;

    // Methods allowed on `path` as the reference's Allow header lists them: sorted, with OPTIONS added;
    // empty when no route has this path.
    QByteArray allowedMethods(const QByteArray& path, const QByteArray& exceptMethod = {}) const;

private:
    struct MethodHandler
    {
        QByteArray method;
        HttpHandler handler;
    };
    using MethodTable = QList<MethodHandler>;
    struct PrefixRoute
    {
        QByteArray prefix;
        MethodTable methods;
    };

    static const HttpHandler* find(const MethodTable& table, const QByteArray& method);
    const MethodTable* tableFor(const QByteArray& path) const;
    const HttpHandler* handlerFor(const QByteArray& method, const QByteArray& path) const;
    // httprouter's RedirectTrailingSlash / RedirectFixedPath: the path to redirect to, or empty.
    QByteArray redirectPath(const QByteArray& method, const QByteArray& path) const;

    QHash<QByteArray, MethodTable> m_exact;
    QList<PrefixRoute> m_prefixes; // sorted by descending prefix length
    HttpHandler m_fallback;
};

// Go's path.Clean as httprouter's CleanPath uses it ("/a//b/../c" -> "/a/c").
QByteArray cleanUrlPath(const QByteArray& path);

} // namespace pocket
