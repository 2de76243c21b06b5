import GatehouseCore

extension Decision {
    /// What keeping the decision costs, in bytes, for the cache's byte bound: the fixed part
    /// plus the text it holds. An estimate: it is consistent, which is what a bound needs.
    var cacheCost: Int {
        var bytes = 256
        for header in self.headersToSet { bytes += 48 + header.name.utf8.count + header.value.utf8.count }
        for name in self.headersToRemove { bytes += 16 + name.utf8.count }
        for parameter in self.queryParametersToSet {
            bytes += 48 + parameter.name.utf8.count + parameter.value.utf8.count
        }
        for name in self.queryParametersToRemove { bytes += 16 + name.utf8.count }
        for match in self.shadowMatches { bytes += 32 + match.rule.utf8.count }
        bytes += self.body.utf8.count + (self.subject?.utf8.count ?? 0)
        return bytes
    }
}
