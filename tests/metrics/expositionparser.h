#pragma once
// A strict reader of the Prometheus text exposition format 0.0.4, written from the format's description
// (prometheus.io/docs/instrumenting/exposition_formats) independently of core/metrics: every line is
// checked (comment syntax, metric and label names, label value escapes, values), families must be
// contiguous with one HELP/TYPE each and TYPE before samples, no series twice, and histograms must have
// increasing `le` bounds, non-decreasing cumulative counts, a final le="+Inf" equal to `_count`, and `_sum`.
#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

namespace pocket::test {

struct ParsedSample
{
    QByteArray name; // as written, e.g. "x_bucket"
    QMap<QByteArray, QByteArray> labels; // unescaped values
    QList<QByteArray> labelOrder;        // label names in written order
    double value = 0;
};

struct ParsedFamily
{
    QByteArray name;
    QByteArray type; // counter, gauge, histogram, summary, untyped
    QByteArray help; // unescaped
    QList<ParsedSample> samples;
};

struct ParsedExposition
{
    QStringList errors; // "line N: what" — empty when the text is valid
    QList<ParsedFamily> families;

    const ParsedFamily* family(const QByteArray& name) const;
    // Samples of `name` (exact sample name) whose labels include every pair of `match`.
    QList<ParsedSample> samples(const QByteArray& name, const QMap<QByteArray, QByteArray>& match = {}) const;
    // Sum of the values of samples(name, match).
    double sum(const QByteArray& name, const QMap<QByteArray, QByteArray>& match = {}) const;
};

ParsedExposition parseExposition(const QByteArray& text);

} // namespace pocket::test
