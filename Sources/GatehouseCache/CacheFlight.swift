/// One computation under way in a ``DecisionCache``, which identical misses wait for.
///
/// The caller that missed first computes in its own task; the others suspend on a continuation
/// here until it finishes. (An unstructured task per miss would cost an allocation and a hop
/// between threads on every miss, the common case, to serve the rare concurrent duplicate.)
final class CacheFlight<Value: Sendable>: Sendable {
    typealias Outcome = Result<CachedComputation<Value>?, any Error>

    private enum State {
        case running([CheckedContinuation<CachedComputation<Value>?, any Error>])
        case finished(Outcome)
    }

    private let state = ShardLock(State.running([]))

    /// The computation's result, once the computing caller has it.
    func wait() async throws -> CachedComputation<Value>? {
        try await withCheckedThrowingContinuation { continuation in
            let finished: Outcome? = self.state.withLock { state in
                switch state {
                case .running(var waiters):
                    waiters.append(continuation)
                    state = .running(waiters)
                    return nil
                case .finished(let outcome):
                    return outcome
                }
            }
            if let finished { continuation.resume(with: finished) }
        }
    }

    /// Hands the result to every waiter, and to any that comes later.
    func finish(_ outcome: Outcome) {
        let waiters = self.state.withLock { state in
            guard case .running(let waiters) = state else {
                return [CheckedContinuation<CachedComputation<Value>?, any Error>]()
            }
            state = .finished(outcome)
            return waiters
        }
        for waiter in waiters { waiter.resume(with: outcome) }
    }
}
