#include "startmesh.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

#include "config/datadir.h"
#include "logging.h"
#include "mesh/meshnode.h"
#include "util/threadscheduling.h"

Q_LOGGING_CATEGORY(lcApp, "pocket.app")

namespace pocket::app {

namespace {

int g_signalPipe[2] = {-1, -1};

void onSignal(int sig)
{
    const char c = char(sig);
    [[maybe_unused]] const auto n = ::write(g_signalPipe[1], &c, 1);
}

} // namespace

int runStartMesh(const QString& dataDir, bool simulateRelay, QTextStream& err)
{
    auto loaded = loadDataDirectory(dataDir);
    if (!loaded) {
        for (const ConfigIssue& issue : loaded.error()) err << (issue.isWarning ? "warning: " : "error: ") << issue.toString() << "\n";
        err << "start-mesh: the data directory has errors; run validate-config for the full report\n";
        err.flush();
        return 1;
    }
    installLogging(loaded->config.logLevel);
    for (const ConfigIssue& issue : loaded->warnings) qCWarning(lcApp).noquote() << "config:" << issue.toString();

    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) != 0) {
        err << "start-mesh: cannot create the signal pipe\n";
        return 1;
    }
    QSocketNotifier notifier(g_signalPipe[0], QSocketNotifier::Read);
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    // Reload keys and chains now (PROTOCOL §12.4: the reference reloads on SIGUSR1; SIGHUP is what service
    // managers send). Installed before start() so an early signal does not kill the process; a reload
    // asked for before the node runs is done once it runs.
    sigaction(SIGHUP, &sa, nullptr);
    sigaction(SIGUSR1, &sa, nullptr);

    MeshNodeOptions options;
    options.simulateRelay = simulateRelay;
    options.logRing = &processLogRing();
    MeshNode node(std::move(*loaded), options);
    auto started = node.start();
    if (!started) {
        err << "start-mesh: " << started.error().message << "\n";
        err.flush();
        return 1;
    }
    // The control thread (notifications, session checks, monitors, admin) serves the server threads in the
    // background: it does not preempt them when a queued event wakes it (util/threadscheduling.h).
    if (const QString why = setCurrentThreadClass(ThreadClass::Background); !why.isEmpty())
        qCDebug(lcApp).noquote() << "control thread stays in the default scheduling class:" << why;
    QObject::connect(&notifier, &QSocketNotifier::activated, &node, [&] {
        char sig = 0;
        [[maybe_unused]] const auto n = ::read(g_signalPipe[0], &sig, 1);
        if (sig == SIGHUP || sig == SIGUSR1) {
            const QString name = sig == SIGHUP ? QStringLiteral("SIGHUP") : QStringLiteral("SIGUSR1");
            qCInfo(lcApp).noquote() << name << "received: reloading keys and chains";
            const ReloadReport report = node.reload(name);
            qCInfo(lcApp).noquote() << name << "reload" << (report.ok() ? "done:" : "kept the last good state:")
                              << report.keyCount << "servicer keys," << report.nodeCount << "nodes,"
                              << report.chainCount << "chains" << (report.changed() ? "(changed)" : "(unchanged)");
            return;
        }
        qCInfo(lcApp).noquote() << "signal" << int(sig) << "received: stopping";
        QCoreApplication::quit();
    });
    QObject::connect(&node, &MeshNode::stopRequested, QCoreApplication::instance(), &QCoreApplication::quit,
                     Qt::QueuedConnection);
    const int rc = QCoreApplication::exec();
    node.stop(5000);
    qCInfo(lcApp) << "mesh node stopped";
    return rc;
}

} // namespace pocket::app
