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

    /// Adds a byte string (a DER certificate) exactly: its length, then its bytes eight at a time.
    package mutating func add(bytes: [UInt8]) {
        self.add(UInt64(bytes.count))
        var word: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            word = word << 8 | UInt64(byte)
            if index % 8 == 7 {
                self.add(word)
                word = 0
            }
        }
        // The length went first, so a zero-padded last word cannot collide with a longer string.
        if bytes.count % 8 != 0 { self.add(word) }
    }

    /// Adds a JSON value exactly: a kind tag, then its content; object members in key order, so
    /// two equal objects give the same key. Absent and `null` differ.
    package mutating func add(_ value: ClaimValue?) {
        switch value {
        case nil: self.add(UInt64(0))
        case .null?: self.add(UInt64(1))
        case .bool(let flag)?: self.add(flag ? UInt64(3) : UInt64(2))
        case .number(let number)?:
            self.add(UInt64(4))
            self.add(number.bitPattern)
        case .string(let text)?:
            self.add(UInt64(5))
            self.add(Substring(text))
        case .array(let items)?:
            self.add(UInt64(6))
            self.add(UInt64(items.count))
            for item in items { self.add(item) }
        case .object(let members)?:
            self.add(UInt64(7))
            self.add(UInt64(members.count))
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                self.add(Substring(name))
                self.add(member)
            }
        }
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
