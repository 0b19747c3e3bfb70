#pragma once
// ThreadSanitizer cannot see the synchronisation inside Qt: libQt6Core is not instrumented and QMutex and
// the posted-event queue use futexes. Where the outbox hands memory to another thread through Qt's event
// queue, it says so explicitly: tsanRelease(p) before posting, tsanAcquire(p) where the event is handled
// or destroyed. Outside TSan builds these are empty inline functions. Our own locks are std::mutex
// (pthread, which TSan intercepts) for the same reason.
#if defined(__SANITIZE_THREAD__)
#define POCKET_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define POCKET_TSAN 1
#endif
#endif

#ifdef POCKET_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace pocket {

#ifdef POCKET_TSAN
inline void tsanRelease(const void* p) { __tsan_release(const_cast<void*>(p)); }
inline void tsanAcquire(const void* p) { __tsan_acquire(const_cast<void*>(p)); }
#else
inline void tsanRelease(const void*) {}
inline void tsanAcquire(const void*) {}
#endif

} // namespace pocket
