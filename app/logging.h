#pragma once
// Process-wide logging of the mesh binaries: one line per event on stderr (PROTOCOL §12.3: newlines
// flattened), the level from `log_level`, and the latest lines kept in a LogRing for the admin API.
#include <QString>

#include "log/logring.h"

namespace pocket::app {

// The ring every log line also goes to (the admin API's `logs` route reads it).
LogRing& processLogRing();

// Installs the message handler and the category filter for `log_level` (an invalid value was already
// refused by the config loader; it falls back to info here). May be called again (reload).
void installLogging(const QString& logLevel);

} // namespace pocket::app
