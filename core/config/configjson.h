#pragma once
// Reading the data-directory files with Go encoding/json decoding semantics (PROTOCOL §1.2), which is what
// the reference applies to config.json, the key file, auth files and chains.json:
//  * number literals are kept verbatim, so int fields accept only integer literals (no fraction, no exponent,
//    no quotes) and never lose precision;
//  * object members stay in file order with their line, so a decoder can apply duplicates in order (the last
//    wins, like Go) and name the line of a bad value;
//  * keys are matched to fields case-insensitively.
// QJsonDocument cannot do the first two, hence this small reader. Also: bounded file reading and URL checks.
#include "config/configissue.h"

#include <expected>
#include <optional>
#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <utility>

namespace pocket::config {

struct JsonValue
{
    enum class Kind
    {
        Null,
        Bool,
        Number,
        String,
        Array,
        Object
    };

    Kind kind = Kind::Null;
    bool boolean = false;
    QByteArray number; // the literal as written, e.g. "120000", "1.5", "-1e3"
    QString string;
    QList<JsonValue> items;                       // Array
    QList<std::pair<QString, JsonValue>> members; // Object, file order, duplicates kept
    int line = 0;                                 // 1-based line of the value's first character (0 if built)

    bool isNull() const { return kind == Kind::Null; }
    bool isObject() const { return kind == Kind::Object; }
    bool isArray() const { return kind == Kind::Array; }
    bool isString() const { return kind == Kind::String; }

    // The last member whose key matches `name` (exact or case-insensitive, Go field matching), or nullptr.
    const JsonValue* member(QStringView name) const;

    // Builders for dumps.
    static JsonValue fromString(const QString& s);
    static JsonValue fromBool(bool b);
    static JsonValue fromInt(qint64 v);
    static JsonValue makeObject();
    static JsonValue makeArray();
    JsonValue& insert(const QString& key, JsonValue value); // appends a member; returns *this
    JsonValue& append(JsonValue value);                     // appends an item; returns *this
};

// Go's name of a JSON value's type in messages: "string", "number", "bool", "array", "object", "null".
QString jsonTypeName(const JsonValue& v);
// "string \"abc\"", "number 1.5", "bool true", "object", ... for "got ..." in messages. With `secret` only
// the type is shown. Long strings are cut.
QString describeJsonValue(const JsonValue& v, bool secret = false);

struct JsonSyntaxError
{
    QString message; // Go-like: "invalid character 'x' looking for beginning of value"
    int line = 0;    // 1-based
    int column = 0;  // 1-based, in bytes
};

// Strict RFC 8259 JSON, whole input (trailing garbage is an error, a UTF-8 BOM is an error like in Go).
// Invalid UTF-8 inside strings and lone surrogate escapes become U+FFFD, like Go.
std::expected<JsonValue, JsonSyntaxError> parseJson(QByteArrayView text);

// Indented, member order kept, no HTML escaping: for human-readable dumps only (never for hashing).
QByteArray writeJson(const JsonValue& v, int indent = 2);

// Go decoding of one value into a typed field. A JSON null leaves `out` unchanged (Go semantics). On a type
// mismatch returns the message ("expected an integer, got string \"10\""); nullopt on success.
std::optional<QString> decodeString(const JsonValue& v, QString& out, bool secret = false);
std::optional<QString> decodeBool(const JsonValue& v, bool& out);
std::optional<QString> decodeInt64(const JsonValue& v, qint64& out); // integer literal within int64

// ---- files ----

inline constexpr qint64 kMaxDataFileSize = 16 * 1024 * 1024; // no legitimate data-dir file is near this

struct DataFile
{
    enum class Status
    {
        Ok,
        Missing,
        Unreadable
    };
    Status status = Status::Missing;
    QByteArray data;
    QString error; // why it is unreadable ("is a directory, expected a file", "is larger than 16 MiB", ...)
};

// Reads a whole file, refusing directories and files above `maxSize`.
DataFile readDataFile(const QString& path, qint64 maxSize = kMaxDataFileSize);

// Parses `data` (already read from `file`) as JSON. On failure adds an error naming the line and column (or
// "is empty") to `issues` and returns nullopt.
std::optional<JsonValue> parseDataJson(const QByteArray& data, const QString& file, ConfigIssues& issues);

// How `path` is shown in issues: relative to `dataDir` when inside it, else absolute.
QString displayPath(const QString& dataDir, const QString& path);

// PROTOCOL §4.2: every file path is data_dir + "/" + <path from config>. The reference concatenates, so an
// absolute-looking path also ends up below data_dir.
QString resolveDataPath(const QString& dataDir, const QString& relative);

// ---- URLs ----

// nullopt when `url` is an http:// or https:// URL with a host (what Go's http client can call, PROTOCOL
// §13); otherwise what is wrong. Messages show the URL masked.
std::optional<QString> httpUrlProblem(const QString& url);
// The URL with credentials hidden: userinfo -> "***", query values -> "***". Works on unparsable input too.
QString maskUrl(const QString& url);
// The host of a URL without port and brackets (Go url.Hostname(), the default node name, PROTOCOL §4.2).
QString urlHostName(const QString& url);

} // namespace pocket::config
