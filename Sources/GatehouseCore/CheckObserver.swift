/// Told about every check once its decision is final, for metrics.
///
/// The front door (GatehouseGRPC's `AuthorizationService`) calls ``checkFinished(_:elapsedNanoseconds:)``
/// exactly once per check, whatever decided it: a cache hit, a computed allow or deny, a denial
/// before any policy (`caller_not_allowed`, `ambiguous_path`), or a fail-closed `internal_error`.
/// The CLI injects GatehouseMetrics' implementation, so the front door needs no metrics library.
package protocol CheckObserver: Sendable {
    /// Records one finished check.
    ///
    /// Called on the thread that decided, often an event loop answering a cache hit, so it must
    /// not block, allocate per call, or build strings: it runs on every check.
    ///
    /// - Parameters:
    ///   - decision: The final decision, as the response carries it.
    ///   - elapsedNanoseconds: From the moment the front door had the decoded request to the
    ///     decision, on a monotonic clock.
    func checkFinished(_ decision: Decision, elapsedNanoseconds: UInt64)
}
