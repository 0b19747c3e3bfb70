#include "protocol/jsonsort.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "protocol/gojson.h"
#include "protocol/gojsonscan.h"

namespace pocket {

namespace {

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

// A generic JSON value as Go's Unmarshal into interface{} builds it (PROTOCOL §10.3): maps (duplicate keys:
// last wins), slices, float64, string, bool, nil. Flat storage, no per-value allocation: nodes in one vector,
// the members of every container in another (contiguous per container), decoded strings in one arena. Neither
// building nor encoding recurses (Go accepts 10000 levels of nesting).
struct Node
{
    enum Kind : quint8 { Null, False, True, Number, String, Object, Array };
    Kind kind = Null;
    bool raw = false;  // String/Number: `off/len` is a span of the input that re-encodes unchanged
    quint32 off = 0;   // String: span (input if raw, else arena); Number: input span if raw;
    quint32 len = 0;   // Object/Array: first member and member count in `members`
    double number = 0; // Number when !raw
};

struct Member
{
    quint32 keyOff = 0; // Object members only: the decoded key (input if keyRaw, else arena)
    quint32 keyLen = 0;
    quint32 node = 0;
    bool keyRaw = false;
};

struct Tree
{
    QByteArrayView input;
    QByteArray arena;
    std::vector<Node> nodes;
    std::vector<Member> members;

    QByteArrayView bytes(quint32 off, quint32 len, bool raw) const
    {
        return raw ? input.sliced(off, len) : QByteArrayView(arena).sliced(off, len);
    }
    QByteArrayView key(const Member& m) const { return bytes(m.keyOff, m.keyLen, m.keyRaw); }
};

// An integer literal of at most 15 digits is exact in float64 and Go prints it back unchanged.
bool isShortInteger(QByteArrayView t)
{
    qsizetype i = t.startsWith('-') ? 1 : 0;
    if (t.size() - i > 15 || t.size() == i) return false;
    for (; i < t.size(); ++i)
        if (t[i] < '0' || t[i] > '9') return false;
    return true;
}

class GenericParser
{
public:
    explicit GenericParser(Tree& tree) : m_tree(tree), m_reader(tree.input) {}

    // Builds the tree of already syntax-checked input; false when a number overflows float64.
    bool parse()
    {
        struct Frame
        {
            quint32 node;
            size_t firstPending; // this container's members so far: m_pending[firstPending..]
        };
        std::vector<Frame> stack;
        Member pendingKey;
        for (;;) {
            m_reader.skipWhitespace();
            const auto index = quint32(m_tree.nodes.size());
            m_tree.nodes.emplace_back();
            Node& node = m_tree.nodes.back();
            bool opened = false;
            switch (m_reader.peek()) {
            case '{':
            case '[':
                node.kind = m_reader.peek() == '{' ? Node::Object : Node::Array;
                m_reader.advance();
                opened = true;
                break;
            case '"':
                node.kind = Node::String;
                readString(node.off, node.len, node.raw);
                break;
            case 't': node.kind = Node::True; m_reader.skipValue(); break;
            case 'f': node.kind = Node::False; m_reader.skipValue(); break;
            case 'n': node.kind = Node::Null; m_reader.skipValue(); break;
            default: {
                node.kind = Node::Number;
                const QByteArrayView text = m_reader.readNumberText();
                if (isShortInteger(text)) {
                    node.raw = true;
                    node.off = quint32(text.data() - m_tree.input.data());
                    node.len = quint32(text.size());
                } else if (!parseGoFloat(text, node.number)) {
                    return false;
                }
            }
            }
            if (!stack.empty()) {
                Member m = pendingKey;
                m.node = index;
                m_pending.push_back(m);
            }
            if (opened) {
                stack.push_back(Frame{index, m_pending.size()});
                m_reader.skipWhitespace();
                if (m_reader.peek() != '}' && m_reader.peek() != ']') {
                    if (m_tree.nodes[index].kind == Node::Object) readKey(pendingKey);
                    continue;
                }
                m_reader.advance();
                close(stack.back().node, stack.back().firstPending);
                stack.pop_back();
            }
            // After a complete value: commas and closing brackets.
            for (;;) {
                if (stack.empty()) return true;
                m_reader.skipWhitespace();
                const char d = m_reader.peek();
                if (d == ',') {
                    m_reader.advance();
                    if (m_tree.nodes[stack.back().node].kind == Node::Object) readKey(pendingKey);
                    break;
                }
                if (d != '}' && d != ']') return false; // cannot happen on checked input
                m_reader.advance();
                close(stack.back().node, stack.back().firstPending);
                stack.pop_back();
            }
        }
    }

private:
    void readString(quint32& off, quint32& len, bool& raw)
    {
        QByteArrayView plain;
        if (m_reader.readPlainString(plain)) {
            raw = true;
            off = quint32(plain.data() - m_tree.input.data());
            len = quint32(plain.size());
            return;
        }
        raw = false;
        off = quint32(m_tree.arena.size());
        m_reader.readString(m_tree.arena);
        len = quint32(m_tree.arena.size()) - off;
    }

