/// Request headers with lower-cased names; repeated headers keep every value in order.
package struct HTTPHeaders: Sendable, Equatable, Sequence {
    /// The values sent under one name: one (nearly always: Envoy's `headers` map joins repeats
    /// into one value) or several in order, so that a single value costs no array of its own.
    /// `many` always holds two or more, so that equal headers have equal storage.
    fileprivate enum Values: Sendable, Equatable {
        case one(String)
        case many([String])

        var array: [String] {
            switch self {
            case .one(let value): return [value]
            case .many(let values): return values
            }
        }

        var first: String {
            switch self {
            case .one(let value): return value
            case .many(let values): return values[0]
            }
        }
    }

    private var storage: [String: Values] = [:]

    package init() {}

    private init(storage: [String: Values]) { self.storage = storage }

    /// Builds headers from name/value pairs, lower-casing each name.
    package init(_ pairs: some Sequence<(String, String)>) {
        // One growth instead of several: Envoy sends a dozen headers or more.
        self.storage.reserveCapacity(pairs.underestimatedCount)
        for (name, value) in pairs { self.add(name: name, value: value) }
    }

    /// Builds headers from a map of one value per name (Envoy's `CheckRequest` `headers`).
    ///
    /// When every name is already lower-case, as HTTP/2 requires and Envoy sends them, the map's
    /// table is taken over as it is, without hashing a name again; otherwise the names are
    /// lower-cased one by one and values whose names meet are kept in the map's order.
    package init(singleValued map: [String: String]) {
        if map.keys.allSatisfy({ !$0.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) }) {
            self.init(storage: map.mapValues { .one($0) })
        } else {
            self.init(map.lazy.map { ($0.key, $0.value) })
        }
    }

    /// Adds one value under a name, lower-casing the name.
    package mutating func add(name: String, value: String) {
        let key = ASCII.lowercased(name)
        if let index = self.storage.index(forKey: key) {
            switch self.storage.values[index] {
            case .one(let existing): self.storage.values[index] = .many([existing, value])
            case .many(var values):
                // Leave the slot before appending, so that the array is not shared and grows in place.
                self.storage.values[index] = .one("")
                values.append(value)
                self.storage.values[index] = .many(values)
            }
        } else {
            self.storage[key] = .one(value)
        }
    }

    /// Every value sent under `name`, which must already be lower-case; `nil` when absent.
    package subscript(name: String) -> [String]? { self.storage[name]?.array }

    /// The first value sent under `name`, which must already be lower-case; `nil` when absent.
    package func first(_ name: String) -> String? { self.storage[name]?.first }

    /// The number of distinct header names.
    package var count: Int { self.storage.count }

    package func makeIterator() -> Iterator { Iterator(base: self.storage.makeIterator()) }

    /// Each name with every value sent under it.
    package struct Iterator: IteratorProtocol {
        fileprivate var base: Dictionary<String, Values>.Iterator

        package mutating func next() -> (key: String, value: [String])? {
            guard let (key, values) = self.base.next() else { return nil }
            return (key, values.array)
        }
    }
}
