/// A wait that reached its limit: the condition it waited for never held.
package struct WaitTimedOut: Error, CustomStringConvertible {
    package var description: String

    package init(description: String) {
        self.description = description
    }
}

/// Yields until `condition` holds, for at most `timeout`, then fails instead of spinning forever.
///
/// For tests that wait on other tasks of the same process (a caller parked on a continuation, a
/// counter another task bumps): each yield lets them run, and a bug that means they never get
/// there fails the test with `what` rather than hanging the whole run.
///
/// - Parameters:
///   - what: What the test waits for, as the failure should read ("both callers arrived").
///   - timeout: How long to keep yielding before giving up; generous, since a loaded machine
///     (two cores running the whole suite) can keep the awaited task from running for a while.
///   - condition: Checked before each yield.
/// - Throws: ``WaitTimedOut`` when `condition` still does not hold after `timeout`, and
///   `CancellationError` when the task is cancelled.
package func yield(
    until what: String, timeout: Duration = .seconds(30), _ condition: () -> Bool
) async throws {
    try await wait(until: what, timeout: timeout, condition) { await Task.yield() }
}

/// Checks `condition` every `interval` until it holds, for at most `timeout`, then fails.
///
/// For state another process changes (a database server ending a connection), which no task of
/// ours moves forward: sleeping between checks leaves both cores to that process, where
/// ``yield(until:timeout:_:)`` would spin.
///
/// - Throws: ``WaitTimedOut`` when `condition` still does not hold after `timeout`, and
///   `CancellationError` when the task is cancelled.
package func poll(
    until what: String, every interval: Duration = .milliseconds(10), timeout: Duration = .seconds(30),
    _ condition: () -> Bool
) async throws {
    try await wait(until: what, timeout: timeout, condition) { try await Task.sleep(for: interval) }
}

/// Runs `pause` until `condition` holds or `timeout` has passed.
private func wait(
    until what: String, timeout: Duration, _ condition: () -> Bool, pause: () async throws -> Void
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            throw WaitTimedOut(description: "gave up after \(timeout) waiting until \(what)")
        }
        try Task.checkCancellation()
        try await pause()
    }
}
