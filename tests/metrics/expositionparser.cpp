#include "expositionparser.h"

#include <QRegularExpression>
#include <QSet>
#include <cmath>
#include <cstdlib>

namespace pocket::test {

namespace {

bool isMetricName(const QByteArray& s)
{
    static const QRegularExpression re(QStringLiteral("^[a-zA-Z_:][a-zA-Z0-9_:]*$"));
    return re.match(QString::fromLatin1(s)).hasMatch();
}

bool isLabelName(const QByteArray& s)
{
    static const QRegularExpression re(QStringLiteral("^[a-zA-Z_][a-zA-Z0-9_]*$"));
    return re.match(QString::fromLatin1(s)).hasMatch() && !s.startsWith("__");
}

bool parseFloat(const QByteArray& s, double* out)
{
    if (s.isEmpty()) return false;
    if (s == "+Inf" || s == "Inf") return *out = INFINITY, true;
    if (s == "-Inf") return *out = -INFINITY, true;
    if (s == "NaN") return *out = NAN, true;
    // Digits, sign, point and exponent only (no hex floats, no "inf" spelled otherwise).
    static const QRegularExpression re(QStringLiteral("^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?$"));
    if (!re.match(QString::fromLatin1(s)).hasMatch()) return false;
    *out = std::strtod(s.constData(), nullptr);
    return true;
}

// Unescapes a HELP text (\\ and \n only).
bool unescapeHelp(const QByteArray& s, QByteArray* out)
{
    out->clear();
    for (qsizetype i = 0; i < s.size(); ++i) {
        if (s[i] != '\\') {
            out->append(s[i]);
            continue;
        }
        if (++i >= s.size()) return false;
        if (s[i] == '\\') out->append('\\');
        else if (s[i] == 'n') out->append('\n');
        else return false;
    }
    return true;
}

QByteArray seriesKey(const ParsedSample& s, bool withoutLe = false)
{
    QByteArray key = s.name + '{';
    for (auto it = s.labels.cbegin(); it != s.labels.cend(); ++it) {
        if (withoutLe && it.key() == "le") continue;
        key += it.key() + "=" + it.value() + '\x01';
    }
    return key + '}';
}

// name{labels} value [timestamp]; returns an error text or an empty string.
QString parseSample(const QByteArray& line, ParsedSample* sample)
{
    qsizetype i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    sample->name = line.left(i);
    if (!isMetricName(sample->name)) return QStringLiteral("bad metric name \"%1\"").arg(QString::fromUtf8(sample->name));
    if (i < line.size() && line[i] == '{') {
        ++i;
        while (true) {
            if (i >= line.size()) return QStringLiteral("unterminated label set");
            if (line[i] == '}') {
                ++i;
                break;
            }
            const qsizetype eq = line.indexOf('=', i);
            if (eq < 0) return QStringLiteral("label without '='");
            const QByteArray name = line.mid(i, eq - i);
            if (!isLabelName(name)) return QStringLiteral("bad label name \"%1\"").arg(QString::fromUtf8(name));
            if (sample->labels.contains(name)) return QStringLiteral("label \"%1\" twice").arg(QString::fromUtf8(name));
            i = eq + 1;
            if (i >= line.size() || line[i] != '"') return QStringLiteral("label value not quoted");
            ++i;
            QByteArray value;
            bool closed = false;
            while (i < line.size()) {
                const char c = line[i++];
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\') {
                    if (i >= line.size()) return QStringLiteral("dangling backslash in label value");
                    const char e = line[i++];
                    if (e == '\\') value += '\\';
                    else if (e == '"') value += '"';
                    else if (e == 'n') value += '\n';
                    else return QStringLiteral("bad escape \\%1 in label value").arg(QChar::fromLatin1(e));
                } else {
                    value += c;
                }
            }
            if (!closed) return QStringLiteral("unterminated label value");
            if (QString::fromUtf8(value).toUtf8() != value) return QStringLiteral("label value is not UTF-8");
            sample->labels.insert(name, value);
            sample->labelOrder.append(name);
            if (i < line.size() && line[i] == ',') ++i;
            else if (i < line.size() && line[i] != '}') return QStringLiteral("expected ',' or '}' after a label");
        }
    }
    if (i >= line.size() || line[i] != ' ') return QStringLiteral("no space before the value");
    const QList<QByteArray> rest = line.mid(i + 1).split(' ');
    if (rest.isEmpty() || rest.size() > 2) return QStringLiteral("expected a value and an optional timestamp");
    if (!parseFloat(rest[0], &sample->value)) return QStringLiteral("bad value \"%1\"").arg(QString::fromUtf8(rest[0]));
    if (rest.size() == 2) {
        bool ok = false;
        rest[1].toLongLong(&ok);
        if (!ok) return QStringLiteral("bad timestamp");
    }
    return {};
}

bool belongsTo(const ParsedFamily& f, const QByteArray& sampleName)
{
    if (sampleName == f.name) return f.type != "histogram";
    if (f.type == "histogram" || f.type == "summary")
        return sampleName == f.name + "_sum" || sampleName == f.name + "_count" ||
               (f.type == "histogram" && sampleName == f.name + "_bucket");
    return false;
}

void checkHistogram(const ParsedFamily& f, QStringList& errors)
{
    struct Series
    {
        QList<double> bounds;
        QList<double> counts;
        bool hasSum = false;
        bool hasCount = false;
        double count = 0;
    };
    QMap<QByteArray, Series> series; // key without le, normalised to the family name
    for (const ParsedSample& s : f.samples) {
        ParsedSample base = s;
        base.name = f.name;
        const QByteArray key = seriesKey(base, true);
        Series& ser = series[key];
        const QString where = QStringLiteral("histogram %1").arg(QString::fromUtf8(f.name));
        if (s.name == f.name + "_bucket") {
            double le = 0;
            if (!s.labels.contains("le") || !parseFloat(s.labels.value("le"), &le)) {
                errors << where + QStringLiteral(": bucket without a numeric le");
                continue;
            }
            if (!ser.bounds.isEmpty() && !(le > ser.bounds.last())) errors << where + QStringLiteral(": le not increasing");
            if (!ser.counts.isEmpty() && s.value < ser.counts.last())
                errors << where + QStringLiteral(": cumulative count decreasing at le=%1").arg(le);
            if (ser.hasCount || ser.hasSum) errors << where + QStringLiteral(": bucket after _sum/_count");
            ser.bounds.append(le);
            ser.counts.append(s.value);
        } else {
            if (s.labels.contains("le")) errors << where + QStringLiteral(": le on _sum/_count");
            if (s.name.endsWith("_sum")) ser.hasSum = true;
            else {
                ser.hasCount = true;
                ser.count = s.value;
            }
        }
    }
    for (auto it = series.cbegin(); it != series.cend(); ++it) {
        const QString where = QStringLiteral("histogram %1 %2").arg(QString::fromUtf8(f.name), QString::fromUtf8(it.key()));
        if (it->bounds.isEmpty() || !std::isinf(it->bounds.last())) errors << where + QStringLiteral(": no le=\"+Inf\" bucket");
        if (!it->hasSum) errors << where + QStringLiteral(": no _sum");
        if (!it->hasCount) errors << where + QStringLiteral(": no _count");
        else if (!it->counts.isEmpty() && it->counts.last() != it->count)
            errors << where + QStringLiteral(": +Inf bucket %1 != _count %2").arg(it->counts.last()).arg(it->count);
    }
}

} // namespace

