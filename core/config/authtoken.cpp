#include "config/authtoken.h"

#include "config/configjson.h"

#include <QRegularExpression>
#include <QTimeZone>

namespace pocket {

using config::JsonValue;

namespace {

QString emptyTokenAdvice(AuthTokenRole role, const QString& path)
{
    if (role == AuthTokenRole::Mesh)
        return QStringLiteral(
                   "the mesh's private admin routes (/v1/private/...) stay closed (DECISIONS 8). To open "
                   "them write {\"Value\": \"<long random token>\", \"Issued\": null} to %1, for example "
                   "with: printf '{\"Value\":\"%s\",\"Issued\":null}' \"$(openssl rand -hex 24)\" > %1")
            .arg(path);
    return QStringLiteral(
               "requests to servicers carry no token and servicers will answer 401. Copy the servicer's "
               "<servicer datadir>/config/auth.json to %1 (the servicer must run with "
               "generate_token_on_start: false, PROTOCOL §4.2)")
        .arg(path);
}

} // namespace

std::optional<QDateTime> parseRfc3339(const QString& text)
{
    // Go 1.20+ Time.UnmarshalJSON parses strictly: upper-case T and Z, two-digit fields, offset hours < 24.
    static const QRegularExpression re(QStringLiteral("^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})"
                                                      "(?:\\.(\\d+))?(?:(Z)|([+-])(\\d{2}):(\\d{2}))$"));
    const auto m = re.match(text);
    if (!m.hasMatch()) return std::nullopt;
    const int year = m.captured(1).toInt(), month = m.captured(2).toInt(), day = m.captured(3).toInt();
    const int hour = m.captured(4).toInt(), minute = m.captured(5).toInt(), second = m.captured(6).toInt();
    const QString fraction = m.captured(7);
    if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return std::nullopt;
    const QDate date(year, month, day);
    if (!date.isValid()) return std::nullopt;
    int offset = 0;
    if (m.captured(8).isEmpty()) {
        const int oh = m.captured(10).toInt(), om = m.captured(11).toInt();
        if (oh > 23 || om > 59) return std::nullopt;
        offset = (oh * 60 + om) * 60 * (m.captured(9) == QLatin1String("-") ? -1 : 1);
    }
    const int ms = fraction.isEmpty() ? 0 : (fraction + QStringLiteral("00")).left(3).toInt();
    const QDateTime out(date, QTime(hour, minute, second, ms), QTimeZone(offset));
    if (!out.isValid()) return std::nullopt;
    return out;
}

ConfigResult<AuthToken> parseAuthToken(const QByteArray& json, const QString& file)
{
    ConfigResult<AuthToken> out;
    out.value.filePresent = true;
    const auto parsed = config::parseDataJson(json, file, out.issues);
    if (!parsed) return out;
    const JsonValue& root = *parsed;
    if (root.isNull()) return out; // Go: null into a struct is a no-op, i.e. an empty token
    if (!root.isObject()) {
        out.issues.error(
            file, {},
            QStringLiteral("expected an object {\"Value\": \"<token>\", \"Issued\": \"<RFC 3339>\"}, "
                           "got %1")
                .arg(config::jsonTypeName(root)),
            root.line);
        return out;
    }
    for (const auto& [name, value] : root.members)
        if (name.compare(QLatin1String("Value"), Qt::CaseInsensitive) != 0 &&
            name.compare(QLatin1String("Issued"), Qt::CaseInsensitive) != 0)
            out.issues.warning(file, name, QStringLiteral("unknown key, ignored (expected Value and Issued)"),
                               value.line);

    if (const JsonValue* v = root.member(u"Value")) {
        if (const auto problem = config::decodeString(*v, out.value.value, true))
            out.issues.error(file, QStringLiteral("Value"), *problem, v->line);
    }
    if (const JsonValue* issued = root.member(u"Issued")) {
        if (issued->isString()) {
            out.value.issued = parseRfc3339(issued->string);
            if (!out.value.issued)
                out.issues.error(
                    file, QStringLiteral("Issued"),
                    QStringLiteral("expected an RFC 3339 time such as \"2022-09-29T00:00:00Z\" or null, "
                                   "got %1")
                        .arg(config::describeJsonValue(*issued)),
                    issued->line);
        } else if (!issued->isNull()) {
            out.issues.error(file, QStringLiteral("Issued"),
                             QStringLiteral("expected an RFC 3339 time string or null, got %1")
                                 .arg(config::describeJsonValue(*issued)),
                             issued->line);
        }
    }
    return out;
}

ConfigResult<AuthToken> loadAuthToken(const QString& path, const QString& file, AuthTokenRole role)
{
    const config::DataFile data = config::readDataFile(path);
    if (data.status == config::DataFile::Status::Missing) {
        // PROTOCOL §4.2 [REF]: a missing file is not an error, the token is empty.
        ConfigResult<AuthToken> out;
        out.issues.warning(file, {}, QStringLiteral("file not found: ") + emptyTokenAdvice(role, path));
        return out;
    }
    if (data.status == config::DataFile::Status::Unreadable) {
        ConfigResult<AuthToken> out;
        out.issues.error(file, {}, data.error);
        return out;
    }
    ConfigResult<AuthToken> out = parseAuthToken(data.data, file);
    if (out.ok() && out.value.value.isEmpty())
        out.issues.warning(file, QStringLiteral("Value"),
                           QStringLiteral("the token is empty: ") + emptyTokenAdvice(role, path));
    return out;
}

} // namespace pocket
