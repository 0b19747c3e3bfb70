#include "config/datadir.h"

#include <QDir>
#include <QFileInfo>

namespace pocket {

using config::JsonValue;

namespace {

JsonValue tokenJson(const AuthToken& token, const QString& file)
{
    JsonValue obj = JsonValue::makeObject();
    obj.insert(QStringLiteral("file"), JsonValue::fromString(file));
    obj.insert(QStringLiteral("present"), JsonValue::fromBool(token.filePresent));
    if (token.value.isEmpty()) {
        obj.insert(QStringLiteral("token"), JsonValue::fromString(QString()));
    } else {
        obj.insert(QStringLiteral("token"), JsonValue::fromString(QStringLiteral("***")));
        obj.insert(QStringLiteral("token_length"), JsonValue::fromInt(token.value.size()));
    }
    JsonValue issued;
    if (token.issued) issued = JsonValue::fromString(token.issued->toString(Qt::ISODateWithMs));
    obj.insert(QStringLiteral("issued"), issued);
    return obj;
}

// Local name map: metrics only, so every problem is a warning (the reference only logs a failed load).
ChainNameMap loadLocalNameMap(const MeshConfig& c, const QString& dataDir, ConfigIssues& issues)
{
    ChainNameMap out;
    if (c.chainsNameMap.isEmpty()) return out;
    const QString path = c.resolvePath(c.chainsNameMap);
    const QString file = config::displayPath(dataDir, path);
    out.source = file;
    const config::DataFile data = config::readDataFile(path);
    const QString consequence = QStringLiteral(" (metrics only: chains will be labelled by id)");
    if (data.status != config::DataFile::Status::Ok) {
        issues.warning(file, {},
                       (data.status == config::DataFile::Status::Missing ? QStringLiteral("file not found")
                                                                         : data.error) +
                           consequence);
        return out;
    }
    ConfigResult<ChainNameMap> parsed = parseChainNameMap(data.data, file);
    for (ConfigIssue issue : parsed.issues.all()) {
        if (!issue.isWarning) issue.message += consequence;
        issue.isWarning = true;
        issues.add(issue);
    }
    if (parsed.ok()) out = parsed.value;
    out.source = file;
    return out;
}

} // namespace

QString locateConfigFile(const QString& dataDir, ConfigIssues& issues)
{
    const QDir dir(dataDir);
    const QString top = QDir::cleanPath(dir.absoluteFilePath(QStringLiteral("config.json")));
    const QString nested = QDir::cleanPath(dir.absoluteFilePath(QStringLiteral("config/config.json")));
    const bool hasTop = QFileInfo::exists(top);
    const bool hasNested = QFileInfo::exists(nested);
    if (hasTop && hasNested) {
        issues.warning(
            QStringLiteral("config.json"), {},
            QStringLiteral("ignored: config/config.json exists too and wins, because it is the file the "
                           "reference node reads (PROTOCOL §4.2); remove one of them"));
        return nested;
    }
    if (hasNested) return nested;
    if (hasTop) return top;
    issues.error(
        QStringLiteral("config.json"), {},
        QStringLiteral("no configuration file: looked for %1 and %2 (create one; every key has a default, so "
                       "{} is a valid start)")
            .arg(top, nested));
    return {};
}

DataDirResult loadDataDirectory(const QString& dataDirArg)
{
    ConfigIssues issues;
    LoadedDataDir out;
    const QString flagDir = QDir::cleanPath(QDir(dataDirArg).absolutePath());
    const auto failed = [&] { return std::unexpected(issues.all()); };

    if (!QFileInfo(flagDir).isDir()) {
        issues.error(flagDir, {}, QStringLiteral("the data directory does not exist or is not a directory"));
        return failed();
    }

    // 1. config.json (PROTOCOL §12.1).
    out.configFile = locateConfigFile(flagDir, issues);
    if (out.configFile.isEmpty()) return failed();
    const QString configDisplay = config::displayPath(flagDir, out.configFile);
    const config::DataFile configData = config::readDataFile(out.configFile);
    if (configData.status != config::DataFile::Status::Ok) {
        issues.error(configDisplay, {}, configData.error);
        return failed();
    }
    MeshConfigLoad load = decodeMeshConfig(configData.data, configDisplay);
    issues.append(load.issues);
    if (!load.fileUsable) return failed();
    out.config = load.config;
    const auto skip = [&](const char* key) { return load.keysWithErrors.contains(QLatin1String(key)); };

    // data_dir from the file replaces --datadir for every relative path; a relative data_dir is relative to
    // the working directory, as in Go.
    if (!out.config.dataDir.isEmpty()) {
        if (QDir::isRelativePath(out.config.dataDir))
            issues.warning(
                configDisplay, QStringLiteral("data_dir"),
                QStringLiteral("\"%1\" is relative: it is resolved against the current directory (%2)")
                    .arg(out.config.dataDir, QDir::currentPath()));
        out.dataDir = QDir::cleanPath(QDir(out.config.dataDir).absolutePath());
        if (!QFileInfo(out.dataDir).isDir()) {
            issues.error(
                configDisplay, QStringLiteral("data_dir"),
                QStringLiteral("\"%1\" does not exist or is not a directory; it replaces --datadir (%2) for "
                               "every file below (PROTOCOL §12.1)")
                    .arg(out.dataDir, flagDir));
            return failed();
        }
    } else {
        out.dataDir = flagDir;
    }
    out.config.dataDir = out.dataDir;
    const MeshConfig& c = out.config;
    const auto display = [&](const QString& path) { return config::displayPath(out.dataDir, path); };

    // 2. Auth tokens.
    if (!skip("auth_token_file")) {
        const QString path = c.resolvePath(c.authTokenFile);
        auto token = loadAuthToken(path, display(path), AuthTokenRole::Mesh);
        issues.append(token.issues);
        out.meshToken = token.value;
    }
    if (!skip("servicer_auth_token_file")) {
        const QString path = c.resolvePath(c.servicerAuthTokenFile);
        auto token = loadAuthToken(path, display(path), AuthTokenRole::Servicer);
        issues.append(token.issues);
        out.servicerToken = token.value;
    }

    // 3. chains.json (required at start, PROTOCOL §9.3).
    if (!skip("chains_name")) {
        const QString path = c.resolvePath(c.chainsName);
        auto chains = loadChainsFile(path, display(path));
        issues.append(chains.issues);
        out.chains = chains.value;
    }

    // 4. Chain name map: the local file here; the remote one is fetched later by the network layer.
    if (!skip("chains_name_map")) out.chainNames = loadLocalNameMap(c, out.dataDir, issues);

    // 5. Servicer key file.
    if (!skip("servicer_private_key_file")) {
        const QString path = c.resolvePath(c.servicerPrivateKeyFile);
        auto keys = loadServicerKeyFile(path, display(path));
        issues.append(keys.issues);
        out.nodes = keys.value.nodes;
        out.keyFileFormat = keys.value.format;
    }

    if (issues.hasErrors()) return failed();
    out.warnings = issues.warnings();
    return out;
}

JsonValue maskedDataDirJson(const LoadedDataDir& loaded)
{
    const MeshConfig& c = loaded.config;
    const auto display = [&](const QString& relative) {
        return config::displayPath(loaded.dataDir, c.resolvePath(relative));
    };
    JsonValue root = JsonValue::makeObject();
    root.insert(QStringLiteral("data_dir"), JsonValue::fromString(loaded.dataDir));
    root.insert(QStringLiteral("config_file"), JsonValue::fromString(loaded.configFile));
    root.insert(QStringLiteral("config"), meshConfigToJson(c));

    JsonValue auth = JsonValue::makeObject();
    auth.insert(QStringLiteral("mesh"), tokenJson(loaded.meshToken, display(c.authTokenFile)));
    auth.insert(QStringLiteral("servicer"),
                tokenJson(loaded.servicerToken, display(c.servicerAuthTokenFile)));
    root.insert(QStringLiteral("auth"), auth);

    JsonValue chains = JsonValue::makeArray();
    for (const ConfiguredChain& chain : loaded.chains.chains) {
        JsonValue obj = JsonValue::makeObject();
        obj.insert(QStringLiteral("id"), JsonValue::fromString(QString::fromUtf8(chain.id)));
        obj.insert(QStringLiteral("url"), JsonValue::fromString(config::maskUrl(chain.url)));
        if (!chain.basicAuthUser.isEmpty() || !chain.basicAuthPassword.isEmpty()) {
            JsonValue basic = JsonValue::makeObject();
            basic.insert(QStringLiteral("username"), JsonValue::fromString(chain.basicAuthUser));
            basic.insert(
                QStringLiteral("password"),
                JsonValue::fromString(chain.basicAuthPassword.isEmpty() ? QString() : QStringLiteral("***")));
            obj.insert(QStringLiteral("basic_auth"), basic);
        }
        chains.append(obj);
    }
    JsonValue chainsObj = JsonValue::makeObject();
    chainsObj.insert(QStringLiteral("file"), JsonValue::fromString(display(c.chainsName)));
    chainsObj.insert(QStringLiteral("count"), JsonValue::fromInt(loaded.chains.size()));
    chainsObj.insert(QStringLiteral("chains"), chains);
    root.insert(QStringLiteral("chains"), chainsObj);

    JsonValue names = JsonValue::makeObject();
    names.insert(QStringLiteral("local_file"), JsonValue::fromString(loaded.chainNames.source));
    names.insert(QStringLiteral("local_format"),
                 JsonValue::fromString(loaded.chainNames.names.isEmpty() ? QString()
                                       : loaded.chainNames.format == ChainNameMap::Format::Plain
                                           ? QStringLiteral("plain")
                                           : QStringLiteral("rich")));
    names.insert(QStringLiteral("local_count"), JsonValue::fromInt(loaded.chainNames.names.size()));
    names.insert(QStringLiteral("remote_url"), JsonValue::fromString(config::maskUrl(c.remoteChainsNameMap)));
    root.insert(QStringLiteral("chain_name_map"), names);

    JsonValue nodes = JsonValue::makeArray();
    int keyCount = 0;
    for (const ServicerNode& node : loaded.nodes) {
        JsonValue obj = JsonValue::makeObject();
        obj.insert(QStringLiteral("name"), JsonValue::fromString(node.name));
        obj.insert(QStringLiteral("url"), JsonValue::fromString(config::maskUrl(node.url)));
        JsonValue keys = JsonValue::makeArray();
        for (const ServicerKey& key : node.keys) {
            // Never the private key: the public key and address identify the servicer.
            JsonValue k = JsonValue::makeObject();
            k.insert(QStringLiteral("address"), JsonValue::fromString(key.addressHex));
            k.insert(QStringLiteral("public_key"), JsonValue::fromString(key.publicKeyHex));
            if (key.homeNodeUrl != node.url)
                k.insert(QStringLiteral("home_node"),
                         JsonValue::fromString(config::maskUrl(key.homeNodeUrl)));
            keys.append(k);
            ++keyCount;
        }
        obj.insert(QStringLiteral("keys"), keys);
        nodes.append(obj);
    }
    JsonValue servicers = JsonValue::makeObject();
    servicers.insert(QStringLiteral("file"), JsonValue::fromString(display(c.servicerPrivateKeyFile)));
    servicers.insert(QStringLiteral("format"),
                     JsonValue::fromString(loaded.keyFileFormat == KeyFileFormat::Nodes
                                               ? QStringLiteral("nodes")
                                               : QStringLiteral("fallback")));
    servicers.insert(QStringLiteral("node_count"), JsonValue::fromInt(loaded.nodes.size()));
    servicers.insert(QStringLiteral("key_count"), JsonValue::fromInt(keyCount));
    servicers.insert(QStringLiteral("nodes"), nodes);
    root.insert(QStringLiteral("servicers"), servicers);
    return root;
}

QByteArray renderMaskedDataDir(const LoadedDataDir& loaded)
{
    return config::writeJson(maskedDataDirJson(loaded));
}

} // namespace pocket
