#include "session/sessionheight.h"

#include <algorithm>

namespace pocket {

qint64 latestSessionHeight(qint64 height, qint64 blocksPerSession)
{
    const qint64 b = std::max<qint64>(1, blocksPerSession);
    if (height <= 0) return 1;
    if (height % b == 0) return height - b + 1;
    return (height / b) * b + 1;
}

bool withinTolerance(qint64 sessionHeight, const HeightView& v, qint64 allowance)
{
    const qint64 b = std::max<qint64>(1, v.blocksPerSession);
    const qint64 latest = latestSessionHeight(v.height, b);
    return sessionHeight > 0 && latest - std::max<qint64>(0, allowance) * b <= sessionHeight && sessionHeight <= latest;
}

bool meshCanServe(qint64 sessionHeight, const HeightView& v)
{
    return withinTolerance(sessionHeight, v, std::max<qint64>(0, v.sessionSyncAllowance - 1));
}

bool optimisticNextSession(qint64 sessionHeight, const HeightView& v)
{
    const qint64 b = std::max<qint64>(1, v.blocksPerSession);
    const qint64 latest = latestSessionHeight(v.height, b);
    return sessionHeight >= v.height && v.height % b == 0 && sessionHeight - latest <= b;
}

bool servicerAccepts(qint64 sessionHeight, const HeightView& v)
{
    return withinTolerance(sessionHeight, v, v.sessionSyncAllowance);
}

bool sessionExpired(qint64 sessionHeight, const HeightView& v)
{
    const qint64 b = std::max<qint64>(1, v.blocksPerSession);
    const qint64 latest = latestSessionHeight(v.height, b);
    return sessionHeight < latest - std::max<qint64>(0, v.sessionSyncAllowance) * b;
}

} // namespace pocket
