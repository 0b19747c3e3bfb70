// MetricsServer (core/metrics): scrapes over real HTTP on 127.0.0.1 (every path serves the metrics,
// PROTOCOL §11), the concurrent scrape limit (prometheus_max_open_files -> 503), pocket_prometheus_port
// parsing, a port already in use reported as an error.
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <future>
#include <thread>

#include "config/meshconfig.h"
#include "expositionparser.h"
#include "metrics/meshmetrics.h"
#include "metrics/metricsserver.h"
#include "relay/relayhandler.h"
#include "testsupport.h"

using namespace pocket;

namespace {

struct HttpAnswer
{
    int status = 0;
    QByteArray contentType;
    QByteArray body;
};

HttpAnswer get(QNetworkAccessManager& nam, const QString& url)
{
    QNetworkReply* reply = nam.get(QNetworkRequest(QUrl(url)));
    const bool done = test::waitFor([reply] { return reply->isFinished(); }, 10000);
    HttpAnswer a;
    if (done) {
        a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        a.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
        a.body = reply->readAll();
    }
    reply->deleteLater();
    return a;
}

// A blocking HTTP/1.1 GET on its own thread (no event loop): the status line of the answer.
std::future<QByteArray> blockingGet(quint16 port)
{
    return std::async(std::launch::async, [port] {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (!socket.waitForConnected(5000)) return QByteArray("connect failed");
        socket.write("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        socket.waitForBytesWritten(5000);
        QByteArray data;
        while (!data.contains("\r\n") && socket.waitForReadyRead(15000)) data += socket.readAll();
        return data.left(data.indexOf("\r\n"));
    });
}

MeshConfig configWithPort(const QString& port)
{
    MeshConfig c{};
    c.pocketPrometheusPort = port;
    c.prometheusMaxOpenFiles = 3;
    return c;
}

} // namespace

class TestMetricsServer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void optionsFromConfig();
    void scrapeOverHttp();
    void concurrentScrapeLimit();
    void portInUseIsAnError();
    void disabled();
};

void TestMetricsServer::optionsFromConfig()
{
    auto empty = MetricsServerOptions::fromConfig(configWithPort(QString()));
    QVERIFY(empty);
    QVERIFY(!empty->enabled);
    auto normal = MetricsServerOptions::fromConfig(configWithPort(QStringLiteral("8083")));
    QVERIFY(normal);
    QVERIFY(normal->enabled);
    QCOMPARE(normal->port, quint16(8083));
    QCOMPARE(normal->maxConcurrentScrapes, 3);
    auto zero = MetricsServerOptions::fromConfig(configWithPort(QStringLiteral("0")));
    QVERIFY(zero && zero->enabled && zero->port == 0);
    for (const char* bad : {"abc", "70000", "-1", ":8083"}) {
        auto r = MetricsServerOptions::fromConfig(configWithPort(QString::fromLatin1(bad)));
        QVERIFY2(!r, bad);
        QVERIFY(r.error().message.contains(QLatin1String("pocket_prometheus_port")));
    }
}

