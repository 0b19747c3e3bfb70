#include "http/gzipdecoder.h"

#include <algorithm>

#include <zlib.h>

namespace pocket {

struct GzipDecoder::State {
    z_stream z{};
    bool initialised = false;
    bool inMember = false;  // inside a gzip member (header seen or partially seen)
    bool failed = false;
};

GzipDecoder::GzipDecoder() : m_state(std::make_unique<State>()) {}

GzipDecoder::~GzipDecoder()
{
    if (m_state->initialised)
        inflateEnd(&m_state->z);
}

void GzipDecoder::reset()
{
    if (m_state->initialised)
        inflateReset(&m_state->z);
    m_state->inMember = false;
    m_state->failed = false;
    m_error.clear();
    m_tooLarge = false;
}

bool GzipDecoder::feed(const char* data, qsizetype len, QByteArray& out, qint64 maxOut)
{
    State& s = *m_state;
    if (s.failed)
        return false;
    if (!s.initialised) {
        // 16 + MAX_WBITS: gzip wrapper only (no zlib/raw auto-detection), like Go's gzip.Reader.
        if (inflateInit2(&s.z, 16 + MAX_WBITS) != Z_OK) {
            s.failed = true;
            m_error = QStringLiteral("gzip: cannot initialise zlib");
            return false;
        }
        s.initialised = true;
    }
    s.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    qsizetype remaining = len;
    while (remaining > 0) {
        // zlib counts in uInt; feed at most 1 GiB per call.
        const uInt chunkIn = uInt(std::min<qsizetype>(remaining, qsizetype(1) << 30));
        s.z.avail_in = chunkIn;
        while (s.z.avail_in > 0) {
            s.inMember = true; // any byte starts (or continues) a member
            const qsizetype before = out.size();
            // Let zlib write at most one byte past the limit: that byte proves the body is too large.
            const qsizetype room = std::clamp<qsizetype>(qsizetype(s.z.avail_in) * 4, 16384, 1 << 20);
            const qsizetype grow = std::max<qsizetype>(1, std::min<qsizetype>(room, qsizetype(maxOut - before + 1)));
            out.resize(before + grow);
            s.z.next_out = reinterpret_cast<Bytef*>(out.data() + before);
            s.z.avail_out = uInt(grow);
            const int rc = inflate(&s.z, Z_NO_FLUSH);
            out.resize(before + (grow - qsizetype(s.z.avail_out)));
            if (qint64(out.size()) > maxOut) {
                s.failed = true;
                m_tooLarge = true;
                m_error = QStringLiteral("decompressed body exceeds %1 bytes").arg(maxOut);
                return false;
            }
            if (rc == Z_STREAM_END) {
                // A member ended; the next byte (if any) must start a new member.
                s.inMember = false;
                inflateReset(&s.z);
                continue;
            }
            if (rc == Z_BUF_ERROR && s.z.avail_out > 0) {
                // No progress possible with this input (should not happen with avail_in > 0).
                break;
            }
            if (rc != Z_OK && rc != Z_BUF_ERROR) {
                s.failed = true;
                const bool header = rc == Z_DATA_ERROR && s.z.msg
                                    && (qstrcmp(s.z.msg, "incorrect header check") == 0
                                        || qstrcmp(s.z.msg, "unknown compression method") == 0);
                m_error = header ? QStringLiteral("gzip: invalid header")
                                 : QStringLiteral("flate: corrupt input (%1)")
                                       .arg(QString::fromLatin1(s.z.msg ? s.z.msg : "zlib error"));
                return false;
            }
        }
        remaining -= chunkIn;
    }
    return true;
}

bool GzipDecoder::finish()
{
    if (m_state->failed)
        return false;
    if (m_state->inMember) {
        m_state->failed = true;
        m_error = QStringLiteral("unexpected EOF");
        return false;
    }
    return true;
}

} // namespace pocket
