#include "mesh/keyringdiff.h"

#include <algorithm>

namespace pocket {

KeyRingPtr buildKeyRing(const QList<ServicerNode>& nodes)
{
    auto ring = std::make_shared<KeyRing>();
    for (const ServicerNode& node : nodes) {
        for (const ServicerKey& key : node.keys) {
            ServicerIdentity id;
            id.privateKey = key.privateKey;
            id.publicKey = key.publicKey;
            id.publicKeyHex = key.publicKeyHex.toLatin1();
            id.addressHex = key.addressHex.toLatin1();
            id.nodeUrl = key.homeNodeUrl.isEmpty() ? node.url : key.homeNodeUrl;
            ring->add(id); // first node wins for a key listed twice
        }
    }
    return ring;
}

QHash<QString, QString> nodeNames(const QList<ServicerNode>& nodes)
{
    QHash<QString, QString> names;
    for (const ServicerNode& node : nodes)
        if (!names.contains(node.url)) names.insert(node.url, node.name);
    return names;
}

KeyRingDiff diffKeyRings(const KeyRing& before, const KeyRing& after, const QHash<QString, QString>& nodesBefore,
                         const QHash<QString, QString>& nodesAfter)
{
    KeyRingDiff d;
    for (const ServicerIdentity& id : after.all()) {
        const ServicerIdentity* old = before.findByAddress(id.addressHex);
        if (!old) d.added.append(id);
        else if (old->nodeUrl != id.nodeUrl) d.moved.append(id);
    }
    for (const ServicerIdentity& id : before.all())
        if (!after.findByAddress(id.addressHex)) d.removed.append(id);
    for (auto it = nodesAfter.constBegin(); it != nodesAfter.constEnd(); ++it) {
        const auto old = nodesBefore.constFind(it.key());
        if (old == nodesBefore.constEnd()) d.nodesAdded.append(it.key());
        else if (old.value() != it.value()) d.nodesRenamed.append(it.key());
    }
    for (auto it = nodesBefore.constBegin(); it != nodesBefore.constEnd(); ++it)
        if (!nodesAfter.contains(it.key())) d.nodesRemoved.append(it.key());
    d.nodesAdded.sort();
    d.nodesRemoved.sort();
    d.nodesRenamed.sort();
    return d;
}

ChainTableDiff diffChainTables(const ChainTable& before, const ChainTable& after)
{
    ChainTableDiff d;
    for (const ConfiguredChain& c : after.chains) {
        const ConfiguredChain* old = before.find(c.id);
        if (!old) d.added.append(c.id);
        else if (old->url != c.url || old->basicAuthUser != c.basicAuthUser
                 || old->basicAuthPassword != c.basicAuthPassword)
            d.updated.append(c.id);
    }
    for (const ConfiguredChain& c : before.chains)
        if (!after.find(c.id)) d.removed.append(c.id);
    if (!d.changed() && before.chains.size() == after.chains.size()) {
        for (qsizetype i = 0; i < before.chains.size(); ++i)
            if (before.chains.at(i).id != after.chains.at(i).id) d.reordered = true;
    }
    return d;
}

} // namespace pocket
