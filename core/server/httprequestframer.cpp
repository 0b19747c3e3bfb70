#include "server/httprequestframer.h"

#include <cstring>

namespace pocket {

namespace {

bool isTokenChar(char c)
{
    // RFC 9110 tchar.
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

bool isToken(QByteArrayView s)
{
    if (s.isEmpty()) return false;
    for (char c : s)
        if (!isTokenChar(c)) return false;
    return true;
}

QByteArrayView trimOws(QByteArrayView s)
{
    while (!s.isEmpty() && (s.front() == ' ' || s.front() == '\t')) s = s.sliced(1);
    while (!s.isEmpty() && (s.back() == ' ' || s.back() == '\t')) s.chop(1);
    return s;
}

bool validFieldValue(QByteArrayView v)
{
    for (char ch : v) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    }
    return true;
}

bool validTarget(QByteArrayView t)
{
    if (t.isEmpty()) return false;
    for (char ch : t) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == 0x7f) return false;
    }
    return t.front() == '/' || t == "*" || t.startsWith("http://") || t.startsWith("https://");
}

bool equalsIgnoreCase(QByteArrayView a, QByteArrayView b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

// Comma-separated tokens of a Connection header, e.g. "keep-alive, Upgrade".
bool hasConnectionToken(QByteArrayView value, QByteArrayView token)
{
    while (!value.isEmpty()) {
        const qsizetype comma = value.indexOf(',');
        const QByteArrayView item = trimOws(comma < 0 ? value : value.first(comma));
        if (equalsIgnoreCase(item, token)) return true;
        if (comma < 0) break;
        value = value.sliced(comma + 1);
    }
    return false;
}

// Decimal digits only, as Go's parseContentLength; -1 when invalid or absurdly large.
qint64 parseContentLength(QByteArrayView s)
{
    if (s.isEmpty() || s.size() > 18) return -1;
    qint64 v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

} // namespace

HttpRequestFramer::HttpRequestFramer(qint64 maxHeaderBytes, qint64 maxBodyBytes)
    : m_maxHeaderBytes(maxHeaderBytes), m_maxBodyBytes(maxBodyBytes)
{
}

HttpRequestFramer::Step HttpRequestFramer::fail(qsizetype consumed, int status, QByteArray detail)
{
    m_state = State::Failed;
    m_errorStatus = status;
    m_errorDetail = std::move(detail);
    return {consumed, Event::Error};
}

HttpRequestFramer::Step HttpRequestFramer::skipFixedBody(qint64 n)
{
    return bodyBytes(0, qMin(n, fixedBodyRemaining()));
}

// Counts n bytes of fixed-length body on top of `consumed` already taken in this step.
HttpRequestFramer::Step HttpRequestFramer::bodyBytes(qsizetype consumed, qint64 n)
{
    m_remaining -= n;
    m_bodyReceived += n;
    if (m_remaining == 0) {
        m_state = State::Idle;
        return {consumed + qsizetype(n), Event::MessageComplete};
    }
    return {consumed + qsizetype(n), Event::NeedMore};
}

HttpRequestFramer::Step HttpRequestFramer::feed(const char* data, qsizetype n)
{
    qsizetype i = 0;
    while (i < n) {
        switch (m_state) {
        case State::Failed:
            return {i, Event::Error};
        case State::Idle:
            // Empty lines before a request line are ignored (RFC 9112 §2.2), as QHttpServer does.
            if (data[i] == '\r' || data[i] == '\n') {
                ++i;
                continue;
            }
            m_state = State::Head;
            m_head = RequestHead();
            m_headBuf.clear();
            m_lineStart = 0;
            m_bodyReceived = 0;
            m_remaining = 0;
            continue;
        case State::Head: {
            const auto* nl = static_cast<const char*>(std::memchr(data + i, '\n', size_t(n - i)));
            const qsizetype take = nl ? qsizetype(nl - (data + i)) + 1 : n - i;
            if (m_headBuf.size() + take > m_maxHeaderBytes) return fail(i, 431);
            m_headBuf.append(data + i, take);
            i += take;
            if (!nl) continue;
            // A line ended. An empty line ("\n" or "\r\n") after the request line ends the head; that is
            // also exactly where QHttpServer 6.4 stops reading headers.
            const qsizetype lineLen = m_headBuf.size() - m_lineStart;
            const bool emptyLine = lineLen == 1 || (lineLen == 2 && m_headBuf.at(m_lineStart) == '\r');
            if (!emptyLine || m_lineStart == 0) {
                m_lineStart = m_headBuf.size();
                continue;
            }
            if (!parseHead()) return fail(i, m_errorStatus, m_errorDetail);
            if (m_head.chunked) {
                m_state = State::ChunkSize;
                m_lineBuf.clear();
                return {i, Event::HeadComplete};
            }
            if (m_head.contentLength > 0) {
                if (m_head.contentLength > m_maxBodyBytes) return fail(i, 413);
                m_state = State::FixedBody;
                m_remaining = m_head.contentLength;
                return {i, Event::HeadComplete};
            }
            m_state = State::Idle;
            return {i, Event::MessageComplete};
        }
        case State::FixedBody:
            return bodyBytes(i, qMin<qint64>(n - i, m_remaining));
        case State::ChunkSize: {
            const auto* nl = static_cast<const char*>(std::memchr(data + i, '\n', size_t(n - i)));
            const qsizetype take = nl ? qsizetype(nl - (data + i)) + 1 : n - i;
            if (m_lineBuf.size() + take > 4096) return fail(i, 400);
            m_lineBuf.append(data + i, take);
            i += take;
            if (!nl) continue;
            if (!parseChunkSizeLine()) return fail(i, m_errorStatus);
            continue;
        }
        case State::ChunkData: {
            const qint64 k = qMin<qint64>(n - i, m_remaining);
            i += qsizetype(k);
            m_remaining -= k;
            m_bodyReceived += k;
            if (m_remaining == 0) m_state = State::ChunkDataCr;
            continue;
        }
        case State::ChunkDataCr:
        case State::ChunkEnd:
            // Exactly CRLF: QHttpServer 6.4 reads these two bytes blindly; trailers are not supported.
            if (data[i] != '\r') return fail(i, 400);
            ++i;
            m_state = m_state == State::ChunkDataCr ? State::ChunkDataLf : State::ChunkEndLf;
            continue;
        case State::ChunkDataLf:
            if (data[i] != '\n') return fail(i, 400);
            ++i;
            m_state = State::ChunkSize;
            m_lineBuf.clear();
            continue;
        case State::ChunkEndLf:
            if (data[i] != '\n') return fail(i, 400);
            ++i;
            m_state = State::Idle;
            return {i, Event::MessageComplete};
        }
    }
    return {i, m_state == State::Failed ? Event::Error : Event::NeedMore};
}

bool HttpRequestFramer::parseChunkSizeLine()
{
    QByteArrayView line(m_lineBuf);
    if (!line.endsWith("\r\n")) {
        m_errorStatus = 400;
        return false;
    }
    line.chop(2);
    if (const qsizetype semi = line.indexOf(';'); semi >= 0) line = line.first(semi);
    line = trimOws(line);
    if (line.isEmpty() || line.size() > 15) {
        m_errorStatus = 400;
        return false;
    }
    qint64 size = 0;
    for (char c : line) {
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else {
            m_errorStatus = 400;
            return false;
        }
        size = size * 16 + d;
    }
    if (size == 0) {
        m_state = State::ChunkEnd;
        return true;
    }
    // PROTOCOL §6.4 applies to the de-chunked body.
    if (m_bodyReceived + size > m_maxBodyBytes) {
        m_errorStatus = 413;
        return false;
    }
    m_remaining = size;
    m_state = State::ChunkData;
    return true;
}

bool HttpRequestFramer::parseHead()
{
    m_errorStatus = 400;
    m_errorDetail.clear();
    QByteArrayView rest(m_headBuf);
    auto nextLine = [&rest]() {
        const qsizetype nl = rest.indexOf('\n');
        QByteArrayView line = rest.first(nl);
        rest = rest.sliced(nl + 1);
        if (line.endsWith('\r')) line.chop(1);
        return line;
    };

    // Request line: method SP target SP version, single spaces as Go's parseRequestLine.
    const QByteArrayView requestLine = nextLine();
    const qsizetype sp1 = requestLine.indexOf(' ');
    if (sp1 <= 0) return false;
    const qsizetype sp2 = requestLine.indexOf(' ', sp1 + 1);
    if (sp2 < 0) return false;
    const QByteArrayView method = requestLine.first(sp1);
    const QByteArrayView target = requestLine.sliced(sp1 + 1, sp2 - sp1 - 1);
    const QByteArrayView version = requestLine.sliced(sp2 + 1);
    if (!isToken(method) || !validTarget(target)) return false;
    if (version == "HTTP/1.1") {
        m_head.minorVersion = 1;
    } else if (version == "HTTP/1.0") {
        m_head.minorVersion = 0;
    } else {
        if (version.size() == 8 && version.startsWith("HTTP/") && version.at(6) == '.') {
            m_errorStatus = 505;
            m_errorDetail = "unsupported protocol version";
        }
        return false;
    }
    if (target == "*" && method != "OPTIONS") return false;
    m_head.method = method.toByteArray();
    m_head.target = target.toByteArray();

    int hosts = 0;
    int transferEncodings = 0;
    QByteArrayView contentLength;
    bool haveContentLength = false;
    QByteArrayView connection;
    QByteArrayView expect;
    QByteArrayView upgrade;
    while (!rest.isEmpty()) {
        const QByteArrayView line = nextLine();
        if (line.isEmpty()) break; // the blank line that ended the head
        const qsizetype colon = line.indexOf(':');
        // No name, whitespace in or before the name, or a folded continuation line: malformed.
        if (colon <= 0 || !isToken(line.first(colon))) return false;
        const QByteArrayView name = line.first(colon);
        const QByteArrayView value = trimOws(line.sliced(colon + 1));
        if (!validFieldValue(value)) return false;
        m_head.headers.emplace_back(name.toByteArray(), value.toByteArray());

        if (equalsIgnoreCase(name, "host")) {
            ++hosts;
        } else if (equalsIgnoreCase(name, "content-length")) {
            if (haveContentLength && value != contentLength) return false;
            haveContentLength = true;
            contentLength = value;
        } else if (equalsIgnoreCase(name, "transfer-encoding")) {
            ++transferEncodings;
            if (!equalsIgnoreCase(value, "chunked")) {
                m_errorStatus = 501;
                return false;
            }
        } else if (equalsIgnoreCase(name, "connection")) {
            connection = value;
        } else if (equalsIgnoreCase(name, "expect")) {
            expect = value;
        } else if (equalsIgnoreCase(name, "upgrade")) {
            upgrade = value;
        }
    }

    // Go's net/http: HTTP/1.1 needs exactly one Host header.
    if (hosts > 1) {
        m_errorDetail = "too many Host headers";
        return false;
    }
    if (hosts == 0 && m_head.minorVersion == 1) {
        m_errorDetail = "missing required Host header";
        return false;
    }
    if (transferEncodings > 1) {
        m_errorStatus = 501;
        return false;
    }
    if (transferEncodings == 1) {
        // Chunked with a Content-Length, or on HTTP/1.0 (where Go ignores Transfer-Encoding but
        // QHttpServer does not): the two parsers would disagree, refuse.
        if (haveContentLength || m_head.minorVersion == 0) return false;
        m_head.chunked = true;
    } else if (haveContentLength) {
        m_head.contentLength = parseContentLength(contentLength);
        if (m_head.contentLength < 0) return false;
    }

    m_head.keepAlive = m_head.minorVersion == 1 ? !hasConnectionToken(connection, "close")
                                                : hasConnectionToken(connection, "keep-alive");
    // QHttpServer 6.4 hands a WebSocket upgrade to its WebSocket server and then drops the connection
    // without an answer; nothing here speaks WebSocket, so refuse it cleanly. (Same test as QHttpServer.)
    if (QByteArray(connection.toByteArray()).toLower().contains("upgrade") && equalsIgnoreCase(upgrade, "websocket")) {
        m_errorDetail = "WebSocket is not supported";
        return false;
    }
    if (!expect.isEmpty()) {
        const bool hasBody = m_head.chunked || m_head.contentLength > 0;
        if (!equalsIgnoreCase(expect, "100-continue")) {
            m_errorStatus = 417;
            return false;
        }
        m_head.expectContinue = m_head.minorVersion == 1 && hasBody;
    }
    m_errorStatus = 0;
    return true;
}

} // namespace pocket
