#pragma once
// Streaming gzip decoder for transparently decompressed HTTP bodies (PROTOCOL §10.1: Go adds
// `Accept-Encoding: gzip` and decompresses when the caller did not ask for an encoding itself).
// Behaves like Go's multistream gzip.Reader: concatenated members are decoded in turn, an empty input
// is an empty body, a truncated member is "unexpected EOF", bytes after a member that do not start a
// new member are "gzip: invalid header".
// One decoder per connection, reset per response; not thread-safe (owned by the HttpClient's thread).
#include <QByteArray>
#include <QString>
#include <memory>

namespace pocket {

class GzipDecoder {
public:
    GzipDecoder();
    ~GzipDecoder();
    GzipDecoder(const GzipDecoder&) = delete;
    GzipDecoder& operator=(const GzipDecoder&) = delete;

    // Forget any previous stream; keeps zlib's buffers allocated.
    void reset();
    // Inflates `len` bytes and appends the output to `out`. Returns false on corrupt input (see error())
    // or when `out` would grow beyond `maxOut` bytes (tooLarge() then holds).
    bool feed(const char* data, qsizetype len, QByteArray& out, qint64 maxOut);
    // The input ended: true when it ended on a member boundary (or no byte was fed at all).
    bool finish();

    QString error() const { return m_error; }
    bool tooLarge() const { return m_tooLarge; }

private:
    struct State;
    std::unique_ptr<State> m_state;
    QString m_error;
    bool m_tooLarge = false;
};

} // namespace pocket
