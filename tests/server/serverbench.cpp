// Not a test: serves a trivial route for wrk, either with MeshHttpServer (1..n threads) or with a plain
// QHttpServer 6.4 (one thread, route via QHttpServer::route) as the baseline.
//   serverbench mesh <port> <threads>   |   serverbench qt <port>
// then: wrk -t1 -c64 -d5s http://127.0.0.1:<port>/hello
#include <QCoreApplication>
#include <QHttpServer>
#include <QTcpServer>
#include <cstdio>

#include "server/meshhttpserver.h"

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QByteArray mode = argc > 1 ? QByteArray(argv[1]) : QByteArray("mesh");
    const quint16 port = argc > 2 ? quint16(QByteArray(argv[2]).toUInt()) : 8089;
    const int threads = argc > 3 ? QByteArray(argv[3]).toInt() : 1;
    if (mode == "qt") {
        QHttpServer server;
        server.route("/hello", [] { return QHttpServerResponse("text/plain", "hello"); });
        if (!server.listen(QHostAddress::LocalHost, port)) return 1;
        std::printf("plain QHttpServer on %u\n", port);
        std::fflush(stdout);
        return app.exec();
    }
    pocket::HttpServerOptions o;
    o.address = QHostAddress::LocalHost;
    o.port = port;
    o.threads = threads;
    pocket::MeshHttpServer server(o, [](pocket::ServerThreadContext& ctx) {
        ctx.route("GET", "/hello", [](pocket::ServerRequest, pocket::Responder r) {
            r.send(200, {{"Content-Type", "text/plain"}}, "hello");
        });
    });
    if (auto ok = server.listen(); !ok) {
        std::fprintf(stderr, "%s\n", qPrintable(ok.error().message));
        return 1;
    }
    std::printf("MeshHttpServer on %u with %d thread(s)\n", server.port(), threads);
    std::fflush(stdout);
    return app.exec();
}
