#pragma once
// What a key or chains reload changes (PROTOCOL §12.4): the key ring built from the key file's nodes, and the
// differences between two rings / two chain tables / two node lists. Pure functions, any thread.
#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include "config/chains.h"
#include "config/servicerkeys.h"
#include "servicer/keyring.h"

namespace pocket {

// One identity per distinct key, at its home node (the first node listing it, PROTOCOL §4.2).
KeyRingPtr buildKeyRing(const QList<ServicerNode>& nodes);
// Node URL -> name, every node of the file (a node whose keys all live elsewhere is still followed).
QHash<QString, QString> nodeNames(const QList<ServicerNode>& nodes);

struct KeyRingDiff
{
    QList<ServicerIdentity> added;   // address not in the old ring
    QList<ServicerIdentity> removed; // address not in the new ring (the old identity)
    QList<ServicerIdentity> moved;   // same address, another home node (the new identity)
    QStringList nodesAdded;          // node URLs, sorted
    QStringList nodesRemoved;
    QStringList nodesRenamed;        // same URL, another name
    bool changed() const
    {
        return !added.isEmpty() || !removed.isEmpty() || !moved.isEmpty() || !nodesAdded.isEmpty()
               || !nodesRemoved.isEmpty() || !nodesRenamed.isEmpty();
    }
};
KeyRingDiff diffKeyRings(const KeyRing& before, const KeyRing& after, const QHash<QString, QString>& nodesBefore,
                         const QHash<QString, QString>& nodesAfter);

struct ChainTableDiff
{
    QList<QByteArray> added;   // ids, in the new file's order
    QList<QByteArray> removed; // ids, in the old file's order
    QList<QByteArray> updated; // url or basic auth changed
    bool reordered = false;    // same chains, another order (nothing to apply, the file just differs)
    bool changed() const { return !added.isEmpty() || !removed.isEmpty() || !updated.isEmpty(); }
};
ChainTableDiff diffChainTables(const ChainTable& before, const ChainTable& after);

} // namespace pocket
