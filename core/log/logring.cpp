#include "log/logring.h"

#include <QDateTime>
#include <QMutexLocker>
#include <algorithm>

namespace pocket {

LogRing::LogRing(int capacity) : m_capacity(std::max(1, capacity))
{
    m_ring.reserve(size_t(m_capacity));
}

int LogRing::levelRank(char level)
{
    switch (level) {
    case 'D': return 0;
    case 'I': return 1;
    case 'W': return 2;
    case 'E': return 3;
    default: return -1;
    }
}

void LogRing::append(LogLine line)
{
    QMutexLocker lock(&m_lock);
    line.seq = m_nextSeq++;
    if (m_ring.size() < size_t(m_capacity)) {
        m_ring.push_back(std::move(line));
        return;
    }
    m_ring[m_head] = std::move(line);
    m_head = (m_head + 1) % m_ring.size();
}

QList<LogLine> LogRing::latest(int max, qint64 afterSeq, char minimumLevel) const
{
    QList<LogLine> out;
    if (max <= 0) return out;
    const int minimum = levelRank(minimumLevel);
    QMutexLocker lock(&m_lock);
    const size_t n = m_ring.size();
    // Walk from the newest backwards, then reverse: the newest `max` matching lines, oldest first.
    for (size_t i = 0; i < n && out.size() < max; ++i) {
        const LogLine& line = m_ring[(m_head + n - 1 - i) % n];
        if (line.seq <= afterSeq) break;
        if (levelRank(line.level) < minimum) continue;
        out.append(line);
    }
    std::reverse(out.begin(), out.end());
    return out;
}

qint64 LogRing::lastSeq() const
{
    QMutexLocker lock(&m_lock);
    return m_nextSeq - 1;
}

QString singleLine(QString text)
{
    for (QChar& c : text)
        if (c == QLatin1Char('\n') || c == QLatin1Char('\r')) c = QLatin1Char(' ');
    return text;
}

QByteArray formatLogLine(const LogLine& line)
{
    QByteArray out;
    out.reserve(48 + line.category.size() + line.message.size());
    out += line.level;
    out += '[';
    out += QDateTime::fromMSecsSinceEpoch(line.timeMs, Qt::UTC).toString(Qt::ISODateWithMs).toUtf8();
    out += "] ";
    out += line.category.toUtf8();
    out += ' ';
    out += singleLine(line.message).toUtf8();
    out += '\n';
    return out;
}

} // namespace pocket
