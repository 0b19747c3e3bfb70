#include "protocol/jsonsort.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "protocol/gojson.h"
#include "protocol/gojsonscan.h"

namespace pocket {

namespace {

// A generic JSON value as Go's Unmarshal into interface{} builds it: maps (duplicate keys: last wins),
// slices, float64, string, bool, nil (PROTOCOL §10.3). Nodes live in one vector; containers hold indices,
// so neither building nor encoding needs recursion (Go accepts 10000 levels of nesting).
struct Node
{
    enum Kind : quint8 { Null, False, True, Number, String, Object, Array } kind = Null;
    double number = 0;
    QByteArray text;                                   // String: the decoded string
    std::vector<std::pair<QByteArray, quint32>> members; // Object
    std::vector<quint32> items;                        // Array
};

// Parses a JSON number literal as Go's strconv.ParseFloat(s, 64) does. False on overflow (Go's Unmarshal then
// fails with "cannot unmarshal number ... into Go value of type float64"); underflow gives (signed) zero.
bool parseGoFloat(QByteArrayView text, double& out)
{
    const char* b = text.data();
    const char* e = b + text.size();
    const auto res = std::from_chars(b, e, out, std::chars_format::general);
    if (res.ec == std::errc() && res.ptr == e) return std::isfinite(out);
    if (res.ec != std::errc::result_out_of_range) return false;
    // Out of range: decide between overflow and underflow from the decimal magnitude.
    const bool negative = b < e && *b == '-';
    const char* p = negative ? b + 1 : b;
    qint64 firstDigitPos = 0; // power of ten of the first non-zero digit, before the exponent
    bool found = false;
    qint64 intDigits = 0;
    while (p < e && *p >= '0' && *p <= '9') {
        if (!found && *p != '0') {
            found = true;
            firstDigitPos = -intDigits; // fixed up below
        }
        ++intDigits;
        ++p;
    }
    if (found) firstDigitPos += intDigits - 1;
    if (p < e && *p == '.') {
        ++p;
        qint64 k = 0;
        while (p < e && *p >= '0' && *p <= '9') {
            ++k;
            if (!found && *p != '0') {
                found = true;
                firstDigitPos = -k;
            }
            ++p;
        }
    }
    qint64 exponent = 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        ++p;
        bool expNegative = false;
        if (p < e && (*p == '+' || *p == '-')) expNegative = *p++ == '-';
        while (p < e && *p >= '0' && *p <= '9') {
            if (exponent < 1'000'000'000) exponent = exponent * 10 + (*p - '0');
            ++p;
        }
        if (expNegative) exponent = -exponent;
    }
    if (!found) {
        out = negative ? -0.0 : 0.0;
        return true;
    }
    if (firstDigitPos + exponent < 0) {
        out = negative ? -0.0 : 0.0;
        return true;
    }
    return false;
}

class GenericParser
{
public:
    explicit GenericParser(QByteArrayView data) : m_reader(data) {}

    // Builds the tree of already syntax-checked input; false when a number overflows float64.
    bool parse(std::vector<Node>& nodes)
    {
        struct Frame
        {
            quint32 node;
            QByteArray pendingKey;
        };
        std::vector<Frame> stack;
        m_reader.skipWhitespace();
        for (;;) {
            // Read one value at the cursor.
            m_reader.skipWhitespace();
            const char c = m_reader.peek();
            const auto index = quint32(nodes.size());
            nodes.emplace_back();
            bool opened = false;
            switch (c) {
            case '{':
                nodes.back().kind = Node::Object;
                m_reader.advance();
                opened = true;
                break;
            case '[':
                nodes.back().kind = Node::Array;
                m_reader.advance();
                opened = true;
                break;
            case '"':
                nodes.back().kind = Node::String;
                m_reader.readString(nodes.back().text);
                break;
            case 't':
                nodes.back().kind = Node::True;
                m_reader.skipValue();
                break;
            case 'f':
                nodes.back().kind = Node::False;
                m_reader.skipValue();
                break;
            case 'n':
                nodes.back().kind = Node::Null;
                m_reader.skipValue();
                break;
            default: {
                nodes.back().kind = Node::Number;
                double v = 0;
                if (!parseGoFloat(m_reader.readNumberText(), v)) return false;
                nodes.back().number = v;
            }
            }
            // Attach to the parent.
            if (!stack.empty()) {
                Node& parent = nodes[stack.back().node];
                if (parent.kind == Node::Object)
                    parent.members.emplace_back(std::move(stack.back().pendingKey), index);
                else
                    parent.items.push_back(index);
            }
            if (opened) {
                stack.push_back(Frame{index, {}});
                m_reader.skipWhitespace();
                const char close = nodes[index].kind == Node::Object ? '}' : ']';
                if (m_reader.peek() == close) {
                    m_reader.advance();
                    stack.pop_back();
                } else {
                    if (nodes[index].kind == Node::Object) readKey(stack.back().pendingKey);
                    continue;
                }
            }
            // After a complete value: commas and closing brackets.
            for (;;) {
                if (stack.empty()) return true;
                m_reader.skipWhitespace();
                const char d = m_reader.peek();
                if (d == ',') {
                    m_reader.advance();
                    if (nodes[stack.back().node].kind == Node::Object) readKey(stack.back().pendingKey);
                    break;
                }
                if (d == '}' || d == ']') {
                    m_reader.advance();
                    stack.pop_back();
                    continue;
                }
                return false; // cannot happen on checked input
            }
        }
    }

private:
    void readKey(QByteArray& key)
    {
        key.clear();
        m_reader.skipWhitespace();
        m_reader.readString(key);
        m_reader.skipWhitespace();
        m_reader.advance(); // ':'
    }

