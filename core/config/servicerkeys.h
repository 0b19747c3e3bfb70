#pragma once
// The servicer key file (config key servicer_private_key_file; PROTOCOL §4.1, §4.2) in both formats:
//   nodes:    [ {"name": "opt", "url": "http://servicer:8081", "keys": ["<128 hex>", ...]}, ... ]
//   fallback: [ {"priv_key": "<128 hex>", "servicer_url": "http://servicer:8081"}, ... ]
// The reference schema-checks only the first element; here every element and every key is checked, and a key
// whose public half does not match its seed (the reference would sign garbage with it) is an error.
// Private keys stay in memory: no message, log line or dump ever contains one (only public key and address).
#include "config/configissue.h"

#include <expected>
#include <QByteArray>
#include <QList>
#include <QString>

namespace pocket {

struct ServicerKey
{
    QByteArray
        privateKey; // 64 bytes: seed || public key (Go/NaCl layout); memory only, never logged or dumped
    QByteArray publicKey; // 32 raw bytes (= privateKey bytes 32..63, checked against the seed)
    QString publicKeyHex; // lower-case hex, as in proofs' servicer_pub_key
    QByteArray address;   // 20 raw bytes: SHA-256(publicKey)[0..20) (PROTOCOL §4.1)
    QString addressHex;   // lower-case hex
    QString homeNodeUrl;  // the first node listing this key: notifications and session validation go there
};

struct ServicerNode
{
    QString name; // "name" of the nodes format, else the URL's host without port
    QString url;  // exact string from the file: nodes are keyed by it (PROTOCOL §4.2)
    QList<ServicerKey> keys;
};

enum class KeyFileFormat
{
    Nodes,
    Fallback
};

struct ServicerKeyFile
{
    KeyFileFormat format = KeyFileFormat::Nodes;
    QList<ServicerNode> nodes; // in file order of first appearance
    int distinctKeyCount() const;
};

// One private key from the file. The error message never contains key material (at most the public half).
std::expected<ServicerKey, QString> parseServicerPrivateKey(const QString& hex);

// Parses key file text (`file` names it in issues). Errors for every bad element/key; warnings for keys
// listed twice, merged duplicate URLs, unknown properties and trailing slashes in URLs.
ConfigResult<ServicerKeyFile> parseServicerKeyFile(const QByteArray& json, const QString& file);

// Reads and parses `path`; a missing or unreadable file is an error.
ConfigResult<ServicerKeyFile> loadServicerKeyFile(const QString& path, const QString& file);

} // namespace pocket
