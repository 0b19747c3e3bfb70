#pragma once
// The servicer keys the mesh serves for, looked up by the proof's servicer_pub_key (PROTOCOL §4.1, §5.1 2–3).
// Immutable once built: a reload builds a new KeyRing and swaps the shared pointer.
#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <memory>

namespace pocket {

struct ServicerIdentity
{
    QByteArray privateKey;   // 64 bytes, seed || public key; never logged
    QByteArray publicKey;    // 32 raw bytes
    QByteArray publicKeyHex; // lower-case hex
    QByteArray addressHex;   // 40 hex chars
    QString nodeUrl;         // the "home" node: notifications and session validation go there
};

class KeyRing
{
public:
    void add(const ServicerIdentity& identity); // first node wins for a key listed twice (PROTOCOL §4.2)
    // Lookup by the raw 32-byte public key (hex-decoded from the proof, so the hex case does not matter).
    const ServicerIdentity* find(const QByteArray& publicKey) const;
    const ServicerIdentity* findByAddress(const QByteArray& addressHex) const;
    QList<ServicerIdentity> all() const { return m_keys; }
    QStringList nodeUrls() const;
    QList<QByteArray> addressesOfNode(const QString& url) const;
    int size() const { return int(m_keys.size()); }

private:
    QList<ServicerIdentity> m_keys;
    QHash<QByteArray, int> m_byPublicKey;
    QHash<QByteArray, int> m_byAddress;
};

using KeyRingPtr = std::shared_ptr<const KeyRing>;

} // namespace pocket
