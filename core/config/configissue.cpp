#include "config/configissue.h"

namespace pocket {

QString ConfigIssue::toString() const
{
    QString out = file;
    if (line > 0) out += QLatin1Char(':') + QString::number(line);
    if (!key.isEmpty()) {
        if (key.startsWith(QLatin1Char('[')))
            out += QStringLiteral(": ") + key;
        else
            out += QStringLiteral(": key \"") + key + QLatin1Char('"');
    }
    out += QStringLiteral(": ") + message;
    return out;
}

void ConfigIssues::error(const QString& file, const QString& key, const QString& message, int line)
{
    m_list.append(ConfigIssue{file, key, message, false, line});
}

void ConfigIssues::warning(const QString& file, const QString& key, const QString& message, int line)
{
    m_list.append(ConfigIssue{file, key, message, true, line});
}

bool ConfigIssues::hasErrors() const
{
    for (const ConfigIssue& i : m_list)
        if (!i.isWarning) return true;
    return false;
}

int ConfigIssues::errorCount() const
{
    int n = 0;
    for (const ConfigIssue& i : m_list)
        n += i.isWarning ? 0 : 1;
    return n;
}

int ConfigIssues::warningCount() const
{
    return int(m_list.size()) - errorCount();
}

QList<ConfigIssue> ConfigIssues::errors() const
{
    QList<ConfigIssue> out;
    for (const ConfigIssue& i : m_list)
        if (!i.isWarning) out.append(i);
    return out;
}

QList<ConfigIssue> ConfigIssues::warnings() const
{
    QList<ConfigIssue> out;
    for (const ConfigIssue& i : m_list)
        if (i.isWarning) out.append(i);
    return out;
}

} // namespace pocket
