#pragma once
// Schema of the relay outbox database, its version and its migrations (docs/outbox.md).
// Used only in the outbox worker thread (the thread that owns the connection).
#include <QSqlDatabase>
#include <QSqlError>
#include <QString>

#include "util/result.h"

namespace pocket::outboxschema {

// Bumped by every migration; stored in meta(schema_version).
inline constexpr int kVersion = 1;
// PRAGMA application_id of an outbox file ("PMOB"): tells our files from any other SQLite file.
inline constexpr qint32 kApplicationId = 0x504D4F42;

// The failure of one statement as a readable message: "relay outbox: <what>: <SQLite text>".
PocketError sqlError(const QString& what, const QString& sqliteText);
// SQLite's own words for an error ("database or disk is full"), without Qt's "Unable to fetch row".
QString errorText(const QSqlError& error);

// Creates the schema in an empty database, or migrates an older one to kVersion (one transaction per
// step); refuses a file that is not an outbox or was written by a newer version.
Result<void> createOrMigrate(QSqlDatabase& db);

// The relays table has exactly the expected columns and the unique proof_hash index.
Result<void> verify(QSqlDatabase& db);

} // namespace pocket::outboxschema
