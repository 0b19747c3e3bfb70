#pragma once
// Re-reading the hot-reloadable files of a running node (PROTOCOL §12.4, DECISIONS 9): the servicer key file
// and chains.json, with the same parsers as start-up (so a file valid at start is valid on reload and the
// other way round), plus the content digest that lets a periodic reload skip a file that did not change, and
// the atomic rewrite of chains.json used by /v1/private/mesh/updatechains (DECISIONS 9: temporary file +
// rename, never the reference's write without truncation).
#include "config/chains.h"
#include "config/configissue.h"
#include "config/meshconfig.h"
#include "config/servicerkeys.h"

#include <QByteArray>
#include <QString>

#include "util/result.h"

namespace pocket {

template <typename T> struct ReloadedFile
{
    QString path;    // absolute
    QString display; // as shown in issues (relative to data_dir when inside it)
    bool readable = false; // false: missing or unreadable (the error is in result.issues)
    QByteArray digest;     // SHA-256 of the bytes read; empty when unreadable
    ConfigResult<T> result;
};

// What a node last saw of a reloadable file: a periodic reload skips bytes it has already seen.
struct ReloadedFileState
{
    QByteArray digest;    // of the bytes last read; "unreadable" when the last read failed
    bool refused = false; // those bytes were invalid: the state before them is still in use
};

// Reads and parses servicer_private_key_file / chains_name of `config` (whose dataDir is set).
ReloadedFile<ServicerKeyFile> rereadServicerKeyFile(const MeshConfig& config);
ReloadedFile<ChainTable> rereadChainsFile(const MeshConfig& config);
// chains_name_map (metrics only); `readable` false without an issue when none is configured.
ReloadedFile<ChainNameMap> rereadChainNameMap(const MeshConfig& config);

// One chain as the reference marshals it (Go struct order): {"id","url","basic_auth":{"username","password"}}.
QByteArray chainJson(const ConfiguredChain& chain);
// chains.json text for `table` (PROTOCOL §4.2 shape, file order, one chain per line, credentials included:
// it is the file the operator wrote them in).
QByteArray chainsFileJson(const ChainTable& table);

// Writes `data` to `path` through a temporary file in the same directory and a rename: a reader sees the old
// or the new content, never a mix. The error names the path, never the content.
Result<void> writeFileAtomically(const QString& path, const QByteArray& data);

} // namespace pocket
