#pragma once
// POST /v1/client/relay (PROTOCOL §5.1 as amended by DECISIONS 1–4): decode, validate in the reference order,
// admit into the session, store the relay durably, and call the chain once it is committed (DECISIONS 4): a
// relay the chain served is always in the outbox. One handler per server thread, with that thread's chain
// executor.
#include <QByteArray>
#include <QList>
#include <QObject>
#include <functional>

#include "relay/meshshared.h"

namespace pocket {

struct RelayReply
{
    int status = 200;
    QByteArray body;
};

// Observations for metrics and logs; called in the server thread.
struct RelayEvent
{
    QByteArray chain;
    QByteArray servicerAddressHex;
    bool validated = false;   // passed validation (a chain call was made)
    int chainStatus = 0;      // chain HTTP status, 500/504 on execution errors
    qint64 totalMs = 0;
    qint64 chainMs = 0;
    std::optional<PocketError> error;
};

class RelayHandler : public QObject
{
    Q_OBJECT
public:
    RelayHandler(MeshShared* shared, ChainExecutor* chain, QObject* parent = nullptr);

    void handle(const QByteArray& body, std::function<void(RelayReply)> reply);
    void setObserver(std::function<void(const RelayEvent&)> observer) { m_observer = std::move(observer); }

    // The 400 reply of DECISIONS 1, with the session's dispatch for codes that warrant one (71, 60, 14, 75).
    static RelayReply errorReply(const PocketError& error, const QByteArray& dispatchJson = {});

private:
    MeshShared* m_shared;
    ChainExecutor* m_chain;
    std::function<void(const RelayEvent&)> m_observer;
};

} // namespace pocket
