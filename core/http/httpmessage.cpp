#include "http/httpmessage.h"

namespace pocket {

QByteArray HttpResponse::header(QByteArrayView name) const
{
    for (const auto& [key, value] : headers)
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    return {};
}

QString httpErrorKindName(HttpErrorKind kind)
{
    switch (kind) {
    case HttpErrorKind::InvalidRequest:
        return QStringLiteral("invalid request");
    case HttpErrorKind::Timeout:
        return QStringLiteral("timeout");
    case HttpErrorKind::Connect:
        return QStringLiteral("connect");
    case HttpErrorKind::Transport:
        return QStringLiteral("transport");
    case HttpErrorKind::BodyRead:
        return QStringLiteral("body read");
    case HttpErrorKind::TooLarge:
        return QStringLiteral("too large");
    }
    return QStringLiteral("unknown");
}

} // namespace pocket
