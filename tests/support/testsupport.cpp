#include "testsupport.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTcpServer>
#include <QThread>

namespace pocket::test {

QString sharedPath(const QString& relative)
{
    const QByteArray env = qgetenv("POCKET_SHARED_DIR");
    const QString base = env.isEmpty() ? QStringLiteral(POCKET_SHARED_DIR) : QString::fromLocal8Bit(env);
    return QDir(base).absoluteFilePath(relative);
}

QString buildPath(const QString& relative)
{
    return QDir(QStringLiteral(POCKET_BUILD_DIR)).absoluteFilePath(relative);
}

QByteArray readFile(const QString& path, bool* ok)
{
    QFile f(path);
    const bool opened = f.open(QIODevice::ReadOnly);
    if (ok) *ok = opened;
    return opened ? f.readAll() : QByteArray();
}

bool writeFile(const QString& dir, const QString& relative, const QByteArray& data)
{
    const QString path = QDir(dir).absoluteFilePath(relative);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return false;
    return f.write(data) == data.size();
}

QJsonDocument goldenVectors()
{
    return QJsonDocument::fromJson(readFile(sharedPath(QStringLiteral("spec/vectors/pocketjs-vectors.json"))));
}

bool waitFor(const std::function<bool()>& predicate, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!predicate()) {
        if (deadline.hasExpired()) return predicate();
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(1);
    }
    return true;
}

quint16 freePort()
{
    QTcpServer s;
    if (!s.listen(QHostAddress::LocalHost, 0)) return 0;
    return s.serverPort();
}

} // namespace pocket::test
