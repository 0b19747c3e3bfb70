#include "metrics/metricsserver.h"

#include <QLoggingCategory>
#include <QPointer>

#include "config/meshconfig.h"
#include "metrics/meshmetrics.h"
#include "metrics/prometheustext.h"
#include "server/meshhttpserver.h"

Q_DECLARE_LOGGING_CATEGORY(lcMetrics)

namespace pocket {

struct MetricsServer::Shared
{
    std::atomic<int> inFlight{0}; // scrapes admitted and not yet answered (server thread and metrics thread)
    int maxInFlight = 3;
};

Result<MetricsServerOptions> MetricsServerOptions::fromConfig(const MeshConfig& config)
{
    MetricsServerOptions o;
    o.maxConcurrentScrapes = int(std::clamp<qint64>(config.prometheusMaxOpenFiles, 0, 1 << 20));
    const QString port = config.pocketPrometheusPort.trimmed();
    if (port.isEmpty()) {
        o.enabled = false;
        return o;
    }
    bool ok = false;
    const uint value = port.toUInt(&ok);
    if (!ok || value > 65535)
        return fail(PocketError::internal(
            QStringLiteral("config: pocket_prometheus_port must be a port number 0..65535 or \"\" (disabled), got \"%1\"")
                .arg(port)));
    o.port = quint16(value);
    return o;
}

MetricsServer::MetricsServer(MeshMetrics* metrics, MetricsServerOptions options)
    : m_metrics(metrics), m_options(std::move(options)), m_shared(std::make_shared<Shared>())
{
    m_shared->maxInFlight = m_options.maxConcurrentScrapes;
}

MetricsServer::~MetricsServer()
{
    stop(0);
}

Result<void> MetricsServer::start()
{
    if (!m_options.enabled || m_server) return {};
    HttpServerOptions options;
    options.address = m_options.address;
    options.port = m_options.port;
    options.threads = 1;
    options.maxBodyBytes = 65536;
    options.handlerTimeoutMs = 30000; // a control thread stuck that long gets the 503, not a hung scrape
    options.readHeaderTimeoutMs = 10000;
    options.readTimeoutMs = 10000;
    options.writeTimeoutMs = 30000;
    options.idleTimeoutMs = 60000;

    QPointer<MeshMetrics> weak(m_metrics);
    auto shared = m_shared;
    auto handler = [weak, shared](ServerRequest request, Responder responder) {
        Q_UNUSED(request);
        // Every path and method serves the metrics, like promhttp mounted without a mux (PROTOCOL §11).
        MeshMetrics* metrics = weak.data(); // only dereferenced in its own thread below, or its thread-safe API
        if (!metrics) {
            responder.send(503, {}, QByteArrayLiteral("metrics are not available\n"));
            return;
        }
        if (shared->maxInFlight > 0 && shared->inFlight.fetch_add(1) >= shared->maxInFlight) {
            shared->inFlight.fetch_sub(1);
            metrics->recordScrapeStarted();
            metrics->recordScrapeFinished(503);
            // promhttp's MaxRequestsInFlight answer.
            responder.send(503, {{"Content-Type", "text/plain; charset=utf-8"}},
                           QByteArrayLiteral("Limit of concurrent requests reached (")
                               + QByteArray::number(shared->maxInFlight) + QByteArrayLiteral("), try again later.\n"));
            return;
        }
        if (shared->maxInFlight <= 0) shared->inFlight.fetch_add(1);
        metrics->recordScrapeStarted();
        // Rendered in the metrics' (control) thread; the Responder may be answered from there. If the metrics
        // object goes away first, the responder's last copy answers 500 (Responder contract).
        metrics->scrape([responder, shared, metrics](QByteArray text) {
            shared->inFlight.fetch_sub(1);
            metrics->recordScrapeFinished(200); // runs in the metrics' thread: it is alive
            responder.send(200, {{"Content-Type", metrics::kExpositionContentType}}, std::move(text));
        });
    };
    m_server = std::make_unique<MeshHttpServer>(options, [handler](ServerThreadContext& ctx) { ctx.fallback(handler); });
    if (auto listening = m_server->listen(); !listening) {
        m_server.reset();
        return fail(PocketError::internal(QStringLiteral("metrics (pocket_prometheus_port): ") + listening.error().message));
    }
    qCInfo(lcMetrics).noquote() << "Prometheus metrics on port" << m_server->port();
    return {};
}

void MetricsServer::stop(int graceMs)
{
    if (!m_server) return;
    m_server->stop(graceMs);
    m_server.reset();
}

bool MetricsServer::isRunning() const
{
    return m_server && m_server->isListening();
}

quint16 MetricsServer::port() const
{
    return m_server ? m_server->port() : 0;
}

} // namespace pocket