void TestMetricsServer::scrapeOverHttp()
{
    MeshMetricsOptions o;
    o.moniker = QStringLiteral("scraped");
    MeshMetrics metrics(o);
    RelayEvent e;
    e.chain = "0021";
    e.servicerAddressHex = "aa";
    e.validated = true;
    e.chainStatus = 200;
    e.totalMs = 25;
    e.chainMs = 20;
    for (int i = 0; i < 3; ++i) metrics.recordRelay(e);

    MetricsServerOptions so;
    so.address = QHostAddress::LocalHost;
    so.port = 0;
    MetricsServer server(&metrics, so);
    QVERIFY(server.start());
    QVERIFY(server.isRunning());
    QVERIFY(server.port() != 0);

    QNetworkAccessManager nam;
    const QString base = QStringLiteral("http://127.0.0.1:%1").arg(server.port());
    const HttpAnswer first = get(nam, base + QStringLiteral("/metrics"));
    QCOMPARE(first.status, 200);
    QCOMPARE(first.contentType, QByteArray("text/plain; version=0.0.4; charset=utf-8"));
    const auto p = test::parseExposition(first.body);
    QVERIFY2(p.errors.isEmpty(), qPrintable(p.errors.join(QLatin1Char('\n'))));
    QCOMPARE(p.sum("pocketcore_geo_mesh_relay_count", {{"moniker", "scraped"}, {"chain_id", "0021"}}), 3.0);
    QCOMPARE(p.sum("promhttp_metric_handler_requests_in_flight"), 1.0);

    // Any path serves the metrics (promhttp without a mux); the scrape counter counts the first one.
    const HttpAnswer second = get(nam, base + QStringLiteral("/whatever?x=1"));
    QCOMPARE(second.status, 200);
    const auto q = test::parseExposition(second.body);
    QVERIFY(q.errors.isEmpty());
    QCOMPARE(q.sum("promhttp_metric_handler_requests_total", {{"code", "200"}}), 1.0);
    QCOMPARE(metrics.totals().scrapes, quint64(2));
    server.stop();
    QVERIFY(!server.isRunning());
}

// prometheus_max_open_files: scrapes beyond the limit are answered 503 at once (promhttp MaxRequestsInFlight).
void TestMetricsServer::concurrentScrapeLimit()
{
    MeshMetrics metrics(MeshMetricsOptions{});
    MetricsServerOptions so;
    so.address = QHostAddress::LocalHost;
    so.port = 0;
    so.maxConcurrentScrapes = 1;
    MetricsServer server(&metrics, so);
    QVERIFY(server.start());

    // The scrape is rendered in this (the metrics') thread: while it does not run its event loop, the first
    // scrape stays admitted and unanswered.
    auto first = blockingGet(server.port());
    QElapsedTimer t;
    t.start();
    while (metrics.totals().scrapesInFlight < 1 && t.elapsed() < 10000) QThread::yieldCurrentThread();
    QCOMPARE(metrics.totals().scrapesInFlight, 1);
    auto second = blockingGet(server.port());
    QCOMPARE(second.get(), QByteArray("HTTP/1.1 503 Service Unavailable"));
    QVERIFY(test::waitFor([&] { return first.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }, 10000));
    QCOMPARE(first.get(), QByteArray("HTTP/1.1 200 OK"));
    const auto p = test::parseExposition(metrics.render());
    QVERIFY(p.errors.isEmpty());
    QCOMPARE(p.sum("promhttp_metric_handler_requests_total", {{"code", "503"}}), 1.0);
    QCOMPARE(p.sum("promhttp_metric_handler_requests_total", {{"code", "200"}}), 1.0);
    QCOMPARE(p.sum("promhttp_metric_handler_requests_in_flight"), 0.0);
}

void TestMetricsServer::portInUseIsAnError()
{
    QTcpServer occupier;
    QVERIFY(occupier.listen(QHostAddress::LocalHost, 0));
    MeshMetrics metrics(MeshMetricsOptions{});
    MetricsServerOptions so;
    so.address = QHostAddress::LocalHost;
    so.port = occupier.serverPort();
    MetricsServer server(&metrics, so);
    const auto started = server.start();
    QVERIFY(!started);
    QVERIFY2(started.error().message.contains(QLatin1String("pocket_prometheus_port")), qPrintable(started.error().message));
    QVERIFY2(started.error().message.contains(QString::number(so.port)), qPrintable(started.error().message));
    QVERIFY(!server.isRunning());
    QCOMPARE(server.port(), quint16(0));
}

void TestMetricsServer::disabled()
{
    MeshMetrics metrics(MeshMetricsOptions{});
    auto options = MetricsServerOptions::fromConfig(configWithPort(QStringLiteral("  ")));
    QVERIFY(options);
    MetricsServer server(&metrics, *options);
    QVERIFY(server.start());
    QVERIFY(!server.isRunning());
    QCOMPARE(server.port(), quint16(0));
}

QTEST_GUILESS_MAIN(TestMetricsServer)
#include "tst_metricsserver.moc"
