import GatehouseCore

extension Decision {
    /// What keeping the decision costs, in bytes, for the cache's byte bound.
    ///
    /// Calibrated against `Tests/Benchmarks` `CacheMemory` (a million entries measured with the
    /// heap's own accounting): about 340 bytes of slot, index and key per entry, plus what the
    /// decision's own text and arrays take on the heap (strings over 15 bytes, which Swift stores
    /// out of line, and each array). It errs high, so `maxBytes` bounds real memory.
    package var cacheCost: Int {
        var bytes = 340 + Self.heapBytes(self.body) + Self.heapBytes(self.subject)
        if !self.headersToSet.isEmpty { bytes += 32 }
        for header in self.headersToSet { bytes += 40 + Self.heapBytes(header.name) + Self.heapBytes(header.value) }
        if !self.queryParametersToSet.isEmpty { bytes += 32 }
        for parameter in self.queryParametersToSet {
            bytes += 32 + Self.heapBytes(parameter.name) + Self.heapBytes(parameter.value)
        }
        for match in self.shadowMatches { bytes += 32 + Self.heapBytes(match.rule) }
        // The audited caller travels with the decision so that a hit records who it was made for.
        let caller = self.caller
        bytes += Self.heapBytes(caller.issuer) + Self.heapBytes(caller.subject) + Self.heapBytes(caller.spiffeID)
        bytes += Self.heapBytes(caller.xroadClient)
        if !caller.claims.isEmpty { bytes += 64 }
        for (name, value) in caller.claims { bytes += 48 + Self.heapBytes(name) + Self.heapBytes(value) }
        return bytes
    }

    /// The heap bytes a string takes: none when it fits inline (15 UTF-8 bytes or fewer).
    private static func heapBytes(_ text: String?) -> Int {
        guard let count = text?.utf8.count, count > 15 else { return 0 }
        return 32 + count
    }
}
