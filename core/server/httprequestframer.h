#pragma once
// Incremental HTTP/1.x request framing: where each request head and body ends, and the limits.
//
// QHttpServer 6.4 has no limits at all (QT64-NOTES), so every connection runs this framer over the bytes
// *before* QHttpServer reads them (peeked, not consumed). It decides the header-size limit (431), the body
// limit (413, PROTOCOL §6.4, chunked bodies counted too), keep-alive, Expect, and refuses what it does not
// understand exactly. It is deliberately stricter than QHttpServer's own parser so that the two never
// disagree about where a request ends: two different Content-Lengths, Content-Length together with
// chunked, transfer codings other than chunked, bare-LF chunk framing, chunk trailers and obsolete line
// folding are refused (Go's net/http refuses most of these too).
#include <QByteArray>

#include "server/serverrequest.h"

namespace pocket {

struct RequestHead
{
    QByteArray method;
    QByteArray target;
    int minorVersion = 1;
    HttpHeaderList headers;
    qint64 contentLength = 0; // body length when !chunked
    bool chunked = false;
    bool keepAlive = true;       // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with keep-alive
    bool expectContinue = false; // "Expect: 100-continue" on an HTTP/1.1 request with a body
};

class HttpRequestFramer
{
public:
    enum class Event {
        NeedMore,        // all given bytes consumed, the request is not complete
        HeadComplete,    // head parsed, a body follows (head() is valid)
        MessageComplete, // the request is complete (head() is valid); the next byte starts a new one
        Error,           // refused: errorStatus(), errorDetail(); feed no more bytes
    };
    struct Step
    {
        qsizetype consumed = 0;
        Event event = Event::NeedMore;
    };

    HttpRequestFramer(qint64 maxHeaderBytes, qint64 maxBodyBytes);

    // Consumes bytes of data[0..n) up to the next event.
    Step feed(const char* data, qsizetype n);
    // Bytes of a Content-Length body still expected; lets the caller count body bytes without copying them.
    qint64 fixedBodyRemaining() const { return m_state == State::FixedBody ? m_remaining : 0; }
    // Counts n (<= fixedBodyRemaining()) body bytes.
    Step skipFixedBody(qint64 n);

    bool inMessage() const { return m_state != State::Idle && m_state != State::Failed; }
    bool inHead() const { return m_state == State::Head; }
    bool inBody() const { return inMessage() && m_state != State::Head; }
    qint64 bodyReceived() const { return m_bodyReceived; }
    const RequestHead& head() const { return m_head; }
    int errorStatus() const { return m_errorStatus; }
    // Go's text for the refusal (e.g. "missing required Host header"); empty for a plain status.
    QByteArray errorDetail() const { return m_errorDetail; }

private:
    enum class State { Idle, Head, FixedBody, ChunkSize, ChunkData, ChunkDataCr, ChunkDataLf, ChunkEnd, ChunkEndLf, Failed };

    Step fail(qsizetype consumed, int status, QByteArray detail = {});
    Step bodyBytes(qsizetype consumed, qint64 n);
    // Parses m_headBuf into m_head; on failure sets the error and returns false.
    bool parseHead();
    bool parseChunkSizeLine();

    const qint64 m_maxHeaderBytes;
    const qint64 m_maxBodyBytes;
    State m_state = State::Idle;
    QByteArray m_headBuf;  // request line + header lines of the current request (<= m_maxHeaderBytes)
    qsizetype m_lineStart = 0;
    QByteArray m_lineBuf;  // current chunk-size line
    qint64 m_remaining = 0;
    qint64 m_bodyReceived = 0;
    RequestHead m_head;
    int m_errorStatus = 0;
    QByteArray m_errorDetail;
};

} // namespace pocket
