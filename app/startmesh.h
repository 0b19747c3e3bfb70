#pragma once
#include <QString>
#include <QTextStream>

namespace pocket::app {

// `start-mesh --datadir DIR [--simulateRelay]`: loads the data directory, runs the mesh node until SIGINT,
// SIGTERM or /v1/private/mesh/stop, then stops gracefully. Needs a running QCoreApplication.
int runStartMesh(const QString& dataDir, bool simulateRelay, QTextStream& err);

} // namespace pocket::app
