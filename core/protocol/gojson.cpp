#include "protocol/gojson.h"

#include <array>
#include <charconv>

namespace pocket {

namespace {

// Byte classes for the encoder (PROTOCOL §1.1): 0 = copy as is, 1 = ASCII that needs an escape,
// 2 = start of a multi-byte (or invalid) UTF-8 sequence.
constexpr std::array<quint8, 256> makeEncodeClass()
{
    std::array<quint8, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[c] = 1;
    t['"'] = 1;
    t['\\'] = 1;
    // Go's HTMLEscape set (json.Marshal always escapes HTML).
    t['<'] = 1;
    t['>'] = 1;
    t['&'] = 1;
    for (int c = 0x80; c < 0x100; ++c) t[c] = 2;
    return t;
}
constexpr std::array<quint8, 256> kEncodeClass = makeEncodeClass();

constexpr char kHex[] = "0123456789abcdef";

inline bool isCont(quint8 b) { return (b & 0xC0) == 0x80; }

} // namespace

int goUtf8SequenceLength(const char* s, qsizetype n)
{
    // Go utf8.DecodeRune acceptance rules: no overlongs, no UTF-16 surrogates, nothing above
    // U+10FFFF, no truncated sequence. Returns 0 for "invalid, consume one byte".
    const auto b0 = quint8(s[0]);
    if (b0 < 0x80) return 1;
    if (b0 < 0xC2) return 0;
    if (b0 < 0xE0) return (n >= 2 && isCont(quint8(s[1]))) ? 2 : 0;
    if (b0 < 0xF0) {
        if (n < 3) return 0;
        const auto b1 = quint8(s[1]);
        const quint8 lo = b0 == 0xE0 ? 0xA0 : 0x80;
        const quint8 hi = b0 == 0xED ? 0x9F : 0xBF;
        if (b1 < lo || b1 > hi || !isCont(quint8(s[2]))) return 0;
        return 3;
    }
    if (b0 < 0xF5) {
        if (n < 4) return 0;
        const auto b1 = quint8(s[1]);
        const quint8 lo = b0 == 0xF0 ? 0x90 : 0x80;
        const quint8 hi = b0 == 0xF4 ? 0x8F : 0xBF;
        if (b1 < lo || b1 > hi || !isCont(quint8(s[2])) || !isCont(quint8(s[3]))) return 0;
        return 4;
    }
    return 0;
}

void appendGoJsonString(QByteArray& out, QByteArrayView utf8)
{
    const char* s = utf8.data();
    const qsizetype n = utf8.size();
    out.reserve(out.size() + n + 2);
    out.append('"');
    qsizetype start = 0; // first byte not yet copied
    qsizetype i = 0;
    while (i < n) {
        // Fast path: runs of plain ASCII are copied in one append.
        while (i < n && kEncodeClass[quint8(s[i])] == 0) ++i;
        if (i >= n) break;
        const auto b = quint8(s[i]);
        if (kEncodeClass[b] == 1) {
            out.append(s + start, i - start);
            switch (b) {
            case '"': out.append("\\\"", 2); break;
            case '\\': out.append("\\\\", 2); break;
            case '\n': out.append("\\n", 2); break;
            case '\r': out.append("\\r", 2); break;
            case '\t': out.append("\\t", 2); break;
            default: {
                // Go 1.21: every other control byte and <, >, & as \u00xx, lower-case hex
                // (so \b -> \u0008 and \f -> \u000c, PROTOCOL §1.1).
                const char esc[6] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 0xF]};
                out.append(esc, 6);
            }
            }
            start = ++i;
            continue;
        }
        const int len = goUtf8SequenceLength(s + i, n - i);
        if (len == 0) {
            out.append(s + start, i - start);
            out.append("\\ufffd", 6);
            start = ++i;
            continue;
        }
        // U+2028 / U+2029 = E2 80 A8 / E2 80 A9 are escaped for JSONP safety.
        if (len == 3 && b == 0xE2 && quint8(s[i + 1]) == 0x80
            && (quint8(s[i + 2]) == 0xA8 || quint8(s[i + 2]) == 0xA9)) {
            out.append(s + start, i - start);
            out.append(quint8(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029", 6);
            i += 3;
            start = i;
            continue;
        }
        i += len;
    }
    out.append(s + start, n - start);
    out.append('"');
}

QByteArray goValidUtf8(QByteArrayView utf8)
{
    const char* s = utf8.data();
    const qsizetype n = utf8.size();
    qsizetype i = 0;
    // Fast check: most inputs are already valid.
    while (i < n) {
        if (quint8(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const int len = goUtf8SequenceLength(s + i, n - i);
        if (len == 0) break;
        i += len;
    }
    if (i == n) return utf8.toByteArray();
    QByteArray out;
    out.reserve(n + 16);
    out.append(s, i);
    while (i < n) {
        const int len = quint8(s[i]) < 0x80 ? 1 : goUtf8SequenceLength(s + i, n - i);
        if (len == 0) {
            out.append("\xEF\xBF\xBD", 3);
            ++i;
        } else {
            out.append(s + i, len);
            i += len;
        }
    }
    return out;
}

void GoJsonWriter::separator()
{
    if (m_needComma) m_out.append(',');
}

GoJsonWriter& GoJsonWriter::beginObject()
{
    separator();
    m_out.append('{');
    m_needComma = false;
    return *this;
}

GoJsonWriter& GoJsonWriter::endObject()
{
    m_out.append('}');
    m_needComma = true;
    return *this;
}

GoJsonWriter& GoJsonWriter::beginArray()
{
    separator();
    m_out.append('[');
    m_needComma = false;
    return *this;
}

GoJsonWriter& GoJsonWriter::endArray()
{
    m_out.append(']');
    m_needComma = true;
    return *this;
}

GoJsonWriter& GoJsonWriter::key(QByteArrayView name)
{
    separator();
    appendGoJsonString(m_out, name);
    m_out.append(':');
    m_needComma = false; // the value follows the colon directly
    return *this;
}

GoJsonWriter& GoJsonWriter::string(QByteArrayView utf8)
{
    separator();
    appendGoJsonString(m_out, utf8);
    m_needComma = true;
    return *this;
}

GoJsonWriter& GoJsonWriter::integer(qint64 v)
{
    separator();
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    m_out.append(buf, res.ptr - buf);
    m_needComma = true;
    return *this;
}

GoJsonWriter& GoJsonWriter::boolean(bool v)
{
    separator();
    m_out.append(v ? QByteArrayView("true") : QByteArrayView("false"));
    m_needComma = true;
    return *this;
}

GoJsonWriter& GoJsonWriter::null()
{
    separator();
    m_out.append("null", 4);
    m_needComma = true;
    return *this;
}

GoJsonWriter& GoJsonWriter::raw(QByteArrayView json)
{
    separator();
    m_out.append(json);
    m_needComma = true;
    return *this;
}

} // namespace pocket
