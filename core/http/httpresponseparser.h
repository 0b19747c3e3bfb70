#pragma once
// Incremental HTTP/1.x response parser used by HttpClient: status line and header block parsed from
// buffered bytes in one pass (never a byte per read), then Content-Length, chunked (with trailers) or
// read-until-close bodies, with optional transparent gzip. Follows Go 1.19 net/http (response.go,
// transfer.go, internal/chunked.go) where Go and the RFC differ. One parser per connection; owned by
// the HttpClient's thread.
#include <QByteArray>
#include <QString>

#include "http/gzipdecoder.h"
#include "http/httpmessage.h"

namespace pocket {

class HttpResponseParser {
public:
    enum class State { Headers, Body, Done, Failed };

    // Response header blocks larger than this fail with TooLarge (Go's default is 10 MB; nothing a chain
    // node or servicer sends comes near 1 MiB).
    static constexpr qsizetype kMaxHeaderBytes = 1 << 20;
    // Chunk-size lines longer than this are malformed (Go internal/chunked: 4096).
    static constexpr qsizetype kMaxChunkLine = 4096;

    // Prepare for the response to a new request. `headRequest`: the method is exactly "HEAD" (no body);
    // `gzipRequested`: the client added `Accept-Encoding: gzip` itself, so a gzip body is decoded.
    void reset(bool headRequest, bool gzipRequested, qint64 maxBodyBytes);

    // Consumes a prefix of [data, data + len) and returns its length. Bytes of an incomplete header block
    // or chunk-size line are not consumed: call again with them plus more data. Stops at Done/Failed.
    qsizetype feed(const char* data, qsizetype len);
    // The peer closed the connection: completes a read-until-close body, otherwise fails (truncation).
    void finishOnEof();

    State state() const { return m_state; }
    bool receivedAny() const { return m_receivedAny; }
    // The final (non-1xx) response's status line and headers are parsed.
    bool headersComplete() const { return m_state == State::Body || m_state == State::Done; }
    // The connection may carry another request after this response (HTTP/1.1 without `Connection:
    // close`, HTTP/1.0 with `keep-alive`, body length known).
    bool keepAlive() const { return m_keepAlive; }
    HttpErrorKind errorKind() const { return m_errorKind; }
    const QString& errorMessage() const { return m_error; }
    const HttpResponse& response() const { return m_response; }
    HttpResponse takeResponse() { return std::move(m_response); }

private:
    enum class Body { None, Fixed, Chunked, UntilClose };
    enum class Chunk { SizeLine, Data, DataEnd, Trailer };

    qsizetype feedHeaders(const char* data, qsizetype len);
    bool parseHeaderBlock(const char* data, qsizetype len);
    qsizetype feedChunked(const char* data, qsizetype len);
    bool appendBody(const char* data, qsizetype len);
    void finishBody();
    void fail(HttpErrorKind kind, QString message);

    State m_state = State::Headers;
    Body m_body = Body::None;
    Chunk m_chunk = Chunk::SizeLine;
    qint64 m_remaining = 0;       // Fixed: body bytes left; Chunked/Data: bytes left in this chunk
    qsizetype m_scanFrom = 0;     // header/line search resumes here (bytes already searched)
    qint64 m_maxBody = 0;
    int m_informational = 0;      // 1xx responses skipped so far
    bool m_head = false;
    bool m_gzipRequested = false;
    bool m_gzip = false;          // decoding this body
    bool m_keepAlive = false;
    bool m_receivedAny = false;
    HttpResponse m_response;
    GzipDecoder m_gunzip;
    HttpErrorKind m_errorKind = HttpErrorKind::Transport;
    QString m_error;
};

} // namespace pocket
