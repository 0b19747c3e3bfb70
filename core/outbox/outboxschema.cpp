#include "outbox/outboxschema.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>
#include <QVariant>

namespace pocket::outboxschema {

namespace {

// Migration i takes the database from version i to i + 1; version 0 is an empty file.
// Append new steps, never edit a released one.
struct Migration
{
    int toVersion;
    QStringList statements;
};

const QList<Migration>& migrations()
{
    static const QList<Migration> list = {
        {1,
         {
             // Key/value facts about the file; schema_version is the one that matters.
             QStringLiteral("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID"),
             // seq: commit order, the replay cursor; rows are appended at the end of the table b-tree
             // (good locality for 1 KB bodies), proof_hash has its own small unique index (keyed per
             // relay, DECISIONS 4).
             QStringLiteral("CREATE TABLE relays ("
                            " seq INTEGER PRIMARY KEY,"
                            " proof_hash BLOB NOT NULL UNIQUE,"
                            " node_url TEXT NOT NULL,"
                            " servicer_address TEXT NOT NULL,"
                            " chain TEXT NOT NULL,"
                            " app_pub_key TEXT NOT NULL,"
                            " session_height INTEGER NOT NULL,"
                            " created_ms INTEGER NOT NULL,"
                            " body BLOB NOT NULL)"),
             QStringLiteral("PRAGMA application_id = %1").arg(kApplicationId),
         }},
    };
    return list;
}

const QStringList& expectedColumns()
{
    static const QStringList cols = {
        QStringLiteral("seq"),      QStringLiteral("proof_hash"),       QStringLiteral("node_url"),
        QStringLiteral("servicer_address"), QStringLiteral("chain"),    QStringLiteral("app_pub_key"),
        QStringLiteral("session_height"),   QStringLiteral("created_ms"), QStringLiteral("body")};
    return cols;
}

Result<QVariant> scalar(QSqlDatabase& db, const QString& sql)
{
    QSqlQuery q(db);
    if (!q.exec(sql)) return fail(sqlError(sql, errorText(q.lastError())));
    return q.next() ? q.value(0) : QVariant();
}

} // namespace

PocketError sqlError(const QString& what, const QString& sqliteText)
{
    // sdk code 1 (internal): the caller answers the client with an error, never with the cause's details
    // beyond this text, which holds no secret.
    return PocketError{QString::fromLatin1(kCodespaceSdk), 1,
                       QStringLiteral("relay outbox: %1: %2").arg(what, sqliteText.trimmed())};
}

QString errorText(const QSqlError& error)
{
    const QString db = error.databaseText().trimmed();
    return db.isEmpty() ? error.driverText().trimmed() : db;
}

Result<void> createOrMigrate(QSqlDatabase& db)
{
    const auto appId = scalar(db, QStringLiteral("PRAGMA application_id"));
    if (!appId) return fail(appId.error());
    QSqlQuery tables(db);
    if (!tables.exec(QStringLiteral("SELECT name FROM sqlite_master WHERE type = 'table'")))
        return fail(sqlError(QStringLiteral("reading the schema"), errorText(tables.lastError())));
    QStringList names;
    while (tables.next()) names << tables.value(0).toString();
    tables.finish();

    int version = 0;
    if (!names.isEmpty() || appId->toInt() != 0) {
        if (appId->toInt() != kApplicationId || !names.contains(QStringLiteral("meta")))
            return fail(sqlError(QStringLiteral("opening"),
                                 QStringLiteral("the file is an SQLite database but not a pocket-mesh relay "
                                                "outbox; refusing to use it")));
        const auto v = scalar(db, QStringLiteral("SELECT value FROM meta WHERE key = 'schema_version'"));
        if (!v) return fail(v.error());
        bool ok = false;
        version = v->toString().toInt(&ok);
        if (!ok || version < 1)
            return fail(sqlError(QStringLiteral("opening"), QStringLiteral("meta has no valid schema_version")));
    }
    if (version > kVersion)
        return fail(sqlError(QStringLiteral("opening"),
                             QStringLiteral("the outbox was written by a newer pocket-mesh (schema %1, this "
                                            "version knows %2); refusing to change it")
                                 .arg(version)
                                 .arg(kVersion)));

    for (const Migration& m : migrations()) {
        if (m.toVersion <= version) continue;
        if (!db.transaction())
            return fail(sqlError(QStringLiteral("migration BEGIN"), errorText(db.lastError())));
        QSqlQuery q(db);
        for (const QString& sql : m.statements) {
            if (!q.exec(sql)) {
                const QString err = errorText(q.lastError());
                db.rollback();
                return fail(sqlError(QStringLiteral("migration to schema %1").arg(m.toVersion), err));
            }
        }
        q.prepare(QStringLiteral("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)"));
        q.addBindValue(QString::number(m.toVersion));
        if (!q.exec() || !db.commit()) {
            const QString err = q.lastError().isValid() ? errorText(q.lastError()) : errorText(db.lastError());
            db.rollback();
            return fail(sqlError(QStringLiteral("migration to schema %1").arg(m.toVersion), err));
        }
        version = m.toVersion;
    }
    return {};
}

Result<void> verify(QSqlDatabase& db)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("PRAGMA table_info(relays)")))
        return fail(sqlError(QStringLiteral("checking the schema"), errorText(q.lastError())));
    QStringList cols;
    while (q.next()) cols << q.value(1).toString();
    if (cols != expectedColumns())
        return fail(sqlError(QStringLiteral("checking the schema"),
                             QStringLiteral("table relays has columns (%1), expected (%2)")
                                 .arg(cols.join(u','), expectedColumns().join(u','))));

    // The unique index on proof_hash is what makes a repeated store a no-op and remove() fast.
    if (!q.exec(QStringLiteral("PRAGMA index_list(relays)")))
        return fail(sqlError(QStringLiteral("checking the schema"), errorText(q.lastError())));
    QStringList uniqueIndexes;
    while (q.next())
        if (q.value(2).toInt() == 1) uniqueIndexes << q.value(1).toString();
    bool found = false;
    for (const QString& index : std::as_const(uniqueIndexes)) {
        QSqlQuery info(db);
        if (!info.exec(QStringLiteral("PRAGMA index_info(\"%1\")").arg(index))) continue;
        QStringList indexCols;
        while (info.next()) indexCols << info.value(2).toString();
        if (indexCols == QStringList{QStringLiteral("proof_hash")}) found = true;
    }
    if (!found)
        return fail(sqlError(QStringLiteral("checking the schema"),
                             QStringLiteral("table relays has no unique index on proof_hash")));
    return {};
}

} // namespace pocket::outboxschema
