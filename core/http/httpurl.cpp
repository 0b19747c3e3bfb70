#include "http/httpurl.h"

// Line-by-line port of the parts of Go 1.19 net/url (url.go) that decide what an HTTP client sends
// (PROTOCOL §10.1). Function names follow Go's so the two can be compared.

namespace pocket {

namespace {

enum class Enc { Path, Host, Zone, UserPassword, Fragment };

bool isAlnum(uchar c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool isHex(uchar c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int unhex(uchar c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c - 'A' + 10;
}

// strconv.Quote for the short snippets Go puts in its error messages.
QString goQuote(QByteArrayView s)
{
    QString out = QStringLiteral("\"");
    for (char ch : s) {
        const auto c = uchar(ch);
        if (c == '"' || c == '\\') {
            out += QLatin1Char('\\');
            out += QLatin1Char(ch);
        } else if (c >= 0x20 && c < 0x7f) {
            out += QLatin1Char(ch);
        } else {
            out += QStringLiteral("\\x%1").arg(c, 2, 16, QLatin1Char('0'));
        }
    }
    out += QLatin1Char('"');
    return out;
}

bool shouldEscape(uchar c, Enc mode)
{
    if (isAlnum(c))
        return false;
    if (mode == Enc::Host || mode == Enc::Zone) {
        switch (c) {
        case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',': case ';':
        case '=': case ':': case '[': case ']': case '<': case '>': case '"':
            return false;
        default:
            break;
        }
    }
    switch (c) {
    case '-': case '_': case '.': case '~':
        return false;
    case '$': case '&': case '+': case ',': case '/': case ':': case ';': case '=': case '?': case '@':
        switch (mode) {
        case Enc::Path:
            return c == '?';
        case Enc::UserPassword:
            return c == '@' || c == '/' || c == '?' || c == ':';
        case Enc::Fragment:
            return false;
        default:
            break;
        }
        break;
    default:
        break;
    }
    if (mode == Enc::Fragment) {
        switch (c) {
        case '!': case '(': case ')': case '*':
            return false;
        default:
            break;
        }
    }
    return true;
}

std::expected<QByteArray, QString> unescape(QByteArrayView s, Enc mode)
{
    qsizetype n = 0;
    for (qsizetype i = 0; i < s.size();) {
        const auto c = uchar(s[i]);
        if (c == '%') {
            ++n;
            if (i + 2 >= s.size() || !isHex(uchar(s[i + 1])) || !isHex(uchar(s[i + 2]))) {
                QByteArrayView bad = s.sliced(i);
                if (bad.size() > 3)
                    bad = bad.first(3);
                return std::unexpected(QStringLiteral("invalid URL escape %1").arg(goQuote(bad)));
            }
            // RFC 3986 §3.2.2: in a host only non-ASCII bytes may be %-encoded (RFC 6874 allows %25).
            if (mode == Enc::Host && unhex(uchar(s[i + 1])) < 8 && s.sliced(i, 3) != QByteArrayView("%25"))
                return std::unexpected(QStringLiteral("invalid URL escape %1").arg(goQuote(s.sliced(i, 3))));
            if (mode == Enc::Zone) {
                const int v = unhex(uchar(s[i + 1])) << 4 | unhex(uchar(s[i + 2]));
                if (s.sliced(i, 3) != QByteArrayView("%25") && v != ' ' && shouldEscape(uchar(v), Enc::Host))
                    return std::unexpected(QStringLiteral("invalid URL escape %1").arg(goQuote(s.sliced(i, 3))));
            }
            i += 3;
        } else {
            if ((mode == Enc::Host || mode == Enc::Zone) && c < 0x80 && shouldEscape(c, mode))
                return std::unexpected(QStringLiteral("invalid character %1 in host name").arg(goQuote(s.sliced(i, 1))));
            ++i;
        }
    }
    if (n == 0)
        return s.toByteArray();
    QByteArray t;
    t.reserve(s.size() - 2 * n);
    for (qsizetype i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            t.append(char(unhex(uchar(s[i + 1])) << 4 | unhex(uchar(s[i + 2]))));
            i += 2;
        } else {
            t.append(s[i]);
        }
    }
    return t;
}

QByteArray escape(QByteArrayView s, Enc mode)
{
    static const char hexUpper[] = "0123456789ABCDEF";
    qsizetype hexCount = 0;
    for (char c : s)
        if (shouldEscape(uchar(c), mode))
            ++hexCount;
    if (hexCount == 0)
        return s.toByteArray();
    QByteArray t;
    t.reserve(s.size() + 2 * hexCount);
    for (char ch : s) {
        const auto c = uchar(ch);
        if (shouldEscape(c, mode)) {
            t.append('%');
            t.append(hexUpper[c >> 4]);
            t.append(hexUpper[c & 15]);
        } else {
            t.append(ch);
        }
    }
    return t;
}

bool validEncoded(QByteArrayView s, Enc mode)
{
    for (char ch : s) {
        switch (ch) {
        case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',': case ';':
        case '=': case ':': case '@': case '[': case ']': case '%':
            break;
        default:
            if (shouldEscape(uchar(ch), mode))
                return false;
        }
    }
    return true;
}

bool containsCtlByte(QByteArrayView s)
{
    for (char ch : s) {
        const auto c = uchar(ch);
        if (c < 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

struct SchemeSplit {
    QByteArrayView scheme;
    QByteArrayView rest;
};

std::expected<SchemeSplit, QString> getScheme(QByteArrayView raw)
{
    for (qsizetype i = 0; i < raw.size(); ++i) {
        const auto c = uchar(raw[i]);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            continue;
        } else if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
            if (i == 0)
                return SchemeSplit{{}, raw};
        } else if (c == ':') {
            if (i == 0)
                return std::unexpected(QStringLiteral("missing protocol scheme"));
            return SchemeSplit{raw.first(i), raw.sliced(i + 1)};
        } else {
            return SchemeSplit{{}, raw};
        }
    }
    return SchemeSplit{{}, raw};
}

bool validOptionalPort(QByteArrayView port)
{
    if (port.isEmpty())
        return true;
    if (port[0] != ':')
        return false;
    for (char c : port.sliced(1))
        if (c < '0' || c > '9')
            return false;
    return true;
}

std::expected<QByteArray, QString> parseHost(QByteArrayView host)
{
    if (host.startsWith('[')) {
        const qsizetype i = host.lastIndexOf(']');
        if (i < 0)
            return std::unexpected(QStringLiteral("missing ']' in host"));
        const QByteArrayView colonPort = host.sliced(i + 1);
        if (!validOptionalPort(colonPort))
            return std::unexpected(QStringLiteral("invalid port %1 after host").arg(goQuote(colonPort)));
        const qsizetype zone = host.first(i).indexOf("%25");
        if (zone >= 0) {
            auto h1 = unescape(host.first(zone), Enc::Host);
            if (!h1)
                return std::unexpected(h1.error());
            auto h2 = unescape(host.sliced(zone, i - zone), Enc::Zone);
            if (!h2)
                return std::unexpected(h2.error());
            auto h3 = unescape(host.sliced(i), Enc::Host);
            if (!h3)
                return std::unexpected(h3.error());
            return *h1 + *h2 + *h3;
        }
    } else if (const qsizetype i = host.lastIndexOf(':'); i != -1) {
        const QByteArrayView colonPort = host.sliced(i);
        if (!validOptionalPort(colonPort))
            return std::unexpected(QStringLiteral("invalid port %1 after host").arg(goQuote(colonPort)));
    }
    return unescape(host, Enc::Host);
}

bool validUserinfo(QByteArrayView s)
{
    for (char ch : s) {
        const auto c = uchar(ch);
        if (isAlnum(c))
            continue;
        switch (c) {
        case '-': case '.': case '_': case ':': case '~': case '!': case '$': case '&': case '\'': case '(':
        case ')': case '*': case '+': case ',': case ';': case '=': case '%': case '@':
            continue;
        default:
            return false;
        }
    }
    return true;
}

// Go `resolvePath`: RFC 3986 §5.2.4 dot-segment removal on escaped paths.
QByteArray resolvePath(QByteArrayView base, QByteArrayView ref)
{
    QByteArray full;
    if (ref.isEmpty()) {
        full = base.toByteArray();
    } else if (ref[0] != '/') {
        const qsizetype i = base.lastIndexOf('/');
        full = base.first(i + 1).toByteArray() + ref.toByteArray();
    } else {
        full = ref.toByteArray();
    }
    if (full.isEmpty())
        return {};

    QByteArray dst = "/";
    bool first = true;
    QByteArrayView remaining(full);
    QByteArrayView elem;
    bool found = true;
    while (found) {
        const qsizetype cut = remaining.indexOf('/');
        found = cut >= 0;
        elem = found ? remaining.first(cut) : remaining;
        remaining = found ? remaining.sliced(cut + 1) : QByteArrayView();
        if (elem == QByteArrayView(".")) {
            first = false;
            continue;
        }
        if (elem == QByteArrayView("..")) {
            const QByteArray str = dst.mid(1);
            const qsizetype index = str.lastIndexOf('/');
            dst = "/";
            if (index == -1)
                first = true;
            else
                dst += str.first(index);
        } else {
            if (!first)
                dst += '/';
            dst += elem;
            first = false;
        }
    }
    if (elem == QByteArrayView(".") || elem == QByteArrayView(".."))
        dst += '/';
    if (dst.size() > 1 && dst[1] == '/')
        dst.remove(0, 1);
    return dst;
}

} // namespace

std::expected<void, QString> HttpUrl::setPath(QByteArrayView escaped)
{
    auto decoded = unescape(escaped, Enc::Path);
    if (!decoded)
        return std::unexpected(decoded.error());
    path = std::move(*decoded);
    if (escape(path, Enc::Path) == escaped)
        rawPath.clear();
    else
        rawPath = escaped.toByteArray();
    return {};
}

std::expected<HttpUrl, QString> HttpUrl::parse(QByteArrayView raw)
{
    const qsizetype hash = raw.indexOf('#');
    auto url = parseNoFragment(hash < 0 ? raw : raw.first(hash));
    if (!url || hash < 0)
        return url;
    const QByteArrayView frag = raw.sliced(hash + 1);
    auto decoded = unescape(frag, Enc::Fragment);
    if (!decoded)
        return std::unexpected(decoded.error());
    url->fragment = std::move(*decoded);
    if (escape(url->fragment, Enc::Fragment) != frag)
        url->rawFragment = frag.toByteArray();
    return url;
}

std::expected<HttpUrl, QString> HttpUrl::parseNoFragment(QByteArrayView raw)
{
    if (containsCtlByte(raw))
        return std::unexpected(QStringLiteral("net/url: invalid control character in URL"));
    HttpUrl url;
    if (raw == QByteArrayView("*")) {
        url.path = "*";
        return url;
    }
    auto split = getScheme(raw);
    if (!split)
        return std::unexpected(split.error());
    url.scheme = split->scheme.toByteArray().toLower();
    QByteArrayView rest = split->rest;

    if (rest.endsWith('?') && rest.count('?') == 1) {
        url.forceQuery = true;
        rest.chop(1);
    } else if (const qsizetype q = rest.indexOf('?'); q >= 0) {
        url.rawQuery = rest.sliced(q + 1).toByteArray();
        rest = rest.first(q);
    }

    if (!rest.startsWith('/')) {
        if (!url.scheme.isEmpty()) {
            // Rootless paths are opaque (RFC 3986).
            url.opaque = rest.toByteArray();
            return url;
        }
        // RFC 3986 §4.2: the first segment of a relative-path reference cannot contain a colon.
        const qsizetype slash = rest.indexOf('/');
        if ((slash < 0 ? rest : rest.first(slash)).contains(':'))
            return std::unexpected(QStringLiteral("first path segment in URL cannot contain colon"));
    }

    if ((!url.scheme.isEmpty() || !rest.startsWith("///")) && rest.startsWith("//")) {
        QByteArrayView authority = rest.sliced(2);
        rest = {};
        if (const qsizetype i = authority.indexOf('/'); i >= 0) {
            rest = authority.sliced(i);
            authority = authority.first(i);
        }
        const qsizetype at = authority.lastIndexOf('@');
        auto host = parseHost(at < 0 ? authority : authority.sliced(at + 1));
        if (!host)
            return std::unexpected(host.error());
        url.host = std::move(*host);
        if (at >= 0) {
            // Userinfo errors say nothing about the value: it holds credentials.
            const QByteArrayView userinfo = authority.first(at);
            if (!validUserinfo(userinfo))
                return std::unexpected(QStringLiteral("net/url: invalid userinfo"));
            url.hasUser = true;
            const qsizetype colon = userinfo.indexOf(':');
            auto user = unescape(colon < 0 ? userinfo : userinfo.first(colon), Enc::UserPassword);
            if (!user)
                return std::unexpected(QStringLiteral("net/url: invalid userinfo"));
            url.username = std::move(*user);
            if (colon >= 0) {
                auto pass = unescape(userinfo.sliced(colon + 1), Enc::UserPassword);
                if (!pass)
                    return std::unexpected(QStringLiteral("net/url: invalid userinfo"));
                url.password = std::move(*pass);
                url.hasPassword = true;
            }
        }
    }
    if (auto ok = url.setPath(rest); !ok)
        return std::unexpected(ok.error());
    return url;
}

std::expected<HttpUrl, QString> HttpUrl::resolve(QByteArrayView refRaw) const
{
    auto parsed = parse(refRaw);
    if (!parsed)
        return parsed;
    const HttpUrl ref = std::move(*parsed);
    HttpUrl url = ref; // Go: url := *ref
    if (ref.scheme.isEmpty())
        url.scheme = scheme;
    if (!ref.scheme.isEmpty() || !ref.host.isEmpty() || ref.hasUser) {
        // The "absoluteURI" or "net_path" cases.
        const QByteArray escaped = ref.escapedPath();
        (void)url.setPath(resolvePath(escaped, {}));
        return url;
    }
    if (!ref.opaque.isEmpty()) {
        url.hasUser = url.hasPassword = false;
        url.username.clear();
        url.password.clear();
        url.host.clear();
        url.path.clear();
        return url;
    }
    if (ref.path.isEmpty() && !ref.forceQuery && ref.rawQuery.isEmpty()) {
        url.rawQuery = rawQuery;
        if (ref.fragment.isEmpty()) {
            url.fragment = fragment;
            url.rawFragment = rawFragment;
        }
    }
    // The "abs_path" or "rel_path" cases.
    url.host = host;
    url.hasUser = hasUser;
    url.hasPassword = hasPassword;
    url.username = username;
    url.password = password;
    const QByteArray refEscaped = ref.escapedPath();
    (void)url.setPath(resolvePath(escapedPath(), refEscaped));
    return url;
}

QByteArray HttpUrl::escapedPath() const
{
    if (!rawPath.isEmpty() && validEncoded(rawPath, Enc::Path)) {
        auto p = unescape(rawPath, Enc::Path);
        if (p && *p == path)
            return rawPath;
    }
    if (path == "*")
        return path; // don't escape (Go issue 11202)
    return escape(path, Enc::Path);
}

QByteArray HttpUrl::requestUri() const
{
    QByteArray result = opaque;
    if (result.isEmpty()) {
        result = escapedPath();
        if (result.isEmpty())
            result = "/";
    } else if (result.startsWith("//")) {
        result = scheme + ':' + result;
    }
    if (forceQuery || !rawQuery.isEmpty()) {
        result += '?';
        result += rawQuery;
    }
    return result;
}

QByteArray HttpUrl::hostname() const
{
    QByteArrayView h(host);
    if (h.startsWith('[')) {
        const qsizetype end = h.indexOf(']');
        return (end < 0 ? h.sliced(1) : h.sliced(1, end - 1)).toByteArray();
    }
    const qsizetype colon = h.lastIndexOf(':');
    return (colon < 0 ? h : h.first(colon)).toByteArray();
}

QByteArray HttpUrl::port() const
{
    QByteArrayView h(host);
    const qsizetype colon = h.lastIndexOf(':');
    if (colon < 0)
        return {};
    if (h.startsWith('[') && h.indexOf(']') > colon)
        return {};
    const QByteArrayView p = h.sliced(colon + 1);
    if (!validOptionalPort(h.sliced(colon)))
        return {};
    return p.toByteArray();
}

QByteArray HttpUrl::toString(bool withUserinfo) const
{
    QByteArray buf;
    if (!scheme.isEmpty()) {
        buf += scheme;
        buf += ':';
    }
    if (!opaque.isEmpty()) {
        buf += opaque;
    } else {
        if (!scheme.isEmpty() || !host.isEmpty() || hasUser) {
            if (!host.isEmpty() || !path.isEmpty() || hasUser)
                buf += "//";
            if (hasUser && withUserinfo) {
                buf += escape(username, Enc::UserPassword);
                if (hasPassword) {
                    buf += ':';
                    buf += escape(password, Enc::UserPassword);
                }
                buf += '@';
            }
            buf += escape(host, Enc::Host);
        }
        const QByteArray p = escapedPath();
        if (!p.isEmpty() && p[0] != '/' && !host.isEmpty())
            buf += '/';
        if (buf.isEmpty()) {
            const qsizetype slash = p.indexOf('/');
            if ((slash < 0 ? p : p.first(slash)).contains(':'))
                buf += "./";
        }
        buf += p;
    }
    if (forceQuery || !rawQuery.isEmpty()) {
        buf += '?';
        buf += rawQuery;
    }
    if (!fragment.isEmpty()) {
        buf += '#';
        if (!rawFragment.isEmpty() && validEncoded(rawFragment, Enc::Fragment))
            buf += rawFragment;
        else
            buf += escape(fragment, Enc::Fragment);
    }
    return buf;
}

} // namespace pocket
