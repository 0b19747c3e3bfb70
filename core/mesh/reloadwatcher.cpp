#include "mesh/reloadwatcher.h"

#include <QFileInfo>

namespace pocket {

namespace {
QString directoryOf(const QString& file) { return QFileInfo(file).absolutePath(); }
} // namespace

ReloadWatcher::ReloadWatcher(ReloadWatcherOptions options, QObject* parent)
    : QObject(parent), m_options(std::move(options)), m_watcher(this), m_keysTimer(this), m_chainsTimer(this),
      m_debounce(this)
{
    m_debounce.setSingleShot(true);
    connect(&m_debounce, &QTimer::timeout, this, [this] {
        rearm();
        const bool keys = m_keysChanged;
        const bool chains = m_chainsChanged;
        m_keysChanged = m_chainsChanged = false;
        if (keys || chains) Q_EMIT reloadDue(keys, chains, QStringLiteral("file change"));
    });
    connect(&m_keysTimer, &QTimer::timeout, this, [this] { Q_EMIT reloadDue(true, false, QStringLiteral("timer")); });
    connect(&m_chainsTimer, &QTimer::timeout, this,
            [this] { Q_EMIT reloadDue(false, true, QStringLiteral("timer")); });
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, &ReloadWatcher::onChange);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, &ReloadWatcher::onChange);
}

void ReloadWatcher::start()
{
    if (m_options.keysIntervalMs > 0) m_keysTimer.start(m_options.keysIntervalMs);
    if (m_options.chainsIntervalMs > 0) m_chainsTimer.start(m_options.chainsIntervalMs);
    rearm();
}

bool ReloadWatcher::watching(const QString& path) const
{
    return m_watcher.files().contains(path) || m_watcher.directories().contains(path);
}

void ReloadWatcher::rearm()
{
    // A file replaced by a rename is a new inode: its old watch is gone, so it is added again here. A file
    // that does not exist (being replaced, or deleted) is found again through its directory.
    QStringList wanted;
    if (m_options.keysIntervalMs > 0) wanted << m_options.keyFile << directoryOf(m_options.keyFile);
    if (m_options.chainsIntervalMs > 0) wanted << m_options.chainsFile << directoryOf(m_options.chainsFile);
    const QStringList files = m_watcher.files();
    const QStringList dirs = m_watcher.directories();
    for (const QString& path : std::as_const(wanted)) {
        if (files.contains(path) || dirs.contains(path) || !QFileInfo::exists(path)) continue;
        m_watcher.addPath(path);
    }
}

void ReloadWatcher::onChange(const QString& path)
{
    // A directory event does not say which entry changed: it may concern either file in it.
    const bool keysDir = m_options.keysIntervalMs > 0
                         && (path == m_options.keyFile || path == directoryOf(m_options.keyFile));
    const bool chainsDir = m_options.chainsIntervalMs > 0
                           && (path == m_options.chainsFile || path == directoryOf(m_options.chainsFile));
    m_keysChanged = m_keysChanged || keysDir;
    m_chainsChanged = m_chainsChanged || chainsDir;
    if (keysDir || chainsDir) m_debounce.start(m_options.debounceMs);
}

} // namespace pocket
