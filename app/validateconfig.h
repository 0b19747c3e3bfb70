#pragma once
#include <QString>
#include <QTextStream>

namespace pocket::app {

// `validate-config --datadir DIR`: loads the data directory exactly as start-mesh would, prints the resolved
// configuration with secrets masked (to `out`) or every error (to `err`). Returns the process exit code:
// 0 when valid (warnings allowed), 1 when any error was found.
int runValidateConfig(const QString& dataDir, QTextStream& out, QTextStream& err);

} // namespace pocket::app
