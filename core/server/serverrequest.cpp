#include "server/serverrequest.h"

namespace pocket {

QByteArray headerValue(const HttpHeaderList& headers, QByteArrayView name)
{
    for (const auto& [key, value] : headers)
        if (QByteArrayView(key).compare(name, Qt::CaseInsensitive) == 0) return value;
    return {};
}

bool hasHeader(const HttpHeaderList& headers, QByteArrayView name)
{
    for (const auto& h : headers)
        if (QByteArrayView(h.first).compare(name, Qt::CaseInsensitive) == 0) return true;
    return false;
}

QUrlQuery ServerRequest::query() const
{
    return QUrlQuery(QString::fromUtf8(rawQuery));
}

} // namespace pocket
