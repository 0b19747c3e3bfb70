#include "relay/relayhandler.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <memory>

#include "outbox/relayoutbox.h"
#include "protocol/crypto.h"
#include "servicer/notifier.h"
#include "session/sessionvalidator.h"

Q_LOGGING_CATEGORY(lcRelay, "pocket.relay")

namespace pocket {

namespace {
bool warrantsDispatch(quint32 code) { return code == 71 || code == 60 || code == 14 || code == 75; }
} // namespace

RelayHandler::RelayHandler(MeshShared* shared, ChainExecutor* chain, QObject* parent)
    : QObject(parent), m_shared(shared), m_chain(chain)
{
}

RelayReply RelayHandler::errorReply(const PocketError& error, const QByteArray& dispatchJson)
{
    return RelayReply{400, relayErrorBody(error, warrantsDispatch(error.code) ? dispatchJson : QByteArray())};
}

void RelayHandler::handle(const QByteArray& body, std::function<void(RelayReply)> reply)
{
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    RelayEvent event;
    auto failWith = [&](const PocketError& e, const QByteArray& dispatch = {}) {
        event.error = e;
        event.totalMs = timer->elapsed();
        if (m_observer) m_observer(event);
        reply(errorReply(e, dispatch));
    };

    // 1. Go decode (PROTOCOL §1.2).
    auto decoded = decodeRelay(body);
    if (!decoded) return failWith(PocketError::internal(decoded.error()));
    event.chain = decoded->proof.blockchain;

    // 2–3. The servicer this relay is for.
    const auto servicerKey = crypto::hexDecode(decoded->proof.servicerPubKey);
    if (!servicerKey || servicerKey->size() != crypto::kPublicKeySize)
        return failWith(PocketError::internal(QStringLiteral("could not convert servicer hex to public key")));
    const KeyRingPtr keys = m_shared->keys.load();
    const ServicerIdentity* servicer = keys->find(*servicerKey);
    if (!servicer) return failWith(PocketError::internal(QStringLiteral("failed to find correct servicer PK")));
    event.servicerAddressHex = servicer->addressHex;

    // 4–6. The servicer node must be able to serve.
    const auto node = m_shared->nodes.get(servicer->nodeUrl);
    if (auto e = NodeStatusTable::servingError(node)) return failWith(*e);

    // 7.1–7.4 payload, app key, chain id, Go request hash; 7.5 chain hosted.
    auto validated = validatePayloadAndHash(std::move(*decoded));
    if (!validated) return failWith(validated.error());
    const Relay& relay = validated->relay;
    const auto chains = m_shared->chains.load();
    const ConfiguredChain* chainEntry = chains->find(relay.proof.blockchain);
    if (!chainEntry) return failWith(PocketError::pocketcore(26));
    const ConfiguredChain chain = *chainEntry;

    // 7.7 session height tolerance, before the signatures (reference order).
    if (auto e = SessionCache::checkHeight(relay.proof.sessionBlockHeight, node->heights)) return failWith(*e);

    // 7.8 proof: AAT (signature cached per token) and the client signature, verified for every relay.
    if (auto proofOk = validateProof(*validated, &m_shared->aatCache); !proofOk) return failWith(proofOk.error());
    const ValidatedRelay* proof = &*validated;

    // 9–11 session: duplicate (exact), stored error, remaining relays.
    SessionRequest sessionRequest{relay.proof.aat.appPubKey, relay.proof.blockchain, relay.proof.sessionBlockHeight,
                                  relay.meta.blockHeight, servicer->publicKeyHex, servicer->addressHex,
                                  servicer->nodeUrl};
    const QByteArray sessionKey =
        SessionCache::sessionKey(sessionRequest.appPubKey, sessionRequest.chain, sessionRequest.sessionHeight,
                                 sessionRequest.servicerPubKeyHex);
    auto admission = m_shared->sessions.admit(sessionRequest, proof->proofHash, node->heights);
    if (!admission) return failWith(admission.error(), m_shared->sessions.dispatchOf(sessionKey));
    if (admission->created) m_shared->validator->schedule(admission->sessionKey);
    event.validated = true;

    // 8. Durable before the chain is called (DECISIONS 4): the chain call starts once the relay is committed,
    // so every relay the chain served (and the client may have been answered for) is in the outbox.
    OutboxRelay stored;
    stored.proofHash = proof->proofHash;
    stored.nodeUrl = servicer->nodeUrl;
    stored.servicerAddress = servicer->addressHex;
    stored.chain = relay.proof.blockchain;
    stored.appPubKey = relay.proof.aat.appPubKey;
    stored.sessionHeight = relay.proof.sessionBlockHeight;
    stored.body = encodeRelay(relay);
    stored.createdMs = QDateTime::currentMSecsSinceEpoch();

    auto afterStore = [this, reply, stored, chain, payload = relay.payload, servicer = *servicer,
                       proofHashHex = proof->proofHashHex, sessionKey, timer,
                       event](bool ok, const QString& storeError) mutable {
        if (!ok) {
            // Never serve a relay that is not persisted: the client may retry it (its proof is released).
            m_shared->sessions.release(sessionKey, stored.proofHash);
            qCWarning(lcRelay).noquote() << "relay not stored, answered with an error:" << storeError;
            event.error = PocketError::internal(QStringLiteral("the relay could not be stored: ") + storeError);
            event.totalMs = timer->elapsed();
            if (m_observer) m_observer(event);
            reply(errorReply(*event.error));
            return;
        }
        m_chain->execute(chain, payload, this,
                         [this, reply, stored = std::move(stored), servicer = std::move(servicer),
                          proofHashHex = std::move(proofHashHex), timer,
                          event](Result<ChainResult> result, int status) mutable {
                             event.chainStatus = status;
                             event.totalMs = timer->elapsed();
                             // Notified even when the chain call failed: the servicer credits it (PROTOCOL §5.1
                             // step 9).
                             m_shared->notifier->submit(stored);
                             if (!result) {
                                 event.error = result.error();
                                 if (m_observer) m_observer(event);
                                 reply(errorReply(result.error()));
                                 return;
                             }
                             event.chainMs = result->chainMs;
                             const QByteArray signature =
                                 signResponse(servicer.privateKey, result->response, proofHashHex);
                             if (m_observer) m_observer(event);
                             reply(RelayReply{200, relaySuccessBody(result->response, signature)});
                         });
    };
    m_shared->outbox->store(stored, this, std::move(afterStore));
}

} // namespace pocket
