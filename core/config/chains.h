#pragma once
// chains.json (config key chains_name; PROTOCOL §4.2):
//   [ {"id": "0021", "url": "http://eth-node:8545", "basic_auth": {"username": "", "password": ""}} ]
// and the chain name map used by metrics (chains_name_map / remote_chains_name_map):
//   {"0021": "Ethereum"} (plain, tried first) or {"0021": {"label": "Ethereum"}} (rich).
// Chain URLs and passwords are credentials: mask them (config::maskUrl) before they reach a log line.
#include "config/configissue.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QMap>
#include <QString>

namespace pocket {

struct ConfiguredChain
{
    QByteArray id;         // as written (hex of 1..4 bytes), e.g. "0021"; relays name chains by this string
    QString url;           // http(s) URL; may carry credentials
    QString basicAuthUser; // "" when basic_auth is absent
    QString basicAuthPassword; // secret
};

struct ChainTable
{
    QList<ConfiguredChain> chains; // file order; a duplicate id replaced the earlier entry in place

    const ConfiguredChain* find(QByteArrayView id) const;
    int size() const { return int(chains.size()); }
};

// Parses chains.json text. Errors: not an array, an element that is not an object, an id that is not hex of
// 1..4 bytes, a missing or non-http(s) url. Warnings: duplicate ids (the last wins), unknown properties, no
// chains.
ConfigResult<ChainTable> parseChainsFile(const QByteArray& json, const QString& file);
// Reads and parses `path`; missing or unreadable is an error (PROTOCOL §9.3: fatal at start).
ConfigResult<ChainTable> loadChainsFile(const QString& path, const QString& file);

struct ChainNameMap
{
    enum class Format
    {
        Plain,
        Rich
    };
    Format format = Format::Plain;
    QMap<QString, QString> names; // chain id -> label
    QString source;               // file (as displayed) or URL (masked); "" when none is configured
};

// Parses a name map (local file or a remote reply). Anything else than the two accepted shapes is an error.
ConfigResult<ChainNameMap> parseChainNameMap(const QByteArray& json, const QString& source);

} // namespace pocket
