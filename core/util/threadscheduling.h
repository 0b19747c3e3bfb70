#pragma once
// Scheduling classes of the mesh's threads (Linux; a no-op elsewhere).
//
// The threads that answer clients (HTTP server threads) keep the default policy. The threads that work in
// the background for them (the outbox's SQLite thread, the control thread that sends notifications) are
// SCHED_BATCH: woken by a queued event they do not preempt the running server thread, they run when it
// waits or its time slice ends. On a busy core that lets a server thread parse several requests before
// the outbox commits them together (bigger group commits, fewer context switches); on an idle core, or with
// a core to spare, nothing changes. Unprivileged: any thread may lower its own class.
#include <QString>

namespace pocket {

enum class ThreadClass { Interactive, Background };

// Applies to the calling thread only. Returns an empty string, or why it could not (for a debug log line).
QString setCurrentThreadClass(ThreadClass cls);

} // namespace pocket
