#pragma once
// The latest log lines, kept in memory for the admin API (`GET /v1/private/mesh/logs`) and the dashboard.
// Written from any thread by the message handler, read by the HTTP threads: one mutex, held only to copy.
// Lines arrive already formatted as one line each (no newline inside) and free of secrets: nothing that
// logs may carry a token, a private key or a chain credential (STYLE, DECISIONS 8).
#include <QByteArray>
#include <QList>
#include <QMutex>
#include <QString>
#include <vector>

namespace pocket {

struct LogLine
{
    qint64 seq = 0;    // 1, 2, 3 … in arrival order; lets a reader ask only for what it has not seen
    qint64 timeMs = 0; // ms since the epoch, UTC
    char level = 'I';  // D, I, W, E (Qt critical and fatal are E)
    QString category;  // Qt logging category, e.g. pocket.notify
    QString message;   // one line
};

class LogRing
{
public:
    explicit LogRing(int capacity = 2000);

    void append(LogLine line); // assigns seq
    // At most `max` of the newest lines with seq > afterSeq and a level at least `minimumLevel`
    // (D < I < W < E), oldest first.
    QList<LogLine> latest(int max, qint64 afterSeq = 0, char minimumLevel = 'D') const;
    qint64 lastSeq() const;
    int capacity() const { return m_capacity; }

    static int levelRank(char level); // D 0, I 1, W 2, E 3; -1 for anything else

private:
    const int m_capacity;
    mutable QMutex m_lock; // guards everything below
    std::vector<LogLine> m_ring;
    qint64 m_nextSeq = 1;
    size_t m_head = 0; // index of the oldest line once the ring is full
};

// One log line as written to stderr: `I[2026-11-23T10:00:00.000Z] pocket.mesh message` — newlines and
// carriage returns in the message become spaces, so every event is exactly one line (PROTOCOL §12.3).
QByteArray formatLogLine(const LogLine& line);
QString singleLine(QString text);

} // namespace pocket