    void readKey(Member& key)
    {
        m_reader.skipWhitespace();
        readString(key.keyOff, key.keyLen, key.keyRaw);
        m_reader.skipWhitespace();
        m_reader.advance(); // ':'
    }

    // Moves a finished container's members to their final place; objects get Go's map semantics.
    void close(quint32 index, size_t first)
    {
        const auto begin = m_pending.begin() + qsizetype(first);
        auto end = m_pending.end();
        if (m_tree.nodes[index].kind == Node::Object) {
            std::stable_sort(begin, end, [this](const Member& a, const Member& b) {
                return m_tree.key(a) < m_tree.key(b);
            });
            // Of equal keys the last one wins (it is last after the stable sort).
            end = std::unique(std::make_reverse_iterator(end), std::make_reverse_iterator(begin),
                              [this](const Member& a, const Member& b) { return m_tree.key(a) == m_tree.key(b); })
                      .base();
            // std::unique over the reversed range kept the last of each run, compacted towards the end.
            const auto keptBegin = end;
            end = m_pending.end();
            Node& node = m_tree.nodes[index];
            node.off = quint32(m_tree.members.size());
            node.len = quint32(end - keptBegin);
            m_tree.members.insert(m_tree.members.end(), keptBegin, end);
        } else {
            Node& node = m_tree.nodes[index];
            node.off = quint32(m_tree.members.size());
            node.len = quint32(end - begin);
            m_tree.members.insert(m_tree.members.end(), begin, end);
        }
        m_pending.resize(first);
    }

    Tree& m_tree;
    GoJsonReader m_reader;
    std::vector<Member> m_pending; // members of the open containers, innermost last
};

void appendQuotedRaw(QByteArray& out, QByteArrayView raw)
{
    out.append('"');
    out.append(raw);
    out.append('"');
}

// json.Marshal of the tree: compact, keys in the order close() left them (sorted), floats Go-style.
QByteArray encode(const Tree& tree, qsizetype sizeHint)
{
    QByteArray out;
    out.reserve(sizeHint + 16);
    struct Frame
    {
        quint32 node;
        quint32 next;
    };
    std::vector<Frame> stack;
    auto emitValue = [&](quint32 index) {
        const Node& n = tree.nodes[index];
        switch (n.kind) {
        case Node::Null: out.append("null", 4); break;
        case Node::False: out.append("false", 5); break;
        case Node::True: out.append("true", 4); break;
        case Node::Number:
            if (n.raw) out.append(tree.input.sliced(n.off, n.len));
            else out.append(goFormatFloat(n.number));
            break;
        case Node::String:
            if (n.raw) appendQuotedRaw(out, tree.input.sliced(n.off, n.len));
            else appendGoJsonString(out, tree.bytes(n.off, n.len, false));
            break;
        case Node::Object: out.append('{'); stack.push_back(Frame{index, 0}); break;
        case Node::Array: out.append('['); stack.push_back(Frame{index, 0}); break;
        }
    };
    emitValue(0);
    while (!stack.empty()) {
        Frame& f = stack.back();
        const Node& n = tree.nodes[f.node];
        if (f.next >= n.len) {
            out.append(n.kind == Node::Object ? '}' : ']');
            stack.pop_back();
            continue;
        }
        if (f.next > 0) out.append(',');
        const Member& m = tree.members[n.off + f.next++];
        if (n.kind == Node::Object) {
            if (m.keyRaw) appendQuotedRaw(out, tree.key(m));
            else appendGoJsonString(out, tree.key(m));
            out.append(':');
        }
        emitValue(m.node); // may grow `stack`: `f` is not used after this
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
    if (body.size() >= qsizetype(std::numeric_limits<quint32>::max())) return std::nullopt;
    Tree tree;
    tree.input = body;
    tree.nodes.reserve(size_t(body.size() / 16 + 4));
    GenericParser parser(tree);
    if (!parser.parse() || tree.nodes.empty()) return std::nullopt;
    return encode(tree, body.size());
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
