#pragma once
// State shared by every server thread and the control thread of one mesh node. Each member says how it is
// guarded; the pointers are owned by MeshNode and outlive every thread that uses them.
#include <QHash>

#include "chain/chainexecutor.h"
#include "config/chains.h"
#include "protocol/relayvalidator.h"
#include "servicer/keyring.h"
#include "servicer/nodestatus.h"
#include "session/sessioncache.h"
#include "util/snapshot.h"

namespace pocket {

class RelayOutbox;
class Notifier;
class SessionValidator;

struct MeshShared
{
    Snapshot<KeyRing> keys;     // swapped whole on reload
    Snapshot<ChainTable> chains; // swapped whole on reload
    NodeStatusTable nodes;      // its own lock
    SessionCache sessions;      // its own lock
    AatSignatureCache aatCache; // its own lock
    RelayOutbox* outbox = nullptr;          // thread-safe API
    Notifier* notifier = nullptr;           // submit() is thread-safe
    SessionValidator* validator = nullptr;  // schedule() is thread-safe
};

} // namespace pocket
