#pragma once
// A writer that reproduces Go encoding/json bytes exactly (PROTOCOL §1.1): compact, fields in the order the
// caller writes them, strings escaped the Go 1.21 way (HTML escaping, \u2028/\u2029, lower-case \u00xx,
// invalid UTF-8 -> \ufffd). Never hash QJsonDocument output (PROTOCOL §15.1).
#include <QByteArray>
#include <QByteArrayView>

namespace pocket {

class GoJsonWriter
{
public:
    GoJsonWriter() = default;
    explicit GoJsonWriter(qsizetype reserve) { m_out.reserve(reserve); }

    GoJsonWriter& beginObject();
    GoJsonWriter& endObject();
    GoJsonWriter& beginArray();
    GoJsonWriter& endArray();
    GoJsonWriter& key(QByteArrayView name); // writes "name": (comma handled)
    GoJsonWriter& string(QByteArrayView utf8);
    GoJsonWriter& integer(qint64 v);
    GoJsonWriter& boolean(bool v);
    GoJsonWriter& null();
    GoJsonWriter& raw(QByteArrayView json); // an already encoded value

    const QByteArray& bytes() const { return m_out; }
    QByteArray take() { return std::move(m_out); }

private:
    void separator();
    QByteArray m_out;
    bool m_needComma = false;
};

// Appends `utf8` as a Go-encoded JSON string literal (with quotes) to `out`.
void appendGoJsonString(QByteArray& out, QByteArrayView utf8);

// Length of the valid UTF-8 sequence at s[0..n) under Go's utf8.DecodeRune rules (1..4), or 0 when
// the byte starts no valid sequence (overlong, surrogate, > U+10FFFF, truncated, stray continuation).
int goUtf8SequenceLength(const char* s, qsizetype n);

// `utf8` with each invalid byte replaced by U+FFFD (EF BF BD), as Go's decoder does (PROTOCOL §1.2).
// Used where Go re-parses its own output (§1.5): the reply then carries raw U+FFFD, not "\ufffd".
QByteArray goValidUtf8(QByteArrayView utf8);

} // namespace pocket
