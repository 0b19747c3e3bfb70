#pragma once
// Shared test fixtures (STYLE 9): a temporary data directory, waitFor(predicate), paths to shared/.
#include <QByteArray>
#include <QJsonDocument>
#include <QString>
#include <QTemporaryDir>
#include <functional>

namespace pocket::test {

// Absolute path below ../shared (spec/vectors/..., tools/pocketjs-client).
QString sharedPath(const QString& relative);
// Absolute path below the build directory (built executables).
QString buildPath(const QString& relative);
// The whole file, or a QTest failure message via the returned empty array and `ok` false.
QByteArray readFile(const QString& path, bool* ok = nullptr);
// Write `data` to dir/relative, creating parent folders.
bool writeFile(const QString& dir, const QString& relative, const QByteArray& data);
// The golden vectors as a JSON document (spec/vectors/pocketjs-vectors.json).
QJsonDocument goldenVectors();

// Runs the event loop until `predicate` holds or `timeoutMs` passes; returns the predicate's last value.
bool waitFor(const std::function<bool()>& predicate, int timeoutMs = 5000);

// A free TCP port on 127.0.0.1 (bind to 0, read, close).
quint16 freePort();

} // namespace pocket::test
