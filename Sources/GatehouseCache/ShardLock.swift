#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A value guarded by a pthread mutex.
///
/// The shards use this rather than `Synchronization.Mutex`: on Linux `Mutex` is built on raw
/// futex calls, which the thread sanitizer does not see as synchronization, so every
/// correctly locked access would be reported as a race and `swift test --sanitize=thread`
/// could not vouch for the cache. pthread mutexes are intercepted by the sanitizer.
final class ShardLock<State>: @unchecked Sendable {
    // @unchecked: `state` is only touched inside `withLock`, under `mutex`.
    private var state: State
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init(_ state: State) {
        self.state = state
        self.mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        self.mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(self.mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(self.mutex)
        self.mutex.deinitialize(count: 1)
        self.mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the state.
    func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        return try body(&self.state)
    }
}
