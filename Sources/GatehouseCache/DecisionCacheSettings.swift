/// The server-wide decision cache settings (`cache` in `gatehouse.yaml`).
///
/// The defaults are safe: an entry lives at most a minute, never past its token's `exp` or its
/// certificate's `notAfter`, never across a policy reload or a key rotation; a rejected
/// credential's denial lives five seconds, long enough to absorb a flood of one bad token.
package struct DecisionCacheSettings: Sendable, Hashable {
    /// Whether decisions are cached at all; a policy can only opt out, not in.
    package var isEnabled: Bool
    /// The bounds.
    package var limits: CacheLimits
    /// How long a decision may be served unless its policy says otherwise.
    package var timeToLive: Duration
    /// How long the denial of a rejected credential may be served.
    package var negativeTimeToLive: Duration

    /// - Parameters:
    ///   - isEnabled: Default on.
    ///   - limits: Default 100,000 entries and 64 MiB.
    ///   - timeToLive: Default 60 s.
    ///   - negativeTimeToLive: Default 5 s.
    package init(
        isEnabled: Bool = true,
        limits: CacheLimits = CacheLimits(),
        timeToLive: Duration = .seconds(60),
        negativeTimeToLive: Duration = .seconds(5)
    ) {
        self.isEnabled = isEnabled
        self.limits = limits
        self.timeToLive = timeToLive
        self.negativeTimeToLive = negativeTimeToLive
    }

    /// Caching off.
    package static let disabled = DecisionCacheSettings(isEnabled: false)
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var cacheNanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
