#include "protocol/gojsonscan.h"

#include <array>
#include <vector>

#include "protocol/gojson.h"

namespace pocket {

namespace {

inline bool isSpace(quint8 c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Bytes inside a string that need no attention: bit 0 = the scanner may skip it (>= 0x20, not '"' or '\\');
// bit 1 = Go re-encodes it unchanged as well (ASCII without '<', '>', '&').
constexpr std::array<quint8, 256> makeStringClass()
{
    std::array<quint8, 256> t{};
    for (int c = 0x20; c < 0x100; ++c) t[c] = 1;
    t['"'] = 0;
    t['\\'] = 0;
    for (int c = 0x20; c < 0x80; ++c)
        if (t[c] && c != '<' && c != '>' && c != '&') t[c] |= 2;
    return t;
}
constexpr std::array<quint8, 256> kStringClass = makeStringClass();
inline bool isDigit(quint8 c) { return c >= '0' && c <= '9'; }
inline bool isHex(quint8 c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// A literal port of Go 1.21 encoding/json/scanner.go: same states, same transitions, same error
// contexts, so every syntax error reads exactly like Go's.
class GoScanner
{
public:
    enum Result { Continue, SkipSpace, End, Error };

    std::optional<QString> run(QByteArrayView data)
    {
        const auto* s = reinterpret_cast<const quint8*>(data.data());
        const qsizetype n = data.size();
        for (qsizetype i = 0; i < n; ++i) {
            if (m_state == InString) {
                // Fast path: the bytes of a string body that need no state change.
                while (i < n && (kStringClass[s[i]] & 1)) ++i;
                if (i >= n) break;
            }
            if (step(s[i]) == Error) return m_err;
        }
        // eof(): a number at the very end is completed by a virtual space.
        if (!m_err.isEmpty()) return m_err;
        if (m_endTop) return std::nullopt;
        step(' ');
        if (m_endTop) return std::nullopt;
        if (m_err.isEmpty()) m_err = QStringLiteral("unexpected end of JSON input");
        return m_err;
    }

private:
    enum State : quint8 {
        BeginValue, BeginValueOrEmpty, BeginStringOrEmpty, BeginString, EndValue, EndTop,
        InString, InStringEsc, InStringEscU, InStringEscU1, InStringEscU12, InStringEscU123,
        Neg, One, Zero, Dot, Dot0, E, ESign, E0,
        T, Tr, Tru, F, Fa, Fal, Fals, N, Nu, Nul, Failed
    };
    enum Parse : quint8 { ObjectKey, ObjectValue, ArrayValue };

    Result error(quint8 c, const char* context)
    {
        m_state = Failed;
        m_err = QStringLiteral("invalid character ") + goQuoteChar(c) + QLatin1Char(' ')
                + QLatin1String(context);
        return Error;
    }

    Result push(quint8 c, Parse p)
    {
        m_parse.push_back(p);
        if (m_parse.size() <= size_t(kGoMaxNestingDepth)) return Continue;
        return error(c, "exceeded max depth");
    }

    void pop()
    {
        m_parse.pop_back();
        if (m_parse.empty()) {
            m_state = EndTop;
            m_endTop = true;
        } else {
            m_state = EndValue;
        }
    }

    Result beginValue(quint8 c)
    {
        if (isSpace(c)) return SkipSpace;
        switch (c) {
        case '{': m_state = BeginStringOrEmpty; return push(c, ObjectKey);
        case '[': m_state = BeginValueOrEmpty; return push(c, ArrayValue);
        case '"': m_state = InString; return Continue;
        case '-': m_state = Neg; return Continue;
        case '0': m_state = Zero; return Continue;
        case 't': m_state = T; return Continue;
        case 'f': m_state = F; return Continue;
        case 'n': m_state = N; return Continue;
        default: break;
        }
        if (c >= '1' && c <= '9') {
            m_state = One;
            return Continue;
        }
        return error(c, "looking for beginning of value");
    }

    Result beginString(quint8 c)
    {
        if (isSpace(c)) return SkipSpace;
        if (c == '"') {
            m_state = InString;
            return Continue;
        }
        return error(c, "looking for beginning of object key string");
    }

    Result endTop(quint8 c)
    {
        if (!isSpace(c)) return error(c, "after top-level value");
        return End;
    }

    Result endValue(quint8 c)
    {
        if (m_parse.empty()) {
            m_state = EndTop;
            m_endTop = true;
            return endTop(c);
        }
        if (isSpace(c)) {
            m_state = EndValue;
            return SkipSpace;
        }
        switch (m_parse.back()) {
        case ObjectKey:
            if (c == ':') {
                m_parse.back() = ObjectValue;
                m_state = BeginValue;
                return Continue;
            }
            return error(c, "after object key");
        case ObjectValue:
            if (c == ',') {
                m_parse.back() = ObjectKey;
                m_state = BeginString;
                return Continue;
            }
            if (c == '}') {
                pop();
                return Continue;
            }
            return error(c, "after object key:value pair");
        case ArrayValue:
            if (c == ',') {
                m_state = BeginValue;
                return Continue;
            }
            if (c == ']') {
                pop();
                return Continue;
            }
            return error(c, "after array element");
        }
        return error(c, "");
    }

    Result literal(quint8 c, char want, State next, const char* context)
    {
        if (c == quint8(want)) {
            m_state = next;
            return Continue;
        }
        return error(c, context);
    }

    Result step(quint8 c)
    {
        switch (m_state) {
        case BeginValue: return beginValue(c);
        case BeginValueOrEmpty:
            if (isSpace(c)) return SkipSpace;
            if (c == ']') return endValue(c);
            return beginValue(c);
        case BeginStringOrEmpty:
            if (isSpace(c)) return SkipSpace;
            if (c == '}') {
                m_parse.back() = ObjectValue;
                return endValue(c);
            }
            return beginString(c);
        case BeginString: return beginString(c);
        case EndValue: return endValue(c);
        case EndTop: return endTop(c);
        case InString:
            if (c == '"') {
                m_state = EndValue;
                return Continue;
            }
            if (c == '\\') {
                m_state = InStringEsc;
                return Continue;
            }
            if (c < 0x20) return error(c, "in string literal");
            return Continue;
        case InStringEsc:
            switch (c) {
            case 'b': case 'f': case 'n': case 'r': case 't': case '\\': case '/': case '"':
                m_state = InString;
                return Continue;
            case 'u':
                m_state = InStringEscU;
                return Continue;
            default: return error(c, "in string escape code");
            }
        case InStringEscU:
        case InStringEscU1:
        case InStringEscU12:
        case InStringEscU123:
            if (isHex(c)) {
                m_state = m_state == InStringEscU123 ? InString : State(m_state + 1);
                return Continue;
            }
            return error(c, "in \\u hexadecimal character escape");
        case Neg:
            if (c == '0') {
                m_state = Zero;
                return Continue;
            }
            if (c >= '1' && c <= '9') {
                m_state = One;
                return Continue;
            }
            return error(c, "in numeric literal");
        case One:
            if (isDigit(c)) return Continue;
            [[fallthrough]];
        case Zero:
            if (c == '.') {
                m_state = Dot;
                return Continue;
            }
            if (c == 'e' || c == 'E') {
                m_state = E;
                return Continue;
            }
            return endValue(c);
        case Dot:
            if (isDigit(c)) {
                m_state = Dot0;
                return Continue;
            }
            return error(c, "after decimal point in numeric literal");
        case Dot0:
            if (isDigit(c)) return Continue;
            if (c == 'e' || c == 'E') {
                m_state = E;
                return Continue;
            }
            return endValue(c);
        case E:
            if (c == '+' || c == '-') {
                m_state = ESign;
                return Continue;
            }
            [[fallthrough]];
        case ESign:
            if (isDigit(c)) {
                m_state = E0;
                return Continue;
            }
            return error(c, "in exponent of numeric literal");
        case E0:
            if (isDigit(c)) return Continue;
            return endValue(c);
        case T: return literal(c, 'r', Tr, "in literal true (expecting 'r')");
        case Tr: return literal(c, 'u', Tru, "in literal true (expecting 'u')");
        case Tru: return literal(c, 'e', EndValue, "in literal true (expecting 'e')");
        case F: return literal(c, 'a', Fa, "in literal false (expecting 'a')");
        case Fa: return literal(c, 'l', Fal, "in literal false (expecting 'l')");
        case Fal: return literal(c, 's', Fals, "in literal false (expecting 's')");
        case Fals: return literal(c, 'e', EndValue, "in literal false (expecting 'e')");
        case N: return literal(c, 'u', Nu, "in literal null (expecting 'u')");
        case Nu: return literal(c, 'l', Nul, "in literal null (expecting 'l')");
        case Nul: return literal(c, 'l', EndValue, "in literal null (expecting 'l')");
        case Failed: return Error;
        }
        return Error;
    }

    State m_state = BeginValue;
    std::vector<Parse> m_parse;
    bool m_endTop = false;
    QString m_err;
};

int hexValue(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Go getu4: the value of "\uXXXX" at p, or -1.
int getU4(const char* p, const char* end)
{
    if (end - p < 6 || p[0] != '\\' || p[1] != 'u') return -1;
    int r = 0;
    for (int i = 2; i < 6; ++i) {
        const int h = hexValue(p[i]);
        if (h < 0) return -1;
        r = r * 16 + h;
    }
    return r;
}

void appendUtf8(QByteArray& out, char32_t r)
{
    if (r < 0x80) {
        out.append(char(r));
    } else if (r < 0x800) {
        const char b[2] = {char(0xC0 | (r >> 6)), char(0x80 | (r & 0x3F))};
        out.append(b, 2);
    } else if (r < 0x10000) {
        const char b[3] = {char(0xE0 | (r >> 12)), char(0x80 | ((r >> 6) & 0x3F)), char(0x80 | (r & 0x3F))};
        out.append(b, 3);
    } else {
        const char b[4] = {char(0xF0 | (r >> 18)), char(0x80 | ((r >> 12) & 0x3F)),
                           char(0x80 | ((r >> 6) & 0x3F)), char(0x80 | (r & 0x3F))};
        out.append(b, 4);
    }
}

} // namespace

std::optional<QString> goCheckValid(QByteArrayView data)
{
    GoScanner scanner;
    return scanner.run(data);
}

QString goQuoteChar(quint8 c)
{
    // Go: quoteChar(c) = "'" + strconv.Quote(string(rune(c)))[1:-1] + "'", with ' and " special-cased.
    if (c == '\'') return QStringLiteral("'\\''");
    if (c == '"') return QStringLiteral("'\"'");
    QString inner;
    switch (c) {
    case '\\': inner = QStringLiteral("\\\\"); break;
    case '\a': inner = QStringLiteral("\\a"); break;
    case '\b': inner = QStringLiteral("\\b"); break;
    case '\f': inner = QStringLiteral("\\f"); break;
    case '\n': inner = QStringLiteral("\\n"); break;
    case '\r': inner = QStringLiteral("\\r"); break;
    case '\t': inner = QStringLiteral("\\t"); break;
    case '\v': inner = QStringLiteral("\\v"); break;
    default: {
        static constexpr char hex[] = "0123456789abcdef";
        if (c < 0x20 || c == 0x7F) {
            inner = QStringLiteral("\\x") + QLatin1Char(hex[c >> 4]) + QLatin1Char(hex[c & 0xF]);
        } else if (c < 0x7F || (c >= 0xA1 && c != 0xAD)) {
            // Printable per Go's IsPrint (Latin-1 range: U+00A0 and U+00AD are not).
            inner = QChar(c);
        } else {
            inner = QStringLiteral("\\u00") + QLatin1Char(hex[c >> 4]) + QLatin1Char(hex[c & 0xF]);
        }
    }
    }
    return QLatin1Char('\'') + inner + QLatin1Char('\'');
}

void GoJsonReader::skipWhitespace()
{
    while (m_p < m_end && isSpace(quint8(*m_p))) ++m_p;
}

void GoJsonReader::readString(QByteArray& out)
{
    if (m_p >= m_end || *m_p != '"') return;
    ++m_p;
    while (m_p < m_end) {
        // Fast path: a run of plain ASCII.
        const char* run = m_p;
        while (m_p < m_end && quint8(*m_p) >= 0x20 && quint8(*m_p) < 0x80 && *m_p != '"' && *m_p != '\\') ++m_p;
        if (m_p > run) out.append(run, m_p - run);
        if (m_p >= m_end) return;
        const auto c = quint8(*m_p);
        if (c == '"') {
            ++m_p;
            return;
        }
        if (c == '\\') {
            if (m_end - m_p < 2) {
                m_p = m_end;
                return;
            }
            const char e = m_p[1];
            switch (e) {
            case '"': case '\\': case '/': out.append(e); m_p += 2; break;
            case 'b': out.append('\b'); m_p += 2; break;
            case 'f': out.append('\f'); m_p += 2; break;
            case 'n': out.append('\n'); m_p += 2; break;
            case 'r': out.append('\r'); m_p += 2; break;
            case 't': out.append('\t'); m_p += 2; break;
            case 'u': {
                int rr = getU4(m_p, m_end);
                if (rr < 0) {
                    m_p = m_end; // cannot happen on checked input
                    return;
                }
                m_p += 6;
                if (rr >= 0xD800 && rr < 0xE000) {
                    // Go: a high surrogate followed by a low one combines; anything else is U+FFFD and the
                    // following escape is read on its own.
                    const int rr1 = getU4(m_p, m_end);
                    if (rr < 0xDC00 && rr1 >= 0xDC00 && rr1 < 0xE000) {
                        m_p += 6;
                        appendUtf8(out, 0x10000 + ((char32_t(rr) - 0xD800) << 10) + (char32_t(rr1) - 0xDC00));
                        break;
                    }
                    rr = 0xFFFD;
                }
                appendUtf8(out, char32_t(rr));
                break;
            }
            default:
                m_p = m_end; // cannot happen on checked input
                return;
            }
            continue;
        }
        if (c < 0x20) {
            m_p = m_end; // cannot happen on checked input
            return;
        }
        const int len = goUtf8SequenceLength(m_p, m_end - m_p);
        if (len == 0) {
            out.append("\xEF\xBF\xBD", 3); // each invalid byte becomes U+FFFD
            ++m_p;
        } else {
            out.append(m_p, len);
            m_p += len;
        }
    }
}

bool GoJsonReader::readPlainString(QByteArrayView& raw)
{
    if (m_p >= m_end || *m_p != '"') return false;
    const char* start = m_p + 1;
    const char* q = start;
    while (q < m_end && (kStringClass[quint8(*q)] & 2)) ++q;
    if (q >= m_end || *q != '"') return false;
    raw = QByteArrayView(start, q - start);
    m_p = q + 1;
    return true;
}

QByteArrayView GoJsonReader::readNumberText()
{
    const char* start = m_p;
    while (m_p < m_end) {
        const char c = *m_p;
        if (isDigit(quint8(c)) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') ++m_p;
        else break;
    }
    return QByteArrayView(start, m_p - start);
}

void GoJsonReader::skipString()
{
    ++m_p; // opening quote
    while (m_p < m_end) {
        const char c = *m_p;
        if (c == '\\') {
            m_p += (m_end - m_p >= 2) ? 2 : 1;
        } else {
            ++m_p;
            if (c == '"') return;
        }
    }
}

void GoJsonReader::skipValue()
{
    skipWhitespace();
    if (m_p >= m_end) return;
    const char c = *m_p;
    if (c == '"') {
        skipString();
        return;
    }
    if (c == '{' || c == '[') {
        qsizetype depth = 0;
        while (m_p < m_end) {
            const char d = *m_p;
            if (d == '"') {
                skipString();
                continue;
            }
            ++m_p;
            if (d == '{' || d == '[') {
                ++depth;
            } else if (d == '}' || d == ']') {
                if (--depth == 0) return;
            }
        }
        return;
    }
    // Number or literal.
    while (m_p < m_end) {
        const char d = *m_p;
        if (isDigit(quint8(d)) || (d >= 'a' && d <= 'z') || d == '-' || d == '+' || d == '.' || d == 'E') ++m_p;
        else break;
    }
}

} // namespace pocket