const ParsedFamily* ParsedExposition::family(const QByteArray& name) const
{
    for (const ParsedFamily& f : families)
        if (f.name == name) return &f;
    return nullptr;
}

QList<ParsedSample> ParsedExposition::samples(const QByteArray& name, const QMap<QByteArray, QByteArray>& match) const
{
    QList<ParsedSample> out;
    for (const ParsedFamily& f : families)
        for (const ParsedSample& s : f.samples) {
            if (s.name != name) continue;
            bool all = true;
            for (auto it = match.cbegin(); it != match.cend() && all; ++it)
                all = s.labels.contains(it.key()) && s.labels.value(it.key()) == it.value();
            if (all) out.append(s);
        }
    return out;
}

double ParsedExposition::sum(const QByteArray& name, const QMap<QByteArray, QByteArray>& match) const
{
    double total = 0;
    for (const ParsedSample& s : samples(name, match)) total += s.value;
    return total;
}

ParsedExposition parseExposition(const QByteArray& text)
{
    ParsedExposition out;
    if (!text.isEmpty() && !text.endsWith('\n')) out.errors << QStringLiteral("the last line is not terminated");
    QList<QByteArray> lines = text.split('\n');
    if (!lines.isEmpty() && lines.last().isEmpty()) lines.removeLast();
    QSet<QByteArray> finished; // families whose block ended
    QSet<QByteArray> seriesSeen;
    ParsedFamily* current = nullptr;
    auto startFamily = [&](const QByteArray& name, int lineNo) -> ParsedFamily* {
        if (current && current->name == name) return current;
        if (current) finished.insert(current->name);
        if (finished.contains(name)) out.errors << QStringLiteral("line %1: family %2 is not contiguous").arg(lineNo).arg(QString::fromUtf8(name));
        out.families.append(ParsedFamily{name, "untyped", {}, {}});
        current = &out.families.last();
        return current;
    };
    QSet<QByteArray> helpSeen, typeSeen;
    for (int n = 0; n < lines.size(); ++n) {
        const QByteArray& line = lines[n];
        const int lineNo = n + 1;
        auto error = [&](const QString& what) { out.errors << QStringLiteral("line %1: %2").arg(lineNo).arg(what); };
        if (line.isEmpty()) continue;
        if (line.contains('\r')) error(QStringLiteral("carriage return"));
        if (line.startsWith('#')) {
            const QList<QByteArray> parts = line.split(' ');
            if (parts.size() < 3 || parts[0] != "#" || (parts[1] != "HELP" && parts[1] != "TYPE")) continue; // comment
            const QByteArray name = parts[2];
            if (!isMetricName(name)) {
                error(QStringLiteral("bad metric name in %1").arg(QString::fromLatin1(parts[1])));
                continue;
            }
            ParsedFamily* f = startFamily(name, lineNo);
            if (parts[1] == "HELP") {
                if (helpSeen.contains(name)) error(QStringLiteral("second HELP for %1").arg(QString::fromUtf8(name)));
                helpSeen.insert(name);
                const qsizetype start = QByteArray("# HELP ").size() + name.size() + 1;
                if (!unescapeHelp(line.mid(start), &f->help)) error(QStringLiteral("bad escape in HELP"));
            } else {
                if (typeSeen.contains(name)) error(QStringLiteral("second TYPE for %1").arg(QString::fromUtf8(name)));
                typeSeen.insert(name);
                if (!f->samples.isEmpty()) error(QStringLiteral("TYPE after samples"));
                if (parts.size() != 4) {
                    error(QStringLiteral("TYPE line needs exactly a name and a type"));
                    continue;
                }
                static const QSet<QByteArray> types{"counter", "gauge", "histogram", "summary", "untyped"};
                if (!types.contains(parts[3])) error(QStringLiteral("unknown type %1").arg(QString::fromUtf8(parts[3])));
                f->type = parts[3];
            }
            continue;
        }
        ParsedSample sample;
        if (const QString problem = parseSample(line, &sample); !problem.isEmpty()) {
            error(problem);
            continue;
        }
        if (!current || !belongsTo(*current, sample.name) || !typeSeen.contains(current->name)) {
            error(QStringLiteral("sample %1 outside a family declared by TYPE").arg(QString::fromUtf8(sample.name)));
            continue;
        }
        if (sample.labels.contains("le") && sample.name != current->name + "_bucket")
            error(QStringLiteral("le label outside a histogram bucket"));
        if (current->type == "counter" && !(sample.value >= 0)) error(QStringLiteral("counter value not >= 0"));
        const QByteArray key = seriesKey(sample);
        if (seriesSeen.contains(key)) error(QStringLiteral("series written twice: %1").arg(QString::fromUtf8(key)));
        seriesSeen.insert(key);
        current->samples.append(sample);
    }
    for (const ParsedFamily& f : out.families) {
        if (f.type == "histogram") checkHistogram(f, out.errors);
        if (f.samples.isEmpty()) out.errors << QStringLiteral("family %1 without samples").arg(QString::fromUtf8(f.name));
    }
    return out;
}

} // namespace pocket::test
