#include "config/configjson.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QUrl>

namespace pocket::config {

namespace {

// Go's encoding/json nests up to 10000 levels; data-dir files are shallow, and a low limit keeps the
// recursive parser far from the stack limit even under ASan.
constexpr int kMaxDepth = 512;

QString charForMessage(char c)
{
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return QStringLiteral("'%1'").arg(QLatin1Char(c));
    return QStringLiteral("byte 0x%1").arg(u, 2, 16, QLatin1Char('0'));
}

void appendUtf8(QByteArray& out, char32_t cp)
{
    if (cp < 0x80) {
        out.append(char(cp));
    } else if (cp < 0x800) {
        out.append(char(0xc0 | (cp >> 6)));
        out.append(char(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        out.append(char(0xe0 | (cp >> 12)));
        out.append(char(0x80 | ((cp >> 6) & 0x3f)));
        out.append(char(0x80 | (cp & 0x3f)));
    } else {
        out.append(char(0xf0 | (cp >> 18)));
        out.append(char(0x80 | ((cp >> 12) & 0x3f)));
        out.append(char(0x80 | ((cp >> 6) & 0x3f)));
        out.append(char(0x80 | (cp & 0x3f)));
    }
}

int hexDigit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

class Parser
{
public:
    explicit Parser(QByteArrayView text) : m_t(text) {}

    std::expected<JsonValue, JsonSyntaxError> run()
    {
        if (m_t.startsWith("\xEF\xBB\xBF"))
            return std::unexpected(JsonSyntaxError{
                QStringLiteral("the file starts with a UTF-8 byte order mark (BOM), which Go's JSON decoder "
                               "rejects; save it as UTF-8 without BOM"),
                1, 1});
        JsonValue v;
        skipWs();
        if (!parseValue(v, 0)) return std::unexpected(*m_err);
        skipWs();
        if (m_pos < m_t.size()) {
            fail(
                QStringLiteral("invalid character %1 after top-level value").arg(charForMessage(m_t[m_pos])));
            return std::unexpected(*m_err);
        }
        return v;
    }

private:
    bool atEnd() const { return m_pos >= m_t.size(); }

    bool fail(const QString& message)
    {
        if (!m_err) m_err = JsonSyntaxError{message, m_line, int(m_pos - m_lineStart) + 1};
        return false;
    }

    bool failEnd() { return fail(QStringLiteral("unexpected end of JSON input")); }

    void skipWs()
    {
        while (m_pos < m_t.size()) {
            const char c = m_t[m_pos];
            if (c == '\n') {
                ++m_pos;
                ++m_line;
                m_lineStart = m_pos;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                ++m_pos;
            } else {
                break;
            }
        }
    }

    bool parseValue(JsonValue& out, int depth)
    {
        if (atEnd()) return failEnd();
        if (depth > kMaxDepth) return fail(QStringLiteral("nesting deeper than %1 levels").arg(kMaxDepth));
        out.line = m_line;
        const char c = m_t[m_pos];
        switch (c) {
        case '{':
            return parseObject(out, depth);
        case '[':
            return parseArray(out, depth);
        case '"':
            out.kind = JsonValue::Kind::String;
            return parseString(out.string);
        case 't':
            out.kind = JsonValue::Kind::Bool;
            out.boolean = true;
            return parseLiteral("true");
        case 'f':
            out.kind = JsonValue::Kind::Bool;
            out.boolean = false;
            return parseLiteral("false");
        case 'n':
            out.kind = JsonValue::Kind::Null;
            return parseLiteral("null");
        default:
            if (c == '-' || isDigit(c)) {
                out.kind = JsonValue::Kind::Number;
                return parseNumber(out.number);
            }
            return fail(
                QStringLiteral("invalid character %1 looking for beginning of value").arg(charForMessage(c)));
        }
    }

    bool parseLiteral(const char* word)
    {
        for (const char* p = word; *p; ++p, ++m_pos) {
            if (atEnd()) return failEnd();
            if (m_t[m_pos] != *p)
                return fail(
                    QStringLiteral("invalid character %1 in literal %2 (expecting '%3')")
                        .arg(charForMessage(m_t[m_pos]), QLatin1String(word), QString(QLatin1Char(*p))));
        }
        return true;
    }

    bool parseNumber(QByteArray& out)
    {
        const qsizetype start = m_pos;
        if (m_t[m_pos] == '-') ++m_pos;
        if (atEnd()) return failEnd();
        if (m_t[m_pos] == '0') {
            ++m_pos;
        } else if (isDigit(m_t[m_pos])) {
            while (!atEnd() && isDigit(m_t[m_pos]))
                ++m_pos;
        } else {
            return fail(
                QStringLiteral("invalid character %1 in numeric literal").arg(charForMessage(m_t[m_pos])));
        }
        if (!atEnd() && m_t[m_pos] == '.') {
            ++m_pos;
            if (atEnd()) return failEnd();
            if (!isDigit(m_t[m_pos]))
                return fail(QStringLiteral("invalid character %1 after decimal point in numeric literal")
                                .arg(charForMessage(m_t[m_pos])));
            while (!atEnd() && isDigit(m_t[m_pos]))
                ++m_pos;
        }
        if (!atEnd() && (m_t[m_pos] == 'e' || m_t[m_pos] == 'E')) {
            ++m_pos;
            if (!atEnd() && (m_t[m_pos] == '+' || m_t[m_pos] == '-')) ++m_pos;
            if (atEnd()) return failEnd();
            if (!isDigit(m_t[m_pos]))
                return fail(QStringLiteral("invalid character %1 in exponent of numeric literal")
                                .arg(charForMessage(m_t[m_pos])));
            while (!atEnd() && isDigit(m_t[m_pos]))
                ++m_pos;
        }
        out = m_t.sliced(start, m_pos - start).toByteArray();
        return true;
    }

    bool parseHex4(char32_t& out)
    {
        out = 0;
        for (int i = 0; i < 4; ++i, ++m_pos) {
            if (atEnd()) return failEnd();
            const int d = hexDigit(m_t[m_pos]);
            if (d < 0)
                return fail(QStringLiteral("invalid character %1 in \\u hexadecimal character escape")
                                .arg(charForMessage(m_t[m_pos])));
            out = out << 4 | char32_t(d);
        }
        return true;
    }

    bool parseString(QString& out)
    {
        ++m_pos; // opening quote
        QByteArray buf;
        while (true) {
            if (atEnd()) return failEnd();
            const char c = m_t[m_pos];
            if (c == '"') {
                ++m_pos;
                break;
            }
            if (static_cast<unsigned char>(c) < 0x20)
                return fail(QStringLiteral("invalid character %1 in string literal").arg(charForMessage(c)));
            if (c != '\\') {
                buf.append(c);
                ++m_pos;
                continue;
            }
            ++m_pos;
            if (atEnd()) return failEnd();
            const char e = m_t[m_pos++];
            switch (e) {
            case '"':
                buf.append('"');
                break;
            case '\\':
                buf.append('\\');
                break;
            case '/':
                buf.append('/');
                break;
            case 'b':
                buf.append('\b');
                break;
            case 'f':
                buf.append('\f');
                break;
            case 'n':
                buf.append('\n');
                break;
            case 'r':
                buf.append('\r');
                break;
            case 't':
                buf.append('\t');
                break;
            case 'u': {
                char32_t cp = 0;
                if (!parseHex4(cp)) return false;
                if (cp >= 0xd800 && cp < 0xdc00) {
                    // A high surrogate combines only with an immediately following low surrogate escape;
                    // otherwise it becomes U+FFFD and the next escape is decoded on its own (Go).
                    if (m_pos + 1 < m_t.size() && m_t[m_pos] == '\\' && m_t[m_pos + 1] == 'u') {
                        const qsizetype save = m_pos;
                        m_pos += 2;
                        char32_t lo = 0;
                        if (!parseHex4(lo)) return false;
                        if (lo >= 0xdc00 && lo < 0xe000) {
                            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        } else {
                            m_pos = save;
                            cp = 0xfffd;
                        }
                    } else {
                        cp = 0xfffd;
                    }
                } else if (cp >= 0xdc00 && cp < 0xe000) {
                    cp = 0xfffd;
                }
                appendUtf8(buf, cp);
                break;
            }
            default:
                --m_pos;
                return fail(
                    QStringLiteral("invalid character %1 in string escape code").arg(charForMessage(e)));
            }
        }
        // fromUtf8 replaces invalid sequences with U+FFFD, as Go does.
        out = QString::fromUtf8(buf);
        return true;
    }

    bool parseArray(JsonValue& out, int depth)
    {
        out.kind = JsonValue::Kind::Array;
        ++m_pos;
        skipWs();
        if (atEnd()) return failEnd();
        if (m_t[m_pos] == ']') {
            ++m_pos;
            return true;
        }
        while (true) {
            JsonValue item;
            skipWs();
            if (!parseValue(item, depth + 1)) return false;
            out.items.append(std::move(item));
            skipWs();
            if (atEnd()) return failEnd();
            const char c = m_t[m_pos];
            if (c == ',') {
                ++m_pos;
                continue;
            }
            if (c == ']') {
                ++m_pos;
                return true;
            }
            return fail(QStringLiteral("invalid character %1 after array element").arg(charForMessage(c)));
        }
    }

    bool parseObject(JsonValue& out, int depth)
    {
        out.kind = JsonValue::Kind::Object;
        ++m_pos;
        skipWs();
        if (atEnd()) return failEnd();
        if (m_t[m_pos] == '}') {
            ++m_pos;
            return true;
        }
        while (true) {
            skipWs();
            if (atEnd()) return failEnd();
            if (m_t[m_pos] != '"')
                return fail(QStringLiteral("invalid character %1 looking for beginning of object key string")
                                .arg(charForMessage(m_t[m_pos])));
            QString key;
            if (!parseString(key)) return false;
            skipWs();
            if (atEnd()) return failEnd();
            if (m_t[m_pos] != ':')
                return fail(
                    QStringLiteral("invalid character %1 after object key").arg(charForMessage(m_t[m_pos])));
            ++m_pos;
            skipWs();
            JsonValue value;
            if (!parseValue(value, depth + 1)) return false;
            out.members.append({std::move(key), std::move(value)});
            skipWs();
            if (atEnd()) return failEnd();
            const char c = m_t[m_pos];
            if (c == ',') {
                ++m_pos;
                continue;
            }
            if (c == '}') {
                ++m_pos;
                return true;
            }
            return fail(
                QStringLiteral("invalid character %1 after object key:value pair").arg(charForMessage(c)));
        }
    }

    QByteArrayView m_t;
    qsizetype m_pos = 0;
    int m_line = 1;
    qsizetype m_lineStart = 0;
    std::optional<JsonSyntaxError> m_err;
};

void writeString(QByteArray& out, const QString& s)
{
    out.append('"');
    const QByteArray utf8 = s.toUtf8();
    for (const char c : utf8) {
        switch (c) {
        case '"':
            out.append("\\\"");
            break;
        case '\\':
            out.append("\\\\");
            break;
        case '\n':
            out.append("\\n");
            break;
        case '\r':
            out.append("\\r");
            break;
        case '\t':
            out.append("\\t");
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20)
                out.append(QByteArray("\\u00") +
                           QByteArray::number(static_cast<unsigned char>(c), 16).rightJustified(2, '0'));
            else
                out.append(c);
        }
    }
    out.append('"');
}

void writeValue(QByteArray& out, const JsonValue& v, int indent, int level)
{
    const QByteArray pad(indent * (level + 1), ' ');
    const QByteArray closePad(indent * level, ' ');
    switch (v.kind) {
    case JsonValue::Kind::Null:
        out.append("null");
        break;
    case JsonValue::Kind::Bool:
        out.append(v.boolean ? "true" : "false");
        break;
    case JsonValue::Kind::Number:
        out.append(v.number);
        break;
    case JsonValue::Kind::String:
        writeString(out, v.string);
        break;
    case JsonValue::Kind::Array:
        if (v.items.isEmpty()) {
            out.append("[]");
            break;
        }
        out.append("[\n");
        for (qsizetype i = 0; i < v.items.size(); ++i) {
            out.append(pad);
            writeValue(out, v.items[i], indent, level + 1);
            out.append(i + 1 < v.items.size() ? ",\n" : "\n");
        }
        out.append(closePad).append(']');
        break;
    case JsonValue::Kind::Object:
        if (v.members.isEmpty()) {
            out.append("{}");
            break;
        }
        out.append("{\n");
        for (qsizetype i = 0; i < v.members.size(); ++i) {
            out.append(pad);
            writeString(out, v.members[i].first);
            out.append(": ");
            writeValue(out, v.members[i].second, indent, level + 1);
            out.append(i + 1 < v.members.size() ? ",\n" : "\n");
        }
        out.append(closePad).append('}');
        break;
    }
}

} // namespace

const JsonValue* JsonValue::member(QStringView name) const
{
    const JsonValue* found = nullptr;
    for (const auto& [key, value] : members)
        if (key.compare(name, Qt::CaseInsensitive) == 0) found = &value;
    return found;
}

JsonValue JsonValue::fromString(const QString& s)
{
    JsonValue v;
    v.kind = Kind::String;
    v.string = s;
    return v;
}

JsonValue JsonValue::fromBool(bool b)
{
    JsonValue v;
    v.kind = Kind::Bool;
    v.boolean = b;
    return v;
}

JsonValue JsonValue::fromInt(qint64 n)
{
    JsonValue v;
    v.kind = Kind::Number;
    v.number = QByteArray::number(n);
    return v;
}

JsonValue JsonValue::makeObject()
{
    JsonValue v;
    v.kind = Kind::Object;
    return v;
}

JsonValue JsonValue::makeArray()
{
    JsonValue v;
    v.kind = Kind::Array;
    return v;
}

JsonValue& JsonValue::insert(const QString& key, JsonValue value)
{
    members.append({key, std::move(value)});
    return *this;
}

JsonValue& JsonValue::append(JsonValue value)
{
    items.append(std::move(value));
    return *this;
}

QString jsonTypeName(const JsonValue& v)
{
    switch (v.kind) {
    case JsonValue::Kind::Null:
        return QStringLiteral("null");
    case JsonValue::Kind::Bool:
        return QStringLiteral("bool");
    case JsonValue::Kind::Number:
        return QStringLiteral("number");
    case JsonValue::Kind::String:
        return QStringLiteral("string");
    case JsonValue::Kind::Array:
        return QStringLiteral("array");
    case JsonValue::Kind::Object:
        return QStringLiteral("object");
    }
    return {};
}

QString describeJsonValue(const JsonValue& v, bool secret)
{
    if (secret) return jsonTypeName(v);
    switch (v.kind) {
    case JsonValue::Kind::Bool:
        return v.boolean ? QStringLiteral("bool true") : QStringLiteral("bool false");
    case JsonValue::Kind::Number: {
        QString n = QString::fromLatin1(v.number);
        if (n.size() > 40) n = n.left(40) + QStringLiteral("...");
        return QStringLiteral("number ") + n;
    }
    case JsonValue::Kind::String: {
        QString s = v.string;
        if (s.size() > 40) s = s.left(40) + QStringLiteral("...");
        QByteArray quoted;
        writeString(quoted, s);
        return QStringLiteral("string ") + QString::fromUtf8(quoted);
    }
    default:
        return jsonTypeName(v);
    }
}

std::expected<JsonValue, JsonSyntaxError> parseJson(QByteArrayView text)
{
    if (text.trimmed().isEmpty())
        return std::unexpected(JsonSyntaxError{QStringLiteral("unexpected end of JSON input"), 1, 1});
    return Parser(text).run();
}

QByteArray writeJson(const JsonValue& v, int indent)
{
    QByteArray out;
    writeValue(out, v, indent, 0);
    out.append('\n');
    return out;
}

std::optional<QString> decodeString(const JsonValue& v, QString& out, bool secret)
{
    if (v.kind == JsonValue::Kind::Null) return std::nullopt;
    if (v.kind != JsonValue::Kind::String)
        return QStringLiteral("expected a string, got %1").arg(describeJsonValue(v, secret));
    out = v.string;
    return std::nullopt;
}

std::optional<QString> decodeBool(const JsonValue& v, bool& out)
{
    if (v.kind == JsonValue::Kind::Null) return std::nullopt;
    if (v.kind != JsonValue::Kind::Bool)
        return QStringLiteral("expected true or false, got %1").arg(describeJsonValue(v));
    out = v.boolean;
    return std::nullopt;
}

std::optional<QString> decodeInt64(const JsonValue& v, qint64& out)
{
    if (v.kind == JsonValue::Kind::Null) return std::nullopt;
    if (v.kind != JsonValue::Kind::Number)
        return QStringLiteral("expected an integer, got %1").arg(describeJsonValue(v));
    // Go decodes ints with strconv.ParseInt on the literal: no fraction, no exponent (PROTOCOL §1.2).
    if (v.number.contains('.') || v.number.contains('e') || v.number.contains('E'))
        return QStringLiteral("expected an integer, got %1").arg(describeJsonValue(v));
    bool ok = false;
    const qint64 n = v.number.toLongLong(&ok);
    if (!ok)
        return QStringLiteral("expected an integer that fits in 64 bits, got %1").arg(describeJsonValue(v));
    out = n;
    return std::nullopt;
}

DataFile readDataFile(const QString& path, qint64 maxSize)
{
    DataFile out;
    const QFileInfo info(path);
    if (!info.exists()) {
        out.status = DataFile::Status::Missing;
        out.error = QStringLiteral("file not found");
        return out;
    }
    out.status = DataFile::Status::Unreadable;
    if (info.isDir()) {
        out.error = QStringLiteral("is a directory, expected a file");
        return out;
    }
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        out.error = QStringLiteral("cannot be read: %1").arg(f.errorString());
        return out;
    }
    const auto tooLarge = [&] {
        out.error =
            QStringLiteral("is larger than %1 MiB; this is not a configuration file").arg(maxSize >> 20);
    };
    if (!f.isSequential() && f.size() > maxSize) {
        tooLarge();
        return out;
    }
    QByteArray data = f.read(maxSize + 1);
    if (data.size() > maxSize) {
        tooLarge();
        return out;
    }
    if (f.error() != QFileDevice::NoError) {
        out.error = QStringLiteral("cannot be read: %1").arg(f.errorString());
        return out;
    }
    out.status = DataFile::Status::Ok;
    out.data = std::move(data);
    out.error.clear();
    return out;
}

std::optional<JsonValue> parseDataJson(const QByteArray& data, const QString& file, ConfigIssues& issues)
{
    if (data.trimmed().isEmpty()) {
        issues.error(file, {}, QStringLiteral("the file is empty, expected JSON"));
        return std::nullopt;
    }
    auto parsed = parseJson(data);
    if (!parsed) {
        issues.error(file, {},
                     QStringLiteral("invalid JSON at line %1, column %2: %3")
                         .arg(parsed.error().line)
                         .arg(parsed.error().column)
                         .arg(parsed.error().message));
        return std::nullopt;
    }
    return std::move(*parsed);
}

QString displayPath(const QString& dataDir, const QString& path)
{
    const QString abs = QDir::cleanPath(QDir(dataDir).absoluteFilePath(path));
    if (dataDir.isEmpty()) return abs;
    const QString rel = QDir(QDir::cleanPath(QDir(dataDir).absolutePath())).relativeFilePath(abs);
    if (rel.isEmpty() || rel == QLatin1String("..") || rel.startsWith(QLatin1String("../")) ||
        QDir::isAbsolutePath(rel))
        return abs;
    return rel;
}

QString resolveDataPath(const QString& dataDir, const QString& relative)
{
    return QDir::cleanPath(dataDir + QLatin1Char('/') + relative);
}

std::optional<QString> httpUrlProblem(const QString& url)
{
    if (url.isEmpty()) return QStringLiteral("expected an http:// or https:// URL, got an empty string");
    const QUrl u(url, QUrl::StrictMode);
    if (!u.isValid()) return QStringLiteral("\"%1\" is not a valid URL").arg(maskUrl(url));
    const QString scheme = u.scheme().toLower();
    if (scheme.isEmpty() || !url.contains(QLatin1String("://")))
        return QStringLiteral(
                   "\"%1\" has no scheme: expected an http:// or https:// URL such as http://host:8081")
            .arg(maskUrl(url));
    if (scheme != QLatin1String("http") && scheme != QLatin1String("https"))
        return QStringLiteral("\"%1\": expected an http:// or https:// URL, got scheme \"%2\"")
            .arg(maskUrl(url), scheme);
    if (u.host().isEmpty()) return QStringLiteral("\"%1\" has no host").arg(maskUrl(url));
    return std::nullopt;
}

QString maskUrl(const QString& url)
{
    static const QRegularExpression userInfo(QStringLiteral("^([A-Za-z][A-Za-z0-9+.\\-]*://)[^/?#]*@"));
    QString out = url;
    out.replace(userInfo, QStringLiteral("\\1***@"));
    const qsizetype q = out.indexOf(QLatin1Char('?'));
    if (q < 0) return out;
    qsizetype end = out.indexOf(QLatin1Char('#'), q);
    if (end < 0) end = out.size();
    const QStringList parts = out.mid(q + 1, end - q - 1).split(QLatin1Char('&'));
    QStringList masked;
    for (const QString& p : parts) {
        if (p.isEmpty()) {
            masked.append(p);
            continue;
        }
        const qsizetype eq = p.indexOf(QLatin1Char('='));
        masked.append(eq < 0 ? QStringLiteral("***") : p.left(eq + 1) + QStringLiteral("***"));
    }
    return out.left(q + 1) + masked.join(QLatin1Char('&')) + out.mid(end);
}

QString urlHostName(const QString& url)
{
    // Go url.Hostname(): the authority without userinfo and port, IPv6 brackets removed, case kept.
    qsizetype start = url.indexOf(QLatin1String("://"));
    start = start < 0 ? 0 : start + 3;
    qsizetype end = start;
    while (end < url.size() && url[end] != QLatin1Char('/') && url[end] != QLatin1Char('?') &&
           url[end] != QLatin1Char('#'))
        ++end;
    QString authority = url.mid(start, end - start);
    const qsizetype at = authority.lastIndexOf(QLatin1Char('@'));
    if (at >= 0) authority = authority.mid(at + 1);
    if (authority.startsWith(QLatin1Char('['))) {
        const qsizetype close = authority.indexOf(QLatin1Char(']'));
        return close < 0 ? authority.mid(1) : authority.mid(1, close - 1);
    }
    const qsizetype colon = authority.lastIndexOf(QLatin1Char(':'));
    return colon < 0 ? authority : authority.left(colon);
}

} // namespace pocket::config
