#pragma once
// One problem found in a data-directory file (config.json, key file, auth files, chains.json, chain name
// map). Errors stop start-up; warnings are printed and the node runs. Every issue names the file, the key (or
// the element path such as "[1].keys[0]") and what was expected (STYLE 4). Issues never contain a token, a
// private key or a password: the code that builds them masks those values.
#include <QList>
#include <QString>

namespace pocket {

struct ConfigIssue
{
    QString file;    // as shown to the user: relative to data_dir when inside it, else absolute
    QString key;     // config key ("rpc_port") or element path ("[1].keys[0]"); empty for the whole file
    QString message; // what is wrong and what was expected
    bool isWarning = false;
    int line = 0; // 1-based line in the file when known, else 0

    // `config/config.json:4: key "rpc_port": expected a string, got number`
    // `key/key.json: [1].keys[0]: ...` (element paths are shown as they are)
    QString toString() const;
};

// An ordered collection of issues with helpers for the common cases.
class ConfigIssues
{
public:
    void error(const QString& file, const QString& key, const QString& message, int line = 0);
    void warning(const QString& file, const QString& key, const QString& message, int line = 0);
    void add(const ConfigIssue& issue) { m_list.append(issue); }
    void append(const ConfigIssues& other) { m_list.append(other.m_list); }

    bool hasErrors() const;
    int errorCount() const;
    int warningCount() const;
    QList<ConfigIssue> errors() const;
    QList<ConfigIssue> warnings() const;
    const QList<ConfigIssue>& all() const { return m_list; }
    bool isEmpty() const { return m_list.isEmpty(); }

private:
    QList<ConfigIssue> m_list;
};

// A value parsed from a file together with what was found on the way. `value` is meaningful only when
// ok(); it holds the best effort otherwise (useful for reporting more errors).
template <typename T> struct ConfigResult
{
    T value{};
    ConfigIssues issues;

    bool ok() const { return !issues.hasErrors(); }
};

} // namespace pocket
