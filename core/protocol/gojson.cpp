#include "protocol/gojson.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

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

namespace {

// Writes into `out` through a raw pointer; QByteArray::append costs a call per piece, which dominates on
// strings with many escapes. Room is added geometrically; finish() trims to what was written.
class RawAppender
{
public:
    RawAppender(QByteArray& out, qsizetype expected) : m_out(out), m_base(out.size())
    {
        m_out.resize(m_base + expected);
        m_d = m_out.data() + m_base;
        m_end = m_out.data() + m_out.size();
    }
    void ensure(qsizetype need)
    {
        if (m_end - m_d >= need) return;
        const qsizetype used = m_d - m_out.data();
        m_out.resize(std::max(m_out.size() * 2, used + need + 64));
        m_d = m_out.data() + used;
        m_end = m_out.data() + m_out.size();
    }
    void put(char c) { *m_d++ = c; }
    void put(const char* s, qsizetype n)
    {
        memcpy(m_d, s, size_t(n));
        m_d += n;
    }
    void finish() { m_out.resize(m_d - m_out.data()); }

private:
    QByteArray& m_out;
    qsizetype m_base;
    char* m_d;
    char* m_end;
};

} // namespace

void appendGoJsonString(QByteArray& out, QByteArrayView utf8)
{
    const char* s = utf8.data();
    const qsizetype n = utf8.size();
    RawAppender w(out, n + 2);
    w.put('"');
    qsizetype i = 0;
    while (i < n) {
        // Fast path: a run of bytes that are copied as they are.
        const qsizetype runStart = i;
        while (i < n && kEncodeClass[quint8(s[i])] == 0) ++i;
        if (i > runStart) {
            w.ensure(i - runStart + 1);
            w.put(s + runStart, i - runStart);
        }
        if (i >= n) break;
        const auto b = quint8(s[i]);
        w.ensure(6 + 1);
        if (kEncodeClass[b] == 1) {
            switch (b) {
            case '"': w.put("\\\"", 2); break;
            case '\\': w.put("\\\\", 2); break;
            case '\n': w.put("\\n", 2); break;
            case '\r': w.put("\\r", 2); break;
            case '\t': w.put("\\t", 2); break;
            default: {
                // Go 1.21: every other control byte and <, >, & as \u00xx, lower-case hex
                // (so \b -> \u0008 and \f -> \u000c, PROTOCOL §1.1).
                const char esc[6] = {'\\', 'u', '0', '0', kHex[b >> 4], kHex[b & 0xF]};
                w.put(esc, 6);
            }
            }
            ++i;
            continue;
        }
        const int len = goUtf8SequenceLength(s + i, n - i);
        if (len == 0) {
            w.put("\\ufffd", 6); // each invalid byte
            ++i;
        } else if (len == 3 && b == 0xE2 && quint8(s[i + 1]) == 0x80
                   && (quint8(s[i + 2]) == 0xA8 || quint8(s[i + 2]) == 0xA9)) {
            // U+2028 / U+2029 are escaped for JSONP safety.
            w.put(quint8(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029", 6);
            i += 3;
        } else {
            w.put(s + i, len);
            i += len;
        }
    }
    w.ensure(1);
    w.put('"');
    w.finish();
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
