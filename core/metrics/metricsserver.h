#pragma once
// The Prometheus endpoint on pocket_prometheus_port (PROTOCOL §11): like the reference's promhttp handler,
// every path and method serves the metrics; at most prometheus_max_open_files scrapes at a time, one more
// is answered 503. Runs on the project's MeshHttpServer with one server thread; the text is rendered in
// MeshMetrics' thread (MeshMetrics::scrape).
//
// Create, start() and destroy it in the thread that owns the MeshMetrics (the control thread); destroy it
// before the MeshMetrics.
#include <QHostAddress>
#include <QString>
#include <atomic>
#include <memory>
#include <optional>

#include "util/result.h"

namespace pocket {

class MeshHttpServer;
class MeshMetrics;
struct MeshConfig;

struct MetricsServerOptions
{
    bool enabled = true;
    QHostAddress address = QHostAddress::Any;
    quint16 port = 8083; // 0 = a free port (tests; see MetricsServer::port())
    int maxConcurrentScrapes = 3; // prometheus_max_open_files; <= 0 = unlimited

    // pocket_prometheus_port: "" disables the endpoint; a number 0..65535 is the port (0 = a free port);
    // anything else is an error naming the key. prometheus_max_open_files as maxConcurrentScrapes.
    static Result<MetricsServerOptions> fromConfig(const MeshConfig& config);
};

class MetricsServer
{
public:
    MetricsServer(MeshMetrics* metrics, MetricsServerOptions options);
    ~MetricsServer(); // stop()
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    // Binds and starts serving. Disabled: does nothing and succeeds. A port in use or not allowed is an
    // error ("metrics: cannot listen on 0.0.0.0:8083: ..."), never a crash.
    Result<void> start();
    void stop(int graceMs = 1000);
    bool isRunning() const;
    quint16 port() const; // the bound port (useful with port 0), 0 when not running

private:
    struct Shared; // the scrape counter, shared with the server thread's handler
    MeshMetrics* m_metrics;
    MetricsServerOptions m_options;
    std::shared_ptr<Shared> m_shared;
    std::unique_ptr<MeshHttpServer> m_server;
};

} // namespace pocket
