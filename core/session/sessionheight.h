#pragma once
// Session height arithmetic of PROTOCOL §7.3, from a node's last /check reply.
#include <QtGlobal>

namespace pocket {

struct HeightView
{
    qint64 height = 0;          // H: the servicer's block height
    qint64 blocksPerSession = 4; // B: 4 until the first successful check (PROTOCOL §7.3)
    qint64 sessionSyncAllowance = 0; // the servicer's client_session_sync_allowance
};

// First block of the session that contains `height` (sessions start at 1, B+1, 2B+1, …).
// B <= 0 is treated as 1 so a bad /check reply can never divide by zero (DECISIONS 2).
qint64 latestSessionHeight(qint64 height, qint64 blocksPerSession);

// latest − A·B ≤ h ≤ latest, h > 0 (IsProofSessionHeightWithinTolerance, inclusive).
bool withinTolerance(qint64 sessionHeight, const HeightView& v, qint64 allowance);

// The mesh serves one session less than the servicer accepts, to leave time to notify (HEAD: max(0, A−1)).
bool meshCanServe(qint64 sessionHeight, const HeightView& v);

// Optimistic next session: h ≥ H, the node sits on the last block of its session, h − latest ≤ B.
bool optimisticNextSession(qint64 sessionHeight, const HeightView& v);

// The servicer still accepts a notification for this session height (its own tolerance, A unreduced).
bool servicerAccepts(qint64 sessionHeight, const HeightView& v);

// The session is older than anything the servicer can still accept: its relays can no longer be claimed.
bool sessionExpired(qint64 sessionHeight, const HeightView& v);

} // namespace pocket
