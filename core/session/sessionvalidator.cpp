#include "session/sessionvalidator.h"

#include <QLoggingCategory>
#include <QTimer>

Q_LOGGING_CATEGORY(lcSession, "pocket.session")

namespace pocket {

SessionValidator::SessionValidator(ServicerClient* client, SessionCache* sessions, NodeStatusTable* nodes,
                                   SessionValidatorOptions options, QObject* parent)
    : QObject(parent), m_client(client), m_sessions(sessions), m_nodes(nodes), m_options(options)
{
}

void SessionValidator::schedule(const QByteArray& sessionKey)
{
    QMetaObject::invokeMethod(this, [this, sessionKey] { enqueue(sessionKey); }, Qt::AutoConnection);
}

void SessionValidator::enqueue(const QByteArray& key)
{
    if (m_pending.contains(key)) return;
    m_pending.insert(key);
    m_queue.push_back(key);
    observe(key, false);
    pump();
}

void SessionValidator::retryLater(const QByteArray& key, int delayMs)
{
    QTimer::singleShot(delayMs, this, [this, key] {
        m_queue.push_back(key);
        observe(key, true);
        pump();
    });
}

void SessionValidator::observe(const QByteArray& key, bool requeue)
{
    if (!m_observer) return;
    if (const auto info = m_sessions->get(key)) m_observer(*info, requeue);
}

void SessionValidator::pump()
{
    while (m_inFlight < m_options.maxInFlight && !m_queue.empty()) {
        const QByteArray key = m_queue.front();
        m_queue.pop_front();
        const auto session = m_sessions->get(key);
        if (!session || session->state == SessionState::Invalid || session->state == SessionState::Valid) {
            m_pending.remove(key);
            continue;
        }
        const auto node = m_nodes->get(session->nodeUrl);
        if (!node || !node->checked
            || session->sessionHeight > latestSessionHeight(node->heights.height, node->heights.blocksPerSession)) {
            // The servicer only validates its latest session: wait until it gets there (PROTOCOL §7.4 step 3).
            retryLater(key, m_options.notReachedRecheckMs);
            continue;
        }
        ++m_inFlight;
        m_sessions->markValidating(key);
        m_client->session(*session, this, [this, key](SessionReply reply) {
            --m_inFlight;
            ++m_validations;
            switch (reply.kind) {
            case SessionReply::Kind::Valid:
                m_sessions->validated(key, reply.remainingRelays, reply.dispatchJson);
                m_pending.remove(key);
                Q_EMIT sessionChecked(key, true);
                break;
            case SessionReply::Kind::Rejected:
                m_sessions->invalidate(key, *reply.error, reply.dispatchJson);
                m_pending.remove(key);
                qCInfo(lcSession).noquote() << "session" << key.left(16) << "rejected by the servicer:" << reply.detail;
                Q_EMIT sessionChecked(key, false);
                break;
            case SessionReply::Kind::Retry: {
                m_sessions->validationRetry(key);
                const auto s = m_sessions->get(key);
                const int attempts = s ? s->validationAttempts : 1;
                const int wait = int(std::min<qint64>(qint64(m_options.retryMinMs) << std::min(attempts, 20),
                                                      m_options.retryMaxMs));
                qCInfo(lcSession).noquote() << "session" << key.left(16) << "validation retry in" << wait
                                            << "ms:" << reply.detail;
                if (s) retryLater(key, wait);
                else m_pending.remove(key);
                break;
            }
            }
            pump();
        });
    }
}

} // namespace pocket