    GoJsonReader m_reader;
};

// json.Marshal of the tree: compact, map keys sorted byte-wise (last duplicate wins), floats Go-style.
QByteArray encode(std::vector<Node>& nodes, quint32 root, qsizetype sizeHint)
{
    QByteArray out;
    out.reserve(sizeHint + 16);
    struct Frame
    {
        quint32 node;
        size_t next;
    };
    std::vector<Frame> stack;
    auto emitValue = [&](quint32 index) {
        Node& n = nodes[index];
        switch (n.kind) {
        case Node::Null: out.append("null", 4); break;
        case Node::False: out.append("false", 5); break;
        case Node::True: out.append("true", 4); break;
        case Node::Number: out.append(goFormatFloat(n.number)); break;
        case Node::String: appendGoJsonString(out, n.text); break;
        case Node::Object: {
            // Go map semantics: stable sort by key, keep the last of equal keys.
            std::stable_sort(n.members.begin(), n.members.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
            std::vector<std::pair<QByteArray, quint32>> unique;
            unique.reserve(n.members.size());
            for (auto& m : n.members) {
                if (!unique.empty() && unique.back().first == m.first) unique.back() = std::move(m);
                else unique.push_back(std::move(m));
            }
            n.members = std::move(unique);
            out.append('{');
            stack.push_back(Frame{index, 0});
            break;
        }
        case Node::Array:
            out.append('[');
            stack.push_back(Frame{index, 0});
            break;
        }
    };
    emitValue(root);
    while (!stack.empty()) {
        Frame& f = stack.back();
        const Node& n = nodes[f.node];
        const bool isObject = n.kind == Node::Object;
        const size_t count = isObject ? n.members.size() : n.items.size();
        if (f.next >= count) {
            out.append(isObject ? '}' : ']');
            stack.pop_back();
            continue;
        }
        if (f.next > 0) out.append(',');
        const size_t i = f.next++;
        if (isObject) {
            appendGoJsonString(out, n.members[i].first);
            out.append(':');
            emitValue(n.members[i].second); // may grow `stack`: `f` is not used after this
        } else {
            emitValue(n.items[i]);
        }
    }
    return out;
}

std::optional<QByteArray> reencode(QByteArrayView body, bool objectOnly)
{
    if (goCheckValid(body)) return std::nullopt; // Go's Unmarshal would fail: keep the body as it is
    if (objectOnly) {
        // Unmarshal into map[string]interface{}: only an object or null decodes without a type error.
        GoJsonReader probe(body);
        probe.skipWhitespace();
        const char c = probe.peek();
        if (c == 'n') return QByteArray("null"); // nil map -> "null"
        if (c != '{') return std::nullopt;
    }
    std::vector<Node> nodes;
    GenericParser parser(body);
    if (!parser.parse(nodes) || nodes.empty()) return std::nullopt;
    return encode(nodes, 0, body.size());
}

} // namespace

QByteArray goFormatFloat(double v)
{
    if (std::isnan(v)) return QByteArray("NaN"); // unreachable from JSON; Go's Marshal would fail
    if (std::isinf(v)) return v > 0 ? QByteArray("+Inf") : QByteArray("-Inf");
    if (v == 0) return std::signbit(v) ? QByteArray("-0") : QByteArray("0");
    // Shortest round-trip digits, via the scientific form d.ddde±XX.
    char sci[40];
    const auto res = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
    QByteArray text(sci, res.ptr - sci);
    const double abs = std::fabs(v);
    if (abs < 1e-6 || abs >= 1e21) {
        // Go's 'e' format has at least two exponent digits like C++; encoding/json then turns e-07 into e-7.
        const qsizetype n = text.size();
        if (n >= 4 && text[n - 4] == 'e' && text[n - 3] == '-' && text[n - 2] == '0') text.remove(n - 2, 1);
        return text;
    }
    // 'f' format with the shortest digits: place the decimal point by the exponent, pad with zeros.
    const qsizetype ePos = text.indexOf('e');
    const bool negative = text.startsWith('-');
    QByteArray digits;
    for (qsizetype i = negative ? 1 : 0; i < ePos; ++i)
        if (text[i] != '.') digits.append(text[i]);
    int exponent = 0;
    std::from_chars(text.constData() + ePos + 1 + (text[ePos + 1] == '+' ? 1 : 0), text.constData() + text.size(),
                    exponent);
    QByteArray out;
    if (negative) out.append('-');
    const qsizetype nd = digits.size();
    if (exponent >= 0) {
        const qsizetype intLen = exponent + 1;
        if (nd <= intLen) {
            out.append(digits);
            out.append(QByteArray(intLen - nd, '0'));
        } else {
            out.append(digits.left(intLen));
            out.append('.');
            out.append(digits.mid(intLen));
        }
    } else {
        out.append("0.");
        out.append(QByteArray(-exponent - 1, '0'));
        out.append(digits);
    }
    return out;
}

std::optional<QByteArray> goSortJsonObject(QByteArrayView body)
{
    return reencode(body, true);
}

std::optional<QByteArray> goReencodeJson(QByteArrayView body)
{
    return reencode(body, false);
}

} // namespace pocket
