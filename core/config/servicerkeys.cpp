#include "config/servicerkeys.h"

#include "config/configjson.h"
#include "protocol/crypto.h"

#include <algorithm>
#include <functional>
#include <QHash>
#include <QSet>

namespace pocket {

using config::JsonValue;

namespace {

QString elementPath(qsizetype index)
{
    return QStringLiteral("[%1]").arg(index);
}

// Canonical text of a value with object members sorted: JSON-schema uniqueItems compares by value.
QByteArray canonical(const JsonValue& v)
{
    JsonValue copy = v;
    std::function<void(JsonValue&)> sortMembers = [&](JsonValue& x) {
        std::stable_sort(x.members.begin(), x.members.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (auto& m : x.members)
            sortMembers(m.second);
        for (auto& i : x.items)
            sortMembers(i);
    };
    sortMembers(copy);
    return config::writeJson(copy, 0);
}

void warnUnknownMembers(const JsonValue& element, const QStringList& known, const QString& file,
                        const QString& path, ConfigIssues& issues)
{
    for (const auto& [name, value] : element.members) {
        bool isKnown = false;
        for (const QString& k : known)
            isKnown = isKnown || name.compare(k, Qt::CaseInsensitive) == 0;
        if (!isKnown)
            issues.warning(file, path + QLatin1Char('.') + name,
                           QStringLiteral("unknown property, ignored (expected %1)")
                               .arg(known.join(QLatin1String(", "))),
                           value.line);
    }
}

class KeyFileBuilder
{
public:
    KeyFileBuilder(const QString& file, ConfigIssues& issues) : m_file(file), m_issues(issues) {}

    // The node for `url` (created on first use). `elementIndex` is only for messages.
    ServicerNode& node(const QString& url, const QString& name, qsizetype elementIndex, bool warnIfRepeated)
    {
        for (ServicerNode& n : m_out.nodes) {
            if (n.url != url) continue;
            if (warnIfRepeated)
                m_issues.warning(
                    m_file, elementPath(elementIndex) + QStringLiteral(".url"),
                    QStringLiteral("\"%1\" is also the url of an earlier element; their keys are merged "
                                   "into one node")
                        .arg(config::maskUrl(url)));
            if (n.name.isEmpty()) n.name = name;
            return n;
        }
        m_out.nodes.append(ServicerNode{name.isEmpty() ? config::urlHostName(url) : name, url, {}});
        if (url.endsWith(QLatin1Char('/')))
            m_issues.warning(
                m_file, elementPath(elementIndex),
                QStringLiteral("url \"%1\" ends with \"/\": servicer calls go to \"%1/v1/private/mesh/...\" "
                               "like the reference (PROTOCOL §4.2); remove the slash unless intended")
                    .arg(config::maskUrl(url)));
        return m_out.nodes.last();
    }

    void addKey(ServicerNode& node, ServicerKey key, const QString& path, int line)
    {
        for (const ServicerKey& k : node.keys) {
            if (k.publicKey == key.publicKey) {
                m_issues.warning(
                    m_file, path,
                    QStringLiteral("key with address %1 is listed twice for node \"%2\"; the duplicate is "
                                   "ignored")
                        .arg(key.addressHex, config::maskUrl(node.url)),
                    line);
                return;
            }
        }
        const auto home = m_homes.constFind(key.publicKey);
        if (home != m_homes.constEnd()) {
            key.homeNodeUrl = *home;
            m_issues.warning(
                m_file, path,
                QStringLiteral("key with address %1 is also listed for node \"%2\"; it serves both nodes "
                               "and its home node (notifications, session validation) is \"%2\", the "
                               "first (PROTOCOL §4.2)")
                    .arg(key.addressHex, config::maskUrl(*home)),
                line);
        } else {
            key.homeNodeUrl = node.url;
            m_homes.insert(key.publicKey, node.url);
        }
        node.keys.append(std::move(key));
    }

    ServicerKeyFile take() { return std::move(m_out); }

private:
    const QString& m_file;
    ConfigIssues& m_issues;
    ServicerKeyFile m_out;
    QHash<QByteArray, QString> m_homes; // public key -> home node url
};

// A required string property of an element: its value, or nullopt with an error.
std::optional<QString> requiredString(const JsonValue& element, const QString& property,
                                      const QString& expected, const QString& file, const QString& path,
                                      ConfigIssues& issues, bool secret = false)
{
    const JsonValue* v = element.member(property);
    if (!v || v->isNull()) {
        issues.error(file, path + QLatin1Char('.') + property,
                     QStringLiteral("missing; expected %1").arg(expected), element.line);
        return std::nullopt;
    }
    QString out;
    if (const auto problem = config::decodeString(*v, out, secret)) {
        issues.error(file, path + QLatin1Char('.') + property, *problem, v->line);
        return std::nullopt;
    }
    return out;
}

std::optional<QString> checkedUrl(const JsonValue& element, const QString& property, const QString& file,
                                  const QString& path, ConfigIssues& issues)
{
    auto url = requiredString(element, property, QStringLiteral("the servicer's http:// or https:// URL"),
                              file, path, issues);
    if (!url) return std::nullopt;
    if (const auto problem = config::httpUrlProblem(*url)) {
        const JsonValue* v = element.member(property);
        issues.error(file, path + QLatin1Char('.') + property,
                     *problem + QStringLiteral(" (the reference cannot call such a node, PROTOCOL §13)"),
                     v ? v->line : element.line);
        return std::nullopt;
    }
    return url;
}

std::optional<ServicerKey> checkedKey(const JsonValue& value, const QString& file, const QString& path,
                                      ConfigIssues& issues)
{
    QString hex;
    if (value.isNull()) {
        issues.error(file, path, QStringLiteral("expected a private key (128 hex characters), got null"),
                     value.line);
        return std::nullopt;
    }
    if (const auto problem = config::decodeString(value, hex, true)) {
        issues.error(file, path,
                     QStringLiteral("expected a private key (128 hex characters), got %1")
                         .arg(config::jsonTypeName(value)),
                     value.line);
        return std::nullopt;
    }
    auto key = parseServicerPrivateKey(hex);
    if (!key) {
        issues.error(file, path, key.error(), value.line);
        return std::nullopt;
    }
    return std::move(*key);
}

void parseNodesElement(const JsonValue& element, qsizetype index, const QString& file,
                       KeyFileBuilder& builder, ConfigIssues& issues)
{
    const QString path = elementPath(index);
    warnUnknownMembers(element, {QStringLiteral("name"), QStringLiteral("url"), QStringLiteral("keys")}, file,
                       path, issues);
    QString name;
    if (const JsonValue* n = element.member(u"name")) {
        if (const auto problem = config::decodeString(*n, name))
            issues.error(file, path + QStringLiteral(".name"), *problem, n->line);
    }
    const auto url = checkedUrl(element, QStringLiteral("url"), file, path, issues);

    const JsonValue* keys = element.member(u"keys");
    QList<std::pair<ServicerKey, std::pair<QString, int>>> parsedKeys;
    if (!keys || keys->isNull()) {
        issues.error(file, path + QStringLiteral(".keys"),
                     QStringLiteral("missing; expected an array of private keys (128 hex characters each)"),
                     element.line);
    } else if (!keys->isArray()) {
        issues.error(
            file, path + QStringLiteral(".keys"),
            QStringLiteral("expected an array of private keys, got %1").arg(config::jsonTypeName(*keys)),
            keys->line);
    } else {
        if (keys->items.isEmpty())
            issues.warning(file, path + QStringLiteral(".keys"),
                           QStringLiteral("empty: this node serves no servicer"), keys->line);
        for (qsizetype j = 0; j < keys->items.size(); ++j) {
            const QString keyPath = path + QStringLiteral(".keys[%1]").arg(j);
            if (auto key = checkedKey(keys->items[j], file, keyPath, issues))
                parsedKeys.append({std::move(*key), {keyPath, keys->items[j].line}});
        }
    }
    if (!url) return;
    ServicerNode& node = builder.node(*url, name, index, true);
    for (auto& [key, where] : parsedKeys)
        builder.addKey(node, std::move(key), where.first, where.second);
}

void parseFallbackElement(const JsonValue& element, qsizetype index, const QString& file,
                          KeyFileBuilder& builder, ConfigIssues& issues)
{
    const QString path = elementPath(index);
    warnUnknownMembers(element, {QStringLiteral("priv_key"), QStringLiteral("servicer_url")}, file, path,
                       issues);
    const auto url = checkedUrl(element, QStringLiteral("servicer_url"), file, path, issues);
    std::optional<ServicerKey> key;
    const JsonValue* priv = element.member(u"priv_key");
    if (!priv || priv->isNull())
        issues.error(file, path + QStringLiteral(".priv_key"),
                     QStringLiteral("missing; expected a private key (128 hex characters)"), element.line);
    else
        key = checkedKey(*priv, file, path + QStringLiteral(".priv_key"), issues);
    if (!url || !key) return;
    ServicerNode& node = builder.node(*url, QString(), index, false);
    builder.addKey(node, std::move(*key), path + QStringLiteral(".priv_key"), priv->line);
}

} // namespace

int ServicerKeyFile::distinctKeyCount() const
{
    QSet<QByteArray> seen;
    for (const ServicerNode& n : nodes)
        for (const ServicerKey& k : n.keys)
            seen.insert(k.publicKey);
    return int(seen.size());
}

std::expected<ServicerKey, QString> parseServicerPrivateKey(const QString& hexText)
{
    // Messages describe the key by length and position only: nothing of the seed may leak.
    if (hexText.startsWith(QLatin1String("0x"), Qt::CaseInsensitive))
        return std::unexpected(
            QStringLiteral("starts with \"0x\"; expected plain hex (128 characters) without prefix"));
    for (qsizetype i = 0; i < hexText.size(); ++i) {
        const QChar c = hexText[i];
        const bool isHex = (c >= QLatin1Char('0') && c <= QLatin1Char('9')) ||
                           (c >= QLatin1Char('a') && c <= QLatin1Char('f')) ||
                           (c >= QLatin1Char('A') && c <= QLatin1Char('F'));
        if (!isHex)
            return std::unexpected(
                QStringLiteral("is not hex: character %1 of %2 is not 0-9 or a-f; expected 128 hex "
                               "characters (64-byte ed25519 private key)")
                    .arg(i + 1)
                    .arg(hexText.size()));
    }
    if (hexText.size() == 64)
        return std::unexpected(QStringLiteral(
            "is 64 hex characters (32 bytes): the reference reads that as a secp256k1 key, which cannot sign "
            "Pocket "
            "relays; expected the 128-character ed25519 private key (seed followed by public key)"));
    if (hexText.size() != 128)
        return std::unexpected(
            QStringLiteral("expected 128 hex characters (64-byte ed25519 private key: seed followed "
                           "by public key), got %1 characters")
                .arg(hexText.size()));
    const auto raw = crypto::hexDecode(hexText.toLatin1());
    if (!raw || raw->size() != crypto::kPrivateKeySize)
        return std::unexpected(QStringLiteral("is not valid hex; expected 128 hex characters"));

    ServicerKey key;
    key.privateKey = *raw;
    key.publicKey = raw->sliced(32, 32);
    key.publicKeyHex = QString::fromLatin1(crypto::hexEncode(key.publicKey));
    if (key.publicKey == QByteArray(32, '\0'))
        return std::unexpected(
            QStringLiteral("the public half (bytes 32..63) is all zeros (the reference panics on "
                           "such a key); expected the seed followed by its public key"));
    crypto::init(); // idempotent; libsodium must be initialised before deriving keys
    const QByteArray derived = crypto::publicKeyFromSeed(raw->first(32));
    // PROTOCOL §4.1: the reference takes bytes 32..63 verbatim and would sign with a mismatched half,
    // producing signatures nobody can verify. Reject it here instead of failing every relay later.
    if (derived != key.publicKey)
        return std::unexpected(
            QStringLiteral("the public half %1 (bytes 32..63) does not match the public key "
                           "derived from the seed (bytes 0..31): the key is corrupt and would "
                           "produce invalid signatures")
                .arg(key.publicKeyHex));
    key.address = crypto::addressFromPublicKey(key.publicKey);
    key.addressHex = QString::fromLatin1(crypto::hexEncode(key.address));
    return key;
}

ConfigResult<ServicerKeyFile> parseServicerKeyFile(const QByteArray& json, const QString& file)
{
    ConfigResult<ServicerKeyFile> out;
    const auto parsed = config::parseDataJson(json, file, out.issues);
    if (!parsed) return out;
    const JsonValue& root = *parsed;
    if (!root.isArray()) {
        out.issues.error(file, {},
                         QStringLiteral("expected a JSON array of nodes ({\"url\", \"keys\"}) or of keys "
                                        "({\"priv_key\", \"servicer_url\"}), got %1")
                             .arg(config::jsonTypeName(root)),
                         root.line);
        return out;
    }
    if (root.items.isEmpty()) {
        out.issues.error(file, {}, QStringLiteral("expected at least one element, got an empty array"),
                         root.line);
        return out;
    }

    // PROTOCOL §4.2: the fallback schema is tried first, then the nodes schema; the first element decides.
    const JsonValue& first = root.items.first();
    KeyFileFormat format;
    if (first.isObject() && (first.member(u"priv_key") || first.member(u"servicer_url"))) {
        format = KeyFileFormat::Fallback;
    } else if (first.isObject() && (first.member(u"url") || first.member(u"keys"))) {
        format = KeyFileFormat::Nodes;
    } else {
        out.issues.error(
            file, QStringLiteral("[0]"),
            QStringLiteral("matches neither format: expected {\"url\": ..., \"keys\": [...]} (nodes "
                           "format) or {\"priv_key\": ..., \"servicer_url\": ...} (fallback format), "
                           "got %1")
                .arg(first.isObject() ? QStringLiteral("an object without those properties")
                                      : config::jsonTypeName(first)),
            first.line);
        return out;
    }

    KeyFileBuilder builder(file, out.issues);
    QHash<QByteArray, qsizetype> seenElements;
    for (qsizetype i = 0; i < root.items.size(); ++i) {
        const JsonValue& element = root.items[i];
        if (!element.isObject()) {
            out.issues.error(file, elementPath(i),
                             QStringLiteral("expected an object, got %1").arg(config::jsonTypeName(element)),
                             element.line);
            continue;
        }
        const QByteArray text = canonical(element);
        if (seenElements.contains(text)) {
            // The reference's schema has uniqueItems: a repeated element makes the whole file invalid.
            out.issues.error(
                file, elementPath(i),
                QStringLiteral("is identical to element [%1]; the reference rejects repeated elements")
                    .arg(seenElements.value(text)),
                element.line);
            continue;
        }
        seenElements.insert(text, i);
        if (format == KeyFileFormat::Fallback)
            parseFallbackElement(element, i, file, builder, out.issues);
        else
            parseNodesElement(element, i, file, builder, out.issues);
    }
    out.value = builder.take();
    out.value.format = format;
    if (!out.issues.hasErrors() && out.value.distinctKeyCount() == 0)
        out.issues.error(file, {}, QStringLiteral("no servicer key: expected at least one private key"));
    return out;
}

ConfigResult<ServicerKeyFile> loadServicerKeyFile(const QString& path, const QString& file)
{
    const config::DataFile data = config::readDataFile(path);
    if (data.status != config::DataFile::Status::Ok) {
        ConfigResult<ServicerKeyFile> out;
        out.issues.error(file, {},
                         data.status == config::DataFile::Status::Missing
                             ? QStringLiteral("file not found (%1); expected the servicer key file").arg(path)
                             : data.error);
        return out;
    }
    return parseServicerKeyFile(data.data, file);
}

} // namespace pocket
