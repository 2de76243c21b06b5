import Synchronization

/// PostgreSQL did not answer within the time one operation may take.
package struct PostgresTimeout: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bound that passed.
    package var timeout: Duration

    package init(timeout: Duration) {
        self.timeout = timeout
    }

    package var description: String { "no answer from PostgreSQL within \(self.timeout)" }
}

/// Runs `body` and returns its result, or throws ``PostgresTimeout`` once `timeout` has passed,
/// whether or not `body` has ended by then; `body` is cancelled and left to end on its own.
///
/// A task group cannot give this bound: it always waits for its children, and a postgres-nio
/// query that is already written to a connection cannot be cancelled (a query written to a
/// connection the server has just closed was seen to wait forever; `PostgresAuditStoreTests`'
/// outage test hung a CI run on it). So `body` runs as a task of its own, raced against a timer,
/// and the caller resumes with whichever ends first. An abandoned `body` ends when its
/// connection does; until then it holds its pool lease, and no result of it is ever used. A
/// caller whose `body` writes must therefore treat a timeout as "may have happened" (the
/// decision-log store does).
///
/// - Parameters:
///   - timeout: The most the caller waits.
///   - executor: Where `body` and the timer run (the decision-log store's own queue), or
///     the global executor when nil.
///   - body: The PostgreSQL work.
///   - abandoned: Given `body`'s result when it came after the caller stopped waiting, to
///     release what it holds (a connection must be closed before it is dropped).
/// - Throws: What `body` throws, ``PostgresTimeout``, or `CancellationError` when the caller is cancelled.
package func withPostgresDeadline<T: Sendable>(
    _ timeout: Duration, executor: (any TaskExecutor)? = nil,
    abandoned: (@Sendable (T) async -> Void)? = nil, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = PostgresDeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation)
            // Unstructured on purpose (see above): the caller must not wait for an abandoned body.
            let work = Task(executorPreference: executor) {
                do {
                    let value = try await body()
                    if !race.finish(.success(value)) { await abandoned?(value) }
                } catch {
                    race.finish(.failure(error))
                }
            }
            let timer = Task(executorPreference: executor) {
                // Cancelled once `body` ends; then `finish` is a no-op.
                try? await Task.sleep(for: timeout)
                race.finish(.failure(PostgresTimeout(timeout: timeout)))
            }
            race.attach(work: work, timer: timer)
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The first of body, timer and cancellation to end resumes the caller; the others are cancelled.
private final class PostgresDeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        /// The outcome when it came before the continuation was stored (cancelled at once).
        var early: Result<T, any Error>?
        var isFinished = false
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        let early: Result<T, any Error>? = self.state.withLock { state in
            guard state.isFinished else {
                state.continuation = continuation
                return nil
            }
            return state.early
        }
        if let early { continuation.resume(with: early) }
    }

    func attach(work: Task<Void, Never>, timer: Task<Void, Never>) {
        let isFinished = self.state.withLock { state in
            if !state.isFinished { state.tasks = [work, timer] }
            return state.isFinished
        }
        if isFinished {
            work.cancel()
            timer.cancel()
        }
    }

    /// Ends the race with `outcome` unless it has ended already; whether it did.
    @discardableResult
    func finish(_ outcome: Result<T, any Error>) -> Bool {
        typealias Taken = (continuation: CheckedContinuation<T, any Error>?, tasks: [Task<Void, Never>])
        let taken: Taken? = self.state.withLock { state in
            guard !state.isFinished else { return nil }
            state.isFinished = true
            let taken = (state.continuation, state.tasks)
            if state.continuation == nil { state.early = outcome }
            state.continuation = nil
            state.tasks = []
            return taken
        }
        guard let taken else { return false }
        for task in taken.tasks { task.cancel() }
        taken.continuation?.resume(with: outcome)
        return true
    }
}
