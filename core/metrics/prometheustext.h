#pragma once
// Prometheus text exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/),
// the format the reference's promhttp handler writes (PROTOCOL §11): `# HELP`, `# TYPE`, then one line per
// sample `name{label="value",...} value`. Histograms: cumulative `_bucket{...,le="b"}` ending with
// le="+Inf", then `_sum` and `_count`.
#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <utility>

namespace pocket::metrics {

inline constexpr char kExpositionContentType[] = "text/plain; version=0.0.4; charset=utf-8";

using Labels = QList<std::pair<QByteArrayView, QByteArray>>; // name, UTF-8 value; in declaration order

// Label value escaping: backslash, double quote and line feed become \\, \" and \n.
QByteArray escapeLabelValue(QByteArrayView value);
// HELP text escaping: backslash and line feed.
QByteArray escapeHelp(QByteArrayView help);
// Go's strconv.FormatFloat(v, 'g', -1, 64) as the Go client writes sample values and bucket bounds:
// integers without a fraction ("21", "0"), the shortest round-trip form otherwise, "+Inf", "-Inf", "NaN".
QByteArray formatValue(double value);

class TextWriter
{
public:
    // `# HELP` and `# TYPE` lines; type is "counter", "gauge" or "histogram".
    void family(QByteArrayView name, QByteArrayView type, QByteArrayView help);
    // One sample line: name{labels} value (no braces when labels is empty).
    void sample(QByteArrayView name, const Labels& labels, double value);
    // The lines of one histogram: `counts` are per-bucket (not cumulative) counts, one per bound plus the
    // +Inf bucket last (counts.size() == bounds.size() + 1).
    void histogram(QByteArrayView name, const Labels& labels, const QList<double>& bounds,
                   const quint64* counts, double sum);

    const QByteArray& text() const { return m_out; }
    QByteArray take() { return std::move(m_out); }

private:
    void labels(const Labels& labels, QByteArrayView extraName = {}, QByteArrayView extraValue = {});
    QByteArray m_out;
};

} // namespace pocket::metrics
