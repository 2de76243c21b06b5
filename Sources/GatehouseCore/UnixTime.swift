/// A point in time as seconds and nanoseconds since 1970-01-01T00:00:00Z.
///
/// Core reads no clock: whoever builds a request passes its time in.
package struct UnixTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Whole seconds since the epoch.
    package var seconds: Int64
    /// The fraction of the second, `0..<1_000_000_000`.
    package var nanoseconds: Int32

    package init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    package static func < (lhs: UnixTime, rhs: UnixTime) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// Nanoseconds since the epoch, saturating at `Int64`'s bounds (years ±292).
    package var nanosecondsSinceEpoch: Int64 {
        let (scaled, overflow) = self.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return self.seconds < 0 ? .min : .max }
        let (total, overflowAgain) = scaled.addingReportingOverflow(Int64(self.nanoseconds))
        return overflowAgain ? .max : total
    }

    package var description: String { "\(self.seconds).\(self.nanoseconds)" }
}
