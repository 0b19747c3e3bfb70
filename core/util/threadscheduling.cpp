#include "util/threadscheduling.h"

#if defined(__linux__)
#include <cerrno>
#include <cstring>
#include <sched.h>
#endif

namespace pocket {

QString setCurrentThreadClass(ThreadClass cls)
{
#if defined(__linux__)
    sched_param param{};
    param.sched_priority = 0;
    // pid 0 = the calling thread (Linux schedules threads, not processes).
    const int policy = cls == ThreadClass::Background ? SCHED_BATCH : SCHED_OTHER;
    if (sched_setscheduler(0, policy, &param) != 0) return QString::fromLocal8Bit(std::strerror(errno));
    return {};
#else
    Q_UNUSED(cls);
    return QStringLiteral("not supported on this system");
#endif
}

} // namespace pocket
