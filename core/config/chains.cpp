#include "config/chains.h"

#include "config/configjson.h"
#include "protocol/crypto.h"

#include <QHash>

namespace pocket {

using config::JsonValue;

namespace {

QString elementPath(qsizetype index)
{
    return QStringLiteral("[%1]").arg(index);
}

bool parseBasicAuth(const JsonValue& v, const QString& file, const QString& path, ConfiguredChain& chain,
                    ConfigIssues& issues)
{
    if (v.isNull()) return true;
    if (!v.isObject()) {
        issues.error(
            file, path,
            QStringLiteral("expected an object {\"username\": \"...\", \"password\": \"...\"}, got %1")
                .arg(config::jsonTypeName(v)),
            v.line);
        return false;
    }
    bool ok = true;
    for (const auto& [name, value] : v.members) {
        if (name.compare(QLatin1String("username"), Qt::CaseInsensitive) != 0 &&
            name.compare(QLatin1String("password"), Qt::CaseInsensitive) != 0)
            issues.warning(file, path + QLatin1Char('.') + name,
                           QStringLiteral("unknown property, ignored (expected username, password)"),
                           value.line);
    }
    if (const JsonValue* u = v.member(u"username")) {
        if (const auto problem = config::decodeString(*u, chain.basicAuthUser)) {
            issues.error(file, path + QStringLiteral(".username"), *problem, u->line);
            ok = false;
        }
    }
    if (const JsonValue* p = v.member(u"password")) {
        if (const auto problem = config::decodeString(*p, chain.basicAuthPassword, true)) {
            issues.error(file, path + QStringLiteral(".password"), *problem, p->line);
            ok = false;
        }
    }
    return ok;
}

} // namespace

const ConfiguredChain* ChainTable::find(QByteArrayView id) const
{
    for (const ConfiguredChain& c : chains)
        if (c.id == id) return &c;
    return nullptr;
}

ConfigResult<ChainTable> parseChainsFile(const QByteArray& json, const QString& file)
{
    ConfigResult<ChainTable> out;
    const auto parsed = config::parseDataJson(json, file, out.issues);
    if (!parsed) return out;
    const JsonValue& root = *parsed;
    if (!root.isNull() && !root.isArray()) {
        out.issues.error(
            file, {},
            QStringLiteral("expected a JSON array of {\"id\", \"url\", \"basic_auth\"} objects, got %1")
                .arg(config::jsonTypeName(root)),
            root.line);
        return out;
    }
    QHash<QByteArray, qsizetype> firstIndex; // id -> element index of its first appearance
    for (qsizetype i = 0; i < root.items.size(); ++i) {
        const JsonValue& element = root.items[i];
        const QString path = elementPath(i);
        if (!element.isObject()) {
            out.issues.error(file, path,
                             QStringLiteral("expected an object {\"id\", \"url\"}, got %1")
                                 .arg(config::jsonTypeName(element)),
                             element.line);
            continue;
        }
        for (const auto& [name, value] : element.members) {
            static const char* const known[] = {"id", "url", "basic_auth"};
            bool isKnown = false;
            for (const char* k : known)
                isKnown = isKnown || name.compare(QLatin1String(k), Qt::CaseInsensitive) == 0;
            if (!isKnown)
                out.issues.warning(file, path + QLatin1Char('.') + name,
                                   QStringLiteral("unknown property, ignored (expected id, url, basic_auth)"),
                                   value.line);
        }

        ConfiguredChain chain;
        bool ok = true;
        QString id;
        const JsonValue* idValue = element.member(u"id");
        if (!idValue || idValue->isNull()) {
            out.issues.error(
                file, path + QStringLiteral(".id"),
                QStringLiteral("missing; expected the chain id as hex of 1 to 4 bytes, e.g. \"0021\""),
                element.line);
            ok = false;
        } else if (const auto problem = config::decodeString(*idValue, id)) {
            out.issues.error(file, path + QStringLiteral(".id"), *problem, idValue->line);
            ok = false;
        } else {
            // PROTOCOL §4.2: the id must hex-decode to 1..4 bytes (HostedBlockchain validation).
            const auto raw = crypto::hexDecode(id.toUtf8());
            if (!raw || raw->isEmpty() || raw->size() > 4) {
                out.issues.error(
                    file, path + QStringLiteral(".id"),
                    QStringLiteral("chain id \"%1\" is not valid: expected hex of 1 to 4 bytes (2 to 8 hex "
                                   "characters), e.g. \"0021\"%2")
                        .arg(id, raw ? QStringLiteral(", got %1 bytes").arg(raw->size())
                                     : QStringLiteral(", got %1").arg(crypto::hexDecodeError(id.toUtf8()))),
                    idValue->line);
                ok = false;
            }
            chain.id = id.toUtf8();
        }

        const JsonValue* urlValue = element.member(u"url");
        if (!urlValue || urlValue->isNull()) {
            out.issues.error(file, path + QStringLiteral(".url"),
                             QStringLiteral("missing; expected the chain node's http:// or https:// URL"),
                             element.line);
            ok = false;
        } else if (const auto problem = config::decodeString(*urlValue, chain.url, true)) {
            out.issues.error(file, path + QStringLiteral(".url"), *problem, urlValue->line);
            ok = false;
        } else if (const auto urlProblem = config::httpUrlProblem(chain.url)) {
            out.issues.error(file, path + QStringLiteral(".url"),
                             QStringLiteral("chain \"%1\": %2").arg(id, *urlProblem), urlValue->line);
            ok = false;
        }

        if (const JsonValue* auth = element.member(u"basic_auth"))
            ok = parseBasicAuth(*auth, file, path + QStringLiteral(".basic_auth"), chain, out.issues) && ok;
        if (!ok) continue;

        const auto seen = firstIndex.constFind(chain.id);
        if (seen != firstIndex.constEnd()) {
            out.issues.warning(
                file, path + QStringLiteral(".id"),
                QStringLiteral("chain id \"%1\" is also defined by element [%2]; the last definition "
                               "wins")
                    .arg(id)
                    .arg(*seen),
                idValue->line);
            for (ConfiguredChain& existing : out.value.chains)
                if (existing.id == chain.id) existing = chain;
            continue;
        }
        firstIndex.insert(chain.id, i);
        out.value.chains.append(std::move(chain));
    }
    if (out.ok() && out.value.chains.isEmpty())
        out.issues.warning(
            file, {},
            QStringLiteral("no chains: every relay will be refused (code 26); the mesh must host every "
                           "chain its servicers host"));
    return out;
}

ConfigResult<ChainTable> loadChainsFile(const QString& path, const QString& file)
{
    const config::DataFile data = config::readDataFile(path);
    if (data.status != config::DataFile::Status::Ok) {
        ConfigResult<ChainTable> out;
        out.issues.error(
            file, {},
            data.status == config::DataFile::Status::Missing
                ? QStringLiteral("file not found (%1); expected chains.json, which is required at start")
                      .arg(path)
                : data.error);
        return out;
    }
    return parseChainsFile(data.data, file);
}

ConfigResult<ChainNameMap> parseChainNameMap(const QByteArray& json, const QString& source)
{
    ConfigResult<ChainNameMap> out;
    out.value.source = source;
    const auto parsed = config::parseDataJson(json, source, out.issues);
    if (!parsed) return out;
    const JsonValue& root = *parsed;
    const QString shapes =
        QStringLiteral("expected {\"<chain id>\": \"<name>\"} or {\"<chain id>\": {\"label\": "
                       "\"<name>\"}}");
    if (root.isNull()) return out;
    if (!root.isObject()) {
        out.issues.error(source, {}, shapes + QStringLiteral(", got %1").arg(config::jsonTypeName(root)),
                         root.line);
        return out;
    }
    // PROTOCOL §4.2: plain first (map of strings), then rich (map of {label}); Go nulls are empty entries.
    bool plain = true;
    for (const auto& [id, value] : root.members)
        plain = plain && (value.isString() || value.isNull());
    if (plain) {
        out.value.format = ChainNameMap::Format::Plain;
        for (const auto& [id, value] : root.members)
            out.value.names.insert(id, value.string);
        return out;
    }
    out.value.format = ChainNameMap::Format::Rich;
    for (const auto& [id, value] : root.members) {
        if (value.isNull()) {
            out.value.names.insert(id, QString());
            continue;
        }
        if (!value.isObject()) {
            out.issues.error(source, id,
                             shapes + QStringLiteral(", got %1").arg(config::describeJsonValue(value)),
                             value.line);
            continue;
        }
        QString label;
        if (const JsonValue* l = value.member(u"label")) {
            if (const auto problem = config::decodeString(*l, label)) {
                out.issues.error(source, id + QStringLiteral(".label"), *problem, l->line);
                continue;
            }
        }
        out.value.names.insert(id, label);
    }
    return out;
}

} // namespace pocket
