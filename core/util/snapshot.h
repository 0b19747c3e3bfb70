#pragma once
// An immutable value shared between threads and replaced as a whole (keys, chains on reload): readers take a
// shared_ptr copy under a short lock and keep using it even if a reload swaps in a new one.
#include <QMutex>
#include <memory>

namespace pocket {

template <typename T>
class Snapshot
{
public:
    Snapshot() : m_value(std::make_shared<const T>()) {}
    std::shared_ptr<const T> load() const
    {
        QMutexLocker lock(&m_mutex);
        return m_value;
    }
    void store(std::shared_ptr<const T> value)
    {
        QMutexLocker lock(&m_mutex);
        m_value = std::move(value);
    }

private:
    mutable QMutex m_mutex; // guards m_value (the pointer, not the pointee: that is immutable)
    std::shared_ptr<const T> m_value;
};

} // namespace pocket
