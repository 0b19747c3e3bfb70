#pragma once
// Reading JSON the way Go's encoding/json does (PROTOCOL §1.2, §10.3). Two layers:
//  * goCheckValid(): a port of Go's scanner (encoding/json/scanner.go, Go 1.21). Go's Unmarshal runs it over the
//    whole input before decoding anything, so syntax errors win over type errors and their texts are Go's
//    ("invalid character 'x' looking for beginning of value", "unexpected end of JSON input", ...).
//  * GoJsonReader: a cursor over input that goCheckValid() accepted, with Go's string unquoting
//    (invalid UTF-8 -> U+FFFD per byte, lone surrogates -> U+FFFD, \u0000 kept). It never reads out of bounds
//    even on input that was not checked, so a bug cannot turn into a crash.
#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <optional>

namespace pocket {

// Go's maxNestingDepth: deeper input is a syntax error ("exceeded max depth").
inline constexpr int kGoMaxNestingDepth = 10000;

// nullopt when `data` is exactly one JSON value with optional surrounding whitespace, else Go's SyntaxError text.
std::optional<QString> goCheckValid(QByteArrayView data);

// Go's quoteChar(c) used in syntax errors: 'x', '\'', '"', '\n', '\x01', '\u0080', 'é' (byte read as a rune).
QString goQuoteChar(quint8 c);

class GoJsonReader
{
public:
    explicit GoJsonReader(QByteArrayView data) : m_p(data.data()), m_end(data.data() + data.size()) {}

    bool atEnd() const { return m_p >= m_end; }
    char peek() const { return m_p < m_end ? *m_p : '\0'; }
    void advance() { if (m_p < m_end) ++m_p; }
    void skipWhitespace();
    // At '"': appends the unquoted string to `out` (Go unquoteBytes semantics) and moves past the closing quote.
    void readString(QByteArray& out);
    // At '"': when the string is plain ASCII that Go re-encodes unchanged (0x20..0x7F without '"', '\\', '<', '>',
    // '&'), sets `raw` to its bytes, moves past it and returns true; otherwise stays put and returns false.
    bool readPlainString(QByteArrayView& raw);
    // At a number: its literal text; moves past it.
    QByteArrayView readNumberText();
    // Skips one value of any kind (iteratively: nesting depth costs no stack).
    void skipValue();

private:
    void skipString();
    const char* m_p;
    const char* m_end;
};

} // namespace pocket
