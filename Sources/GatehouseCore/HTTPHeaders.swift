/// Request headers with lower-cased names; repeated headers keep every value in order.
package struct HTTPHeaders: Sendable, Equatable, Sequence {
    private var storage: [String: [String]] = [:]

    package init() {}

    /// Builds headers from name/value pairs, lower-casing each name.
    package init(_ pairs: some Sequence<(String, String)>) {
        // One growth instead of several: Envoy sends a dozen headers or more.
        self.storage.reserveCapacity(pairs.underestimatedCount)
        for (name, value) in pairs { self.add(name: name, value: value) }
    }

    /// Adds one value under a name, lower-casing the name.
    package mutating func add(name: String, value: String) {
        self.storage[ASCII.lowercased(name), default: []].append(value)
    }

    /// Every value sent under `name`, which must already be lower-case; `nil` when absent.
    package subscript(name: String) -> [String]? { self.storage[name] }

    /// The number of distinct header names.
    package var count: Int { self.storage.count }

    package func makeIterator() -> Dictionary<String, [String]>.Iterator { self.storage.makeIterator() }
}
