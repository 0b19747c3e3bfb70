#include "config/reloadfiles.h"

#include <QCryptographicHash>
#include <QSaveFile>

#include "config/configjson.h"
#include "protocol/gojson.h"

namespace pocket {

namespace {

template <typename T, typename Parse>
ReloadedFile<T> reread(const MeshConfig& config, const QString& relative, Parse parse)
{
    ReloadedFile<T> out;
    out.path = config.resolvePath(relative);
    out.display = config::displayPath(config.dataDir, out.path);
    const config::DataFile data = config::readDataFile(out.path);
    if (data.status != config::DataFile::Status::Ok) {
        out.result.issues.error(out.display, {},
                                data.status == config::DataFile::Status::Missing
                                    ? QStringLiteral("file not found (%1); the last good state is kept").arg(out.path)
                                    : data.error + QStringLiteral("; the last good state is kept"));
        return out;
    }
    out.readable = true;
    out.digest = QCryptographicHash::hash(data.data, QCryptographicHash::Sha256);
    out.result = parse(data.data, out.display);
    return out;
}

} // namespace

ReloadedFile<ServicerKeyFile> rereadServicerKeyFile(const MeshConfig& config)
{
    return reread<ServicerKeyFile>(config, config.servicerPrivateKeyFile, &parseServicerKeyFile);
}

ReloadedFile<ChainTable> rereadChainsFile(const MeshConfig& config)
{
    return reread<ChainTable>(config, config.chainsName, &parseChainsFile);
}

ReloadedFile<ChainNameMap> rereadChainNameMap(const MeshConfig& config)
{
    if (config.chainsNameMap.isEmpty()) return {};
    ReloadedFile<ChainNameMap> out = reread<ChainNameMap>(config, config.chainsNameMap, &parseChainNameMap);
    out.result.value.source = out.display;
    return out;
}

QByteArray chainJson(const ConfiguredChain& c)
{
    GoJsonWriter w(128);
    w.beginObject();
    w.key("id").string(c.id);
    w.key("url").string(c.url.toUtf8());
    w.key("basic_auth").beginObject();
    w.key("username").string(c.basicAuthUser.toUtf8());
    w.key("password").string(c.basicAuthPassword.toUtf8());
    w.endObject();
    w.endObject();
    return w.take();
}

QByteArray chainsFileJson(const ChainTable& table)
{
    QByteArray out = "[\n";
    for (qsizetype i = 0; i < table.chains.size(); ++i)
        out += "  " + chainJson(table.chains.at(i)) + (i + 1 < table.chains.size() ? ",\n" : "\n");
    out += "]\n";
    return out;
}

Result<void> writeFileAtomically(const QString& path, const QByteArray& data)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return std::unexpected(PocketError::internal(QStringLiteral("cannot write %1: %2").arg(path, file.errorString())));
    if (file.write(data) != data.size()) {
        const QString why = file.errorString();
        file.cancelWriting();
        return std::unexpected(PocketError::internal(QStringLiteral("cannot write %1: %2").arg(path, why)));
    }
    if (!file.commit())
        return std::unexpected(PocketError::internal(QStringLiteral("cannot replace %1: %2").arg(path, file.errorString())));
    return {};
}

} // namespace pocket
