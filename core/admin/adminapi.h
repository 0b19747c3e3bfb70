#pragma once
// The mesh node's private admin API (PROTOCOL §6.2, issue 5 item 5; docs/admin-api.md): the geo-mesh routes
// /v1/private/mesh/{health,chains,servicers,updatechains,stop} with the reference's methods and bodies, and the
// operator routes under the same prefix (nodes, sessions, outbox, metrics, logs, reload) that the desktop
// dashboard is built on.
//
// Auth (DECISIONS 8): `Authorization: <mesh token>` (the bare token, as the reference). No token configured
// ⇒ every route answers 401; compared in constant time; the received value is never echoed (the reference
// writes it into its 401 body). Unknown routes and wrong methods get the router's 404 / 405 (PROTOCOL §6);
// a bad query parameter gets 400 {"code":400,"message":"..."}.
//
// Threads: registerRoutes() runs in each server thread (MeshHttpServer setup); handlers run there and read
// the backend's thread-safe state directly. Routes that need the control thread (outbox, reload,
// updatechains, stop) post to `control` and answer from there (Responder::send is safe from any thread).
// The AdminApi and the backend outlive the server threads (MeshNode stops the server first).
#include <QByteArray>
#include <QObject>
#include <functional>

#include "admin/adminbackend.h"

namespace pocket {

class ServerThreadContext;
class Responder;
struct ServerRequest;

class AdminApi
{
public:
    static constexpr int kDefaultSessionLimit = 100;
    static constexpr int kMaxSessionLimit = 1000;
    static constexpr int kDefaultLogLines = 200;
    static constexpr int kMaxLogLines = 10000;

    // `token`: the mesh auth token value (empty: the admin routes stay closed). `control`: a QObject of the
    // control thread (the backend's thread for the control-thread methods).
    AdminApi(AdminBackend* backend, QObject* control, QByteArray token);

    void registerRoutes(ServerThreadContext& ctx) const;

    // Constant-time comparison of the bare token (DECISIONS 8).
    bool authorized(const QByteArray& authorizationHeader) const;

private:
    using Handler = void (AdminApi::*)(const ServerRequest&, const Responder&) const;
    void add(ServerThreadContext& ctx, const QByteArray& method, const QByteArray& route, Handler handler) const;
    // Runs `fn` in the control thread; the request is answered 503 if the node is gone.
    void inControl(const Responder& responder, std::function<void()> fn) const;

    void health(const ServerRequest&, const Responder&) const;
    void chains(const ServerRequest&, const Responder&) const;
    void servicers(const ServerRequest&, const Responder&) const;
    void updateChains(const ServerRequest&, const Responder&) const;
    void stop(const ServerRequest&, const Responder&) const;
    void nodes(const ServerRequest&, const Responder&) const;
    void sessions(const ServerRequest&, const Responder&) const;
    void outbox(const ServerRequest&, const Responder&) const;
    void metrics(const ServerRequest&, const Responder&) const;
    void logs(const ServerRequest&, const Responder&) const;
    void reload(const ServerRequest&, const Responder&) const;

    AdminBackend* m_backend;
    QObject* m_control; // lives in the control thread, outlives the server threads
    const QByteArray m_token; // secret: never logged, never echoed
};

} // namespace pocket
