#include "logging.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QMutex>
#include <atomic>
#include <cstdio>

#include "config/meshconfig.h"

namespace pocket::app {

namespace {

std::atomic<int> g_minimumRank{1}; // LogRing::levelRank of the lowest level written

char levelOf(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg: return 'D';
    case QtInfoMsg: return 'I';
    case QtWarningMsg: return 'W';
    case QtCriticalMsg:
    case QtFatalMsg: return 'E';
    }
    return 'E';
}

QMutex g_writeLock; // one whole line per write, never interleaved between threads

void messageHandler(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    LogLine line;
    line.level = levelOf(type);
    if (LogRing::levelRank(line.level) < g_minimumRank.load(std::memory_order_relaxed)) return;
    line.timeMs = QDateTime::currentMSecsSinceEpoch();
    line.category = QString::fromLatin1(context.category ? context.category : "default");
    line.message = singleLine(message);
    const QByteArray out = formatLogLine(line);
    {
        QMutexLocker lock(&g_writeLock);
        fwrite(out.constData(), 1, size_t(out.size()), stderr);
        fflush(stderr);
    }
    processLogRing().append(std::move(line));
}

} // namespace

LogRing& processLogRing()
{
    static LogRing ring(2000);
    return ring;
}

void installLogging(const QString& logLevel)
{
    const auto spec = parseLogLevel(logLevel);
    const LogLevel level = spec ? spec->defaultLevel : LogLevel::Info;
    // The category filter drops disabled levels before a message is even formatted (the hot path logs at
    // debug level); the handler's own minimum also covers the default category.
    QString rules = QStringLiteral("*.debug=false\n");
    int minimum = 1;
    switch (level) {
    case LogLevel::Debug:
        rules += QStringLiteral("pocket.*.debug=true\n");
        minimum = 0;
        break;
    case LogLevel::Info: break;
    case LogLevel::Error: // tendermint's error level: warnings and errors
        rules += QStringLiteral("*.info=false\n");
        minimum = 2;
        break;
    case LogLevel::None:
        rules += QStringLiteral("*.info=false\n*.warning=false\n*.critical=false\n");
        minimum = 4;
        break;
    }
    g_minimumRank = minimum;
    QLoggingCategory::setFilterRules(rules);
    qInstallMessageHandler(messageHandler);
}

} // namespace pocket::app
