#include "http/httpresponseparser.h"

#include <cstring>

namespace pocket {

namespace {

QByteArrayView trimOws(QByteArrayView s)
{
    while (!s.isEmpty() && (s.front() == ' ' || s.front() == '\t'))
        s = s.sliced(1);
    while (!s.isEmpty() && (s.back() == ' ' || s.back() == '\t'))
        s.chop(1);
    return s;
}

QByteArrayView stripCr(QByteArrayView line)
{
    if (line.endsWith('\r'))
        line.chop(1);
    return line;
}

// Quoted, printable, bounded snippet of peer-sent bytes for an error message.
QString snippet(QByteArrayView s)
{
    QString out = QStringLiteral("\"");
    const qsizetype n = std::min<qsizetype>(s.size(), 64);
    for (qsizetype i = 0; i < n; ++i) {
        const auto c = uchar(s[i]);
        if (c == '"' || c == '\\') {
            out += QLatin1Char('\\');
            out += QLatin1Char(char(c));
        } else if (c >= 0x20 && c < 0x7f) {
            out += QLatin1Char(char(c));
        } else {
            out += QStringLiteral("\\x%1").arg(c, 2, 16, QLatin1Char('0'));
        }
    }
    if (s.size() > n)
        out += QStringLiteral("...");
    out += QLatin1Char('"');
    return out;
}

// Go httpguts.HeaderValuesContainsToken for one comma-separated value.
bool containsToken(QByteArrayView value, QByteArrayView token)
{
    while (!value.isEmpty()) {
        const qsizetype comma = value.indexOf(',');
        const QByteArrayView part = trimOws(comma < 0 ? value : value.first(comma));
        if (part.compare(token, Qt::CaseInsensitive) == 0)
            return true;
        if (comma < 0)
            break;
        value = value.sliced(comma + 1);
    }
    return false;
}

// strconv.Atoi on exactly the status code's three bytes (Go accepts a sign).
bool parseStatusCode(QByteArrayView s, int* out)
{
    if (s.size() != 3)
        return false;
    int sign = 1;
    qsizetype i = 0;
    if (s[0] == '+' || s[0] == '-') {
        sign = s[0] == '-' ? -1 : 1;
        i = 1;
    }
    int v = 0;
    for (; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = sign * v;
    return *out >= 0;
}

bool isHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

} // namespace

void HttpResponseParser::reset(bool headRequest, bool gzipRequested, qint64 maxBodyBytes)
{
    m_state = State::Headers;
    m_body = Body::None;
    m_chunk = Chunk::SizeLine;
    m_remaining = 0;
    m_scanFrom = 0;
    m_maxBody = maxBodyBytes;
    m_informational = 0;
    m_head = headRequest;
    m_gzipRequested = gzipRequested;
    m_gzip = false;
    m_keepAlive = false;
    m_receivedAny = false;
    m_response = HttpResponse();
    m_errorKind = HttpErrorKind::Transport;
    m_error.clear();
}

void HttpResponseParser::fail(HttpErrorKind kind, QString message)
{
    m_state = State::Failed;
    m_errorKind = kind;
    m_error = std::move(message);
    m_keepAlive = false;
}

qsizetype HttpResponseParser::feed(const char* data, qsizetype len)
{
    if (len > 0)
        m_receivedAny = true;
    qsizetype used = 0;
    for (;;) {
        if (m_state == State::Headers) {
            if (used >= len)
                return used;
            const qsizetype n = feedHeaders(data + used, len - used);
            if (n == 0)
                return used;
            used += n;
            continue;
        }
        if (m_state != State::Body)
            return used;
        switch (m_body) {
        case Body::None:
            finishBody();
            continue;
        case Body::Fixed: {
            const qsizetype take = qsizetype(std::min<qint64>(m_remaining, len - used));
            if (take > 0 && !appendBody(data + used, take))
                return used + take;
            used += take;
            m_remaining -= take;
            if (m_remaining == 0)
                finishBody();
            else
                return used;
            continue;
        }
        case Body::UntilClose:
            if (used < len && !appendBody(data + used, len - used))
                return len;
            return len;
        case Body::Chunked: {
            const qsizetype n = feedChunked(data + used, len - used);
            used += n;
            if (m_state == State::Body)
                return used;
            continue;
        }
        }
    }
}

qsizetype HttpResponseParser::feedHeaders(const char* data, qsizetype len)
{
    // An empty first line is an empty status line (Go: malformed HTTP response "").
    if (m_scanFrom == 0 && (data[0] == '\n' || (len >= 2 && data[0] == '\r' && data[1] == '\n'))) {
        fail(HttpErrorKind::Transport, QStringLiteral("malformed HTTP response \"\""));
        return 0;
    }
    qsizetype end = -1;
    qsizetype pos = m_scanFrom;
    while (pos < len) {
        const void* hit = std::memchr(data + pos, '\n', size_t(len - pos));
        if (!hit) {
            pos = len; // no newline up to here: never search these bytes again
            break;
        }
        const qsizetype nl = static_cast<const char*>(hit) - data;
        if (nl + 1 >= len) {
            pos = nl; // look at this newline again when more bytes arrive
            break;
        }
        if (data[nl + 1] == '\n') {
            end = nl + 2;
            break;
        }
        if (data[nl + 1] == '\r') {
            if (nl + 2 >= len) {
                pos = nl;
                break;
            }
            if (data[nl + 2] == '\n') {
                end = nl + 3;
                break;
            }
        }
        pos = nl + 1;
    }
    if (end < 0) {
        m_scanFrom = std::min(pos, len);
        if (len > kMaxHeaderBytes)
            fail(HttpErrorKind::TooLarge,
                 QStringLiteral("server response headers exceeded %1 bytes; aborted").arg(kMaxHeaderBytes));
        return 0;
    }
    m_scanFrom = 0;
    if (end > kMaxHeaderBytes) {
        fail(HttpErrorKind::TooLarge,
             QStringLiteral("server response headers exceeded %1 bytes; aborted").arg(kMaxHeaderBytes));
        return 0;
    }
    if (!parseHeaderBlock(data, end))
        return 0;
    return end;
}

bool HttpResponseParser::parseHeaderBlock(const char* data, qsizetype len)
{
    QByteArrayView block(data, len);
    qsizetype nl = block.indexOf('\n');
    const QByteArrayView statusLine = stripCr(block.first(nl));
    qsizetype pos = nl + 1;

    // Status line, Go http.ReadResponse.
    const qsizetype sp = statusLine.indexOf(' ');
    if (sp < 0) {
        fail(HttpErrorKind::Transport, QStringLiteral("malformed HTTP response %1").arg(snippet(statusLine)));
        return false;
    }
    const QByteArrayView proto = statusLine.first(sp);
    QByteArrayView status = statusLine.sliced(sp + 1);
    while (status.startsWith(' '))
        status = status.sliced(1);
    const qsizetype codeEnd = status.indexOf(' ');
    const QByteArrayView codeText = codeEnd < 0 ? status : status.first(codeEnd);
    int code = 0;
    if (!parseStatusCode(codeText, &code)) {
        fail(HttpErrorKind::Transport, QStringLiteral("malformed HTTP status code %1").arg(snippet(codeText)));
        return false;
    }
    int major = 0;
    int minor = 0;
    if (proto == QByteArrayView("HTTP/1.1")) {
        major = 1;
        minor = 1;
    } else if (proto == QByteArrayView("HTTP/1.0")) {
        major = 1;
    } else if (proto.size() == 8 && proto.startsWith("HTTP/") && proto[6] == '.' && proto[5] >= '0'
               && proto[5] <= '9' && proto[7] >= '0' && proto[7] <= '9') {
        major = proto[5] - '0';
        minor = proto[7] - '0';
    } else {
        fail(HttpErrorKind::Transport, QStringLiteral("malformed HTTP version %1").arg(snippet(proto)));
        return false;
    }

    // Header fields, Go textproto.ReadMIMEHeader (folded lines joined with one space).
    HttpHeaders headers;
    headers.reserve(12);
    while (pos < len) {
        nl = block.indexOf('\n', pos);
        const QByteArrayView line = stripCr(block.sliced(pos, nl - pos));
        pos = nl + 1;
        if (line.isEmpty())
            break;
        if (line.front() == ' ' || line.front() == '\t') {
            if (headers.isEmpty()) {
                fail(HttpErrorKind::Transport,
                     QStringLiteral("malformed MIME header initial line: %1").arg(snippet(line)));
                return false;
            }
            QByteArray& value = headers.back().second;
            value += ' ';
            value += trimOws(line);
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        if (colon < 0) {
            fail(HttpErrorKind::Transport, QStringLiteral("malformed MIME header line: %1").arg(snippet(line)));
            return false;
        }
        if (colon == 0)
            continue; // Go skips empty keys
        headers.emplace_back(line.first(colon).toByteArray(), trimOws(line.sliced(colon + 1)).toByteArray());
    }

    // 1xx other than 101 are informational: skip them, at most 5 (Go transport.readResponse).
    if (code >= 100 && code <= 199 && code != 101) {
        if (++m_informational > 5) {
            fail(HttpErrorKind::Transport, QStringLiteral("net/http: too many 1xx informational responses"));
            return false;
        }
        return true; // stay in State::Headers
    }

    // Connection persistence, Go shouldClose.
    bool hasClose = false;
    bool hasKeepAlive = false;
    QByteArrayView contentLength;
    bool contentLengthSeen = false;
    int transferEncodings = 0;
    QByteArrayView transferEncoding;
    for (const auto& [name, value] : headers) {
        if (name.compare("Connection", Qt::CaseInsensitive) == 0) {
            hasClose = hasClose || containsToken(value, "close");
            hasKeepAlive = hasKeepAlive || containsToken(value, "keep-alive");
        } else if (name.compare("Content-Length", Qt::CaseInsensitive) == 0) {
            const QByteArrayView v = trimOws(value);
            if (contentLengthSeen && v != contentLength) {
                fail(HttpErrorKind::Transport,
                     QStringLiteral("http: message cannot contain multiple Content-Length headers"));
                return false;
            }
            contentLengthSeen = true;
            contentLength = v;
        } else if (name.compare("Transfer-Encoding", Qt::CaseInsensitive) == 0) {
            ++transferEncodings;
            transferEncoding = trimOws(value);
        }
    }
    if (major < 1)
        m_keepAlive = false;
    else if (major == 1 && minor == 0)
        m_keepAlive = hasKeepAlive && !hasClose;
    else
        m_keepAlive = !hasClose;

    // Transfer-Encoding, Go transferReader.parseTransferEncoding (ignored before HTTP/1.1).
    bool chunked = false;
    if (transferEncodings > 0) {
        if (major > 1 || (major == 1 && minor >= 1)) {
            if (transferEncodings != 1) {
                fail(HttpErrorKind::Transport, QStringLiteral("too many transfer encodings"));
                return false;
            }
            if (transferEncoding.compare("chunked", Qt::CaseInsensitive) != 0) {
                fail(HttpErrorKind::Transport,
                     QStringLiteral("unsupported transfer encoding: %1").arg(snippet(transferEncoding)));
                return false;
            }
            chunked = true;
        }
    }

    // Body length, Go fixLength.
    qint64 length = -1;
    if (m_head || code / 100 == 1 || code == 204 || code == 304) {
        length = 0;
    } else if (chunked) {
        length = -1;
    } else if (contentLengthSeen && !contentLength.isEmpty()) {
        qint64 n = 0;
        bool ok = contentLength.size() <= 18;
        for (char c : contentLength) {
            if (c < '0' || c > '9') {
                ok = false;
                break;
            }
            n = n * 10 + (c - '0');
        }
        if (!ok) {
            fail(HttpErrorKind::Transport, QStringLiteral("bad Content-Length %1").arg(snippet(contentLength)));
            return false;
        }
        length = n;
    }

    // Exposed headers: Go drops Transfer-Encoding, Content-Length when chunked, duplicate Content-Length
    // values and an empty Content-Length.
    const QByteArray keptLength = contentLength.toByteArray();
    bool lengthKept = false;
    const bool dropLength = chunked || (contentLengthSeen && contentLength.isEmpty());
    for (qsizetype i = 0; i < headers.size();) {
        const QByteArray& name = headers[i].first;
        bool drop = false;
        if (transferEncodings > 0 && name.compare("Transfer-Encoding", Qt::CaseInsensitive) == 0) {
            drop = true;
        } else if (name.compare("Content-Length", Qt::CaseInsensitive) == 0) {
            drop = dropLength || lengthKept;
            if (!drop) {
                lengthKept = true;
                headers[i].second = keptLength;
            }
        }
        if (drop)
            headers.removeAt(i);
        else
            ++i;
    }

    // Transparent gzip (Go transport: only when the client itself asked for gzip).
    if (m_gzipRequested) {
        QByteArrayView encoding;
        bool found = false;
        for (const auto& [name, value] : headers) {
            if (name.compare("Content-Encoding", Qt::CaseInsensitive) == 0) {
                encoding = value;
                found = true;
                break;
            }
        }
        if (found && encoding.compare("gzip", Qt::CaseInsensitive) == 0) {
            m_gzip = true;
            m_gunzip.reset();
            headers.removeIf([](const auto& h) {
                return h.first.compare("Content-Encoding", Qt::CaseInsensitive) == 0
                       || h.first.compare("Content-Length", Qt::CaseInsensitive) == 0;
            });
        }
    }

    m_response.status = code;
    m_response.headers = std::move(headers);
    if (code == 101)
        m_keepAlive = false; // the connection now speaks another protocol

    if (length == 0) {
        m_body = Body::None;
    } else if (chunked) {
        m_body = Body::Chunked;
        m_chunk = Chunk::SizeLine;
    } else if (length > 0) {
        if (length > m_maxBody) {
            fail(HttpErrorKind::TooLarge,
                 QStringLiteral("response body of %1 bytes exceeds the limit of %2").arg(length).arg(m_maxBody));
            return false;
        }
        m_body = Body::Fixed;
        m_remaining = length;
        if (!m_gzip)
            m_response.body.reserve(qsizetype(length));
    } else {
        // No length and not chunked: the body runs until the server closes (Go sets Close).
        m_body = Body::UntilClose;
        m_keepAlive = false;
    }
    m_state = State::Body;
    return true;
}

qsizetype HttpResponseParser::feedChunked(const char* data, qsizetype len)
{
    qsizetype used = 0;
    while (used < len && m_state == State::Body) {
        switch (m_chunk) {
        case Chunk::SizeLine: {
            const qsizetype from = used + m_scanFrom;
            const void* hit = from < len ? std::memchr(data + from, '\n', size_t(len - from)) : nullptr;
            if (!hit) {
                if (len - used >= kMaxChunkLine) {
                    fail(HttpErrorKind::BodyRead, QStringLiteral("header line too long"));
                    return used;
                }
                m_scanFrom = len - used;
                return used;
            }
            m_scanFrom = 0;
            const qsizetype nl = static_cast<const char*>(hit) - data;
            if (nl - used >= kMaxChunkLine) {
                fail(HttpErrorKind::BodyRead, QStringLiteral("header line too long"));
                return used;
            }
            // Go internal/chunked: trim trailing whitespace, drop extensions, parse hex.
            QByteArrayView line(data + used, nl - used);
            while (!line.isEmpty()
                   && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r' || line.back() == '\n'))
                line.chop(1);
            if (const qsizetype semi = line.indexOf(';'); semi >= 0)
                line = line.first(semi);
            if (line.isEmpty()) {
                fail(HttpErrorKind::BodyRead, QStringLiteral("empty hex number for chunk length"));
                return used;
            }
            quint64 n = 0;
            for (qsizetype i = 0; i < line.size(); ++i) {
                const char c = line[i];
                if (!isHexDigit(c)) {
                    fail(HttpErrorKind::BodyRead, QStringLiteral("invalid byte in chunk length"));
                    return used;
                }
                if (i == 16) {
                    fail(HttpErrorKind::BodyRead, QStringLiteral("http chunk length too large"));
                    return used;
                }
                n = n << 4 | quint64(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
            }
            used = nl + 1;
            if (n == 0) {
                m_chunk = Chunk::Trailer;
            } else {
                if (n > quint64(m_maxBody) || (!m_gzip && qint64(n) > m_maxBody - m_response.body.size())) {
                    fail(HttpErrorKind::TooLarge,
                         QStringLiteral("response body exceeds the limit of %1 bytes").arg(m_maxBody));
                    return used;
                }
                m_chunk = Chunk::Data;
                m_remaining = qint64(n);
            }
            break;
        }
        case Chunk::Data: {
            const qsizetype take = qsizetype(std::min<qint64>(m_remaining, len - used));
            if (!appendBody(data + used, take))
                return used + take;
            used += take;
            m_remaining -= take;
            if (m_remaining == 0)
                m_chunk = Chunk::DataEnd;
            break;
        }
        case Chunk::DataEnd:
            if (len - used < 2)
                return used;
            if (data[used] != '\r' || data[used + 1] != '\n') {
                fail(HttpErrorKind::BodyRead, QStringLiteral("malformed chunked encoding"));
                return used;
            }
            used += 2;
            m_chunk = Chunk::SizeLine;
            break;
        case Chunk::Trailer: {
            const qsizetype from = used + m_scanFrom;
            const void* hit = from < len ? std::memchr(data + from, '\n', size_t(len - from)) : nullptr;
            if (!hit) {
                if (len - used >= kMaxHeaderBytes) {
                    fail(HttpErrorKind::TooLarge,
                         QStringLiteral("server response headers exceeded %1 bytes; aborted").arg(kMaxHeaderBytes));
                    return used;
                }
                m_scanFrom = len - used;
                return used;
            }
            m_scanFrom = 0;
            const qsizetype nl = static_cast<const char*>(hit) - data;
            const QByteArrayView line = stripCr(QByteArrayView(data + used, nl - used));
            used = nl + 1;
            if (line.isEmpty()) {
                finishBody();
                break;
            }
            const qsizetype colon = line.indexOf(':');
            if (colon < 0 || line.front() == ' ' || line.front() == '\t') {
                fail(HttpErrorKind::BodyRead, QStringLiteral("malformed MIME header line: %1").arg(snippet(line)));
                return used;
            }
            if (colon > 0)
                m_response.trailers.emplace_back(line.first(colon).toByteArray(),
                                                 trimOws(line.sliced(colon + 1)).toByteArray());
            break;
        }
        }
    }
    return used;
}

bool HttpResponseParser::appendBody(const char* data, qsizetype len)
{
    if (m_gzip) {
        if (m_gunzip.feed(data, len, m_response.body, m_maxBody))
            return true;
        fail(m_gunzip.tooLarge() ? HttpErrorKind::TooLarge : HttpErrorKind::BodyRead, m_gunzip.error());
        return false;
    }
    if (qint64(m_response.body.size()) + len > m_maxBody) {
        fail(HttpErrorKind::TooLarge, QStringLiteral("response body exceeds the limit of %1 bytes").arg(m_maxBody));
        return false;
    }
    m_response.body.append(data, len);
    return true;
}

void HttpResponseParser::finishBody()
{
    if (m_gzip && !m_gunzip.finish()) {
        fail(HttpErrorKind::BodyRead, m_gunzip.error());
        return;
    }
    m_state = State::Done;
}

void HttpResponseParser::finishOnEof()
{
    switch (m_state) {
    case State::Headers:
        fail(HttpErrorKind::Transport,
             m_receivedAny ? QStringLiteral("unexpected EOF while reading the response headers")
                           : QStringLiteral("EOF: the server closed the connection without a response"));
        return;
    case State::Body:
        if (m_body == Body::UntilClose || m_body == Body::None) {
            finishBody();
            return;
        }
        fail(HttpErrorKind::BodyRead, QStringLiteral("unexpected EOF"));
        return;
    case State::Done:
    case State::Failed:
        return;
    }
}

} // namespace pocket
