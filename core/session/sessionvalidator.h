#pragma once
// Validates new sessions against the servicer's /v1/private/mesh/session (PROTOCOL §7.4) without ever
// blocking a thread (DECISIONS 5): a queue pumped by the event loop, at most `maxInFlight` calls under way,
// retries scheduled with timers (transport errors, 401, unreadable replies, servicer not ready), a session
// ahead of the servicer waits until the servicer reaches it. Lives in the control thread; schedule() may
// be called from any thread.
#include <QHash>
#include <QObject>
#include <QSet>
#include <deque>
#include <functional>

#include "servicer/nodestatus.h"
#include "servicer/servicerclient.h"
#include "session/sessioncache.h"

namespace pocket {

struct SessionValidatorOptions
{
    int maxInFlight = 5;
    int retryMinMs = 250;
    int retryMaxMs = 30000;
    int notReachedRecheckMs = 1000;
};

class SessionValidator : public QObject
{
    Q_OBJECT
public:
    SessionValidator(ServicerClient* client, SessionCache* sessions, NodeStatusTable* nodes,
                     SessionValidatorOptions options, QObject* parent = nullptr);

    void schedule(const QByteArray& sessionKey); // thread-safe
    int queued() const { return int(m_queue.size()); }
    int inFlight() const { return m_inFlight; }
    qint64 validations() const { return m_validations; }
    // Called (control thread) each time a validation task is queued: first time (requeue false) or again after
    // a retry delay (requeue true) — the reference's optimistic_session_queue_count (PROTOCOL §11).
    void setObserver(std::function<void(const SessionInfo&, bool requeue)> observer) { m_observer = std::move(observer); }

Q_SIGNALS:
    void sessionChecked(const QByteArray& sessionKey, bool valid);

private:
    void enqueue(const QByteArray& key);
    void pump();
    void retryLater(const QByteArray& key, int delayMs);
    void observe(const QByteArray& key, bool requeue);

    ServicerClient* m_client;
    SessionCache* m_sessions;
    NodeStatusTable* m_nodes;
    SessionValidatorOptions m_options;
    std::deque<QByteArray> m_queue; // control thread only
    QSet<QByteArray> m_pending;     // queued, waiting for a timer or in flight
    int m_inFlight = 0;
    qint64 m_validations = 0;
    std::function<void(const SessionInfo&, bool)> m_observer;
};

} // namespace pocket
