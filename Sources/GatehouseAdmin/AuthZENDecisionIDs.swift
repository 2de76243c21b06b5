package import GatehouseCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The decision log ids of a batch's items, made together: the batch's time, and their random
/// bits read from the system's CSPRNG for the whole batch at once (`getentropy`, 256 bytes = 16
/// ids a call), where one id at a time costs two `getrandom` calls (`DecisionID.make()`; 3.8 % of
/// a batch of 100 in the profile of 0aafa1e).
///
/// Each id has the shape of every decision id (``DecisionID/make(at:entropy:)``: the time's
/// milliseconds and 80 random bits), so ids of one batch share their time prefix and differ in
/// the rest.
package struct AuthZENDecisionIDs: Sendable {
    private let time: UnixTime
    /// Two random words an item.
    private let entropy: [UInt64]

    /// - Parameters:
    ///   - count: How many items.
    ///   - time: The batch's time, the ids' time prefix.
    package init(count: Int, at time: UnixTime) {
        self.time = time
        var words = [UInt64](repeating: 0, count: 2 * count)
        words.withUnsafeMutableBytes { Self.fill($0) }
        self.entropy = words
    }

    /// The id of item `index`.
    package subscript(index: Int) -> String {
        DecisionID.make(at: self.time, entropy: (self.entropy[2 * index], self.entropy[2 * index + 1]))
    }

    /// Fills `bytes` from the system's CSPRNG, `getentropy`'s 256 bytes at a time (`getrandom`
    /// on Linux); from the standard library's generator if a call fails.
    static func fill(_ bytes: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let count = min(256, bytes.count - offset)
            if getentropy(base + offset, count) != 0 {
                var generator = SystemRandomNumberGenerator()
                for index in offset..<bytes.count { bytes[index] = generator.next() }
                return
            }
            offset += count
        }
    }
}
