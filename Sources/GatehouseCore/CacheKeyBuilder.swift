/// Collects everything a cached decision depends on, to key the decision cache.
///
/// The cache hashes what it is given (SHA-256), so two requests share an entry only when
/// every field added here is equal. Each field is delimited (its length goes in first), so
/// `("ab", "c")` and `("a", "bc")` never collide. Nothing added is kept: raw tokens and
/// certificates leave only their part of the digest behind.
package protocol CacheKeyBuilder {
    /// Adds one text field.
    mutating func add(_ text: Substring)
    /// Adds one number field.
    mutating func add(_ number: UInt64)
}

extension CacheKeyBuilder {
    /// Adds one text field.
    @inline(__always)
    package mutating func add(_ text: String) { self.add(Substring(text)) }

    /// Adds an optional text field; absent and empty differ.
    @inline(__always)
    package mutating func add(_ text: String?) {
        guard let text else {
            self.add(UInt64(0))
            return
        }
        self.add(UInt64(1))
        self.add(Substring(text))
    }

    /// Adds every value of a multi-valued field, and how many there are.
    @inline(__always)
    package mutating func add(_ values: [String]?) {
        guard let values else {
            self.add(UInt64(0))
            return
        }
        self.add(UInt64(values.count + 1))
        for value in values { self.add(Substring(value)) }
    }
}
