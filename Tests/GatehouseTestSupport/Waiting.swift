/// A wait that reached its limit: the condition it waited for never held.
package struct WaitTimedOut: Error, CustomStringConvertible {
    package var description: String
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
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            throw WaitTimedOut(description: "gave up after \(timeout) waiting until \(what)")
        }
        try Task.checkCancellation()
        await Task.yield()
    }
}
