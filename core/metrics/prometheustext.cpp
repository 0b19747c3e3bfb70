#include "metrics/prometheustext.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace pocket::metrics {

QByteArray escapeLabelValue(QByteArrayView value)
{
    QByteArray out;
    out.reserve(value.size());
    for (char c : value) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '"': out += "\\\""; break;
        case '\n': out += "\\n"; break;
        default: out += c;
        }
    }
    return out;
}

QByteArray escapeHelp(QByteArrayView help)
{
    QByteArray out;
    out.reserve(help.size());
    for (char c : help) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

QByteArray formatValue(double value)
{
    if (std::isnan(value)) return QByteArrayLiteral("NaN");
    if (std::isinf(value)) return value > 0 ? QByteArrayLiteral("+Inf") : QByteArrayLiteral("-Inf");
    if (value == 0) return QByteArrayLiteral("0");
    // Go 'g' with the shortest precision: %e when the decimal exponent is < -4 or >= 6 (strconv
    // ftoa.go: "if precision was the shortest possible, use precision 6 for this decision"), else %f with
    // the shortest digits. std::to_chars gives the same shortest digits in both notations.
    char buf[64];
    auto sci = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    const QByteArrayView scientific(buf, sci.ptr - buf);
    const qsizetype e = scientific.indexOf('e');
    const int exponent = std::atoi(scientific.sliced(e + 1).toByteArray().constData());
    if (exponent < -4 || exponent >= 6) return scientific.toByteArray();
    auto fixed = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed);
    return QByteArray(buf, fixed.ptr - buf);
}

void TextWriter::family(QByteArrayView name, QByteArrayView type, QByteArrayView help)
{
    m_out += "# HELP ";
    m_out += name;
    m_out += ' ';
    m_out += escapeHelp(help);
    m_out += "\n# TYPE ";
    m_out += name;
    m_out += ' ';
    m_out += type;
    m_out += '\n';
}

void TextWriter::labels(const Labels& labels, QByteArrayView extraName, QByteArrayView extraValue)
{
    if (labels.isEmpty() && extraName.isEmpty()) return;
    m_out += '{';
    bool first = true;
    for (const auto& [name, value] : labels) {
        if (!first) m_out += ',';
        first = false;
        m_out += name;
        m_out += "=\"";
        m_out += escapeLabelValue(value);
        m_out += '"';
    }
    if (!extraName.isEmpty()) {
        if (!first) m_out += ',';
        m_out += extraName;
        m_out += "=\"";
        m_out += extraValue;
        m_out += '"';
    }
    m_out += '}';
}

void TextWriter::sample(QByteArrayView name, const Labels& labelList, double value)
{
    m_out += name;
    labels(labelList);
    m_out += ' ';
    m_out += formatValue(value);
    m_out += '\n';
}

void TextWriter::histogram(QByteArrayView name, const Labels& labelList, const QList<double>& bounds,
                           const quint64* counts, double sum)
{
    const QByteArray bucket = name.toByteArray() + "_bucket";
    quint64 cumulative = 0;
    for (qsizetype i = 0; i <= bounds.size(); ++i) {
        cumulative += counts[i];
        m_out += bucket;
        labels(labelList, "le", i < bounds.size() ? formatValue(bounds[i]) : QByteArrayLiteral("+Inf"));
        m_out += ' ';
        m_out += formatValue(double(cumulative));
        m_out += '\n';
    }
    m_out += name;
    m_out += "_sum";
    labels(labelList);
    m_out += ' ';
    m_out += formatValue(sum);
    m_out += '\n';
    m_out += name;
    m_out += "_count";
    labels(labelList);
    m_out += ' ';
    m_out += formatValue(double(cumulative));
    m_out += '\n';
}

} // namespace pocket::metrics
