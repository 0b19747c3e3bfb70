#pragma once
// When to reload the key file and chains.json (PROTOCOL §12.4, DECISIONS 9): every keys_hot_reload_interval /
// chains_hot_reload_interval ms (<= 0: off, as the seed's config table says), and soon after either file
// changes on disk. Editors save by writing a temporary file and renaming it over the original, which ends an
// inotify watch on the file itself, so the files' directories are watched too, and the file watches are
// re-armed after each event. Events are debounced: a burst of changes (write + rename + chmod) makes one
// reload. A file whose interval is off is not watched either (the operator turned automatic reloads off);
// MeshNode::reload() (SIGHUP, the admin API) still works. Lives in the control thread.
#include <QFileSystemWatcher>
#include <QObject>
#include <QSet>
#include <QString>
#include <QTimer>

namespace pocket {

struct ReloadWatcherOptions
{
    QString keyFile;    // absolute paths
    QString chainsFile;
    int keysIntervalMs = 180000;   // <= 0: off
    int chainsIntervalMs = 180000; // <= 0: off
    int debounceMs = 250;
};

class ReloadWatcher : public QObject
{
    Q_OBJECT
public:
    explicit ReloadWatcher(ReloadWatcherOptions options, QObject* parent = nullptr);

    void start();
    bool watching(const QString& path) const; // tests: a file or directory is watched

Q_SIGNALS:
    // `keys` / `chains`: which files to look at. `reason`: "timer" or "file change".
    void reloadDue(bool keys, bool chains, const QString& reason);

private:
    void onChange(const QString& path);
    void rearm();

    ReloadWatcherOptions m_options;
    QFileSystemWatcher m_watcher;
    QTimer m_keysTimer;
    QTimer m_chainsTimer;
    QTimer m_debounce;
    bool m_keysChanged = false;   // since the last debounced reload
    bool m_chainsChanged = false;
};

} // namespace pocket
