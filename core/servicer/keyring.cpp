#include "servicer/keyring.h"

namespace pocket {

void KeyRing::add(const ServicerIdentity& identity)
{
    if (m_byPublicKey.contains(identity.publicKey)) return;
    m_byPublicKey.insert(identity.publicKey, int(m_keys.size()));
    m_byAddress.insert(identity.addressHex, int(m_keys.size()));
    m_keys.append(identity);
}

const ServicerIdentity* KeyRing::find(const QByteArray& publicKey) const
{
    auto it = m_byPublicKey.constFind(publicKey);
    return it == m_byPublicKey.constEnd() ? nullptr : &m_keys[*it];
}

const ServicerIdentity* KeyRing::findByAddress(const QByteArray& addressHex) const
{
    auto it = m_byAddress.constFind(addressHex);
    return it == m_byAddress.constEnd() ? nullptr : &m_keys[*it];
}

QStringList KeyRing::nodeUrls() const
{
    QStringList urls;
    for (const auto& k : m_keys)
        if (!urls.contains(k.nodeUrl)) urls.append(k.nodeUrl);
    return urls;
}

QList<QByteArray> KeyRing::addressesOfNode(const QString& url) const
{
    QList<QByteArray> out;
    for (const auto& k : m_keys)
        if (k.nodeUrl == url) out.append(k.addressHex);
    return out;
}

} // namespace pocket
