/// A table from (owner, byte string) to a number, built once and then only read on the decision path.
///
/// The path trie keys its literal children by (parent node, segment bytes) and the policy index
/// its hosts by (kind, host bytes). A `Dictionary` keyed by a string hashes with SipHash and
/// compares through `String` indices; this table hashes eight bytes at a time with a
/// multiply-and-fold, compares the stored hash and length before any byte, and keeps every key's
/// bytes in one array, so a lookup neither allocates nor retains anything. The hash is fixed, not
/// per-process: only the policy author adds keys (at compile time), a request only looks up, so a
/// caller cannot make probe runs longer than the policy made them.
package struct ByteTable: Sendable {
    private struct Entry: Sendable {
        var owner: Int32
        var value: Int32
        var offset: Int32
        var length: Int32
        var hash: UInt32
    }

    private var entries: [Entry] = []
    /// Positions in `entries`, or -1; a power of two, at most half full.
    private var buckets: [Int32] = []
    private var storage: [UInt8] = []

    package init() {}

    /// The number of keys.
    package var count: Int { self.entries.count }

    /// The value stored for `key` under `owner`.
    @inline(__always)
    package func value(owner: Int32, _ key: UnsafeRawBufferPointer) -> Int32? {
        guard !self.buckets.isEmpty else { return nil }
        let hash = Self.hash(owner: owner, key)
        return self.entries.withUnsafeBufferPointer { entries in
            self.buckets.withUnsafeBufferPointer { buckets in
                self.storage.withUnsafeBytes { storage in
                    let mask = buckets.count - 1
                    var bucket = Int(hash) & mask
                    while true {
                        let position = buckets[bucket]
                        if position < 0 { return nil }
                        let entry = entries[Int(position)]
                        if entry.hash == hash, entry.owner == owner, Int(entry.length) == key.count,
                            Self.equal(
                                UnsafeRawBufferPointer(
                                    rebasing: storage[Int(entry.offset)..<Int(entry.offset + entry.length)]),
                                key)
                        {
                            return entry.value
                        }
                        bucket = (bucket + 1) & mask
                    }
                }
            }
        }
    }

    /// The value stored for `key` under `owner`.
    package func value(owner: Int32, _ key: some StringProtocol) -> Int32? {
        Self.withBytes(key) { self.value(owner: owner, $0) }
    }

    /// Stores `value` for `key` under `owner`, replacing an earlier value.
    package mutating func set(_ value: Int32, owner: Int32, _ key: some StringProtocol) {
        let bytes = Array(key.utf8)
        let existing: Int32? = bytes.withUnsafeBytes { key in
            guard !self.buckets.isEmpty else { return nil }
            let hash = Self.hash(owner: owner, key)
            let mask = self.buckets.count - 1
            var bucket = Int(hash) & mask
            while self.buckets[bucket] >= 0 {
                let position = self.buckets[bucket]
                let entry = self.entries[Int(position)]
                if entry.hash == hash, entry.owner == owner,
                    self.storage[Int(entry.offset)..<Int(entry.offset + entry.length)].elementsEqual(key)
                {
                    return position
                }
                bucket = (bucket + 1) & mask
            }
            return nil
        }
        if let existing {
            self.entries[Int(existing)].value = value
            return
        }
        precondition(self.storage.count + bytes.count < Int(Int32.max), "byte table too large")
        let hash = bytes.withUnsafeBytes { Self.hash(owner: owner, $0) }
        self.entries.append(
            Entry(
                owner: owner, value: value, offset: Int32(self.storage.count), length: Int32(bytes.count), hash: hash))
        self.storage.append(contentsOf: bytes)
        if self.buckets.count < 2 * self.entries.count {
            self.buckets = [Int32](repeating: -1, count: max(16, self.buckets.count * 2))
            for position in self.entries.indices { self.place(Int32(position)) }
        } else {
            self.place(Int32(self.entries.count - 1))
        }
    }

    private mutating func place(_ position: Int32) {
        let mask = self.buckets.count - 1
        var bucket = Int(self.entries[Int(position)].hash) & mask
        while self.buckets[bucket] >= 0 { bucket = (bucket + 1) & mask }
        self.buckets[bucket] = position
    }

    /// Runs `body` on the UTF-8 bytes of `text`, copying only a non-contiguous string.
    @inline(__always)
    package static func withBytes<Result>(
        _ text: some StringProtocol, _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        if let result = text.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(text.utf8).withUnsafeBytes(body)
    }

    /// Multiply-and-fold over eight bytes at a time, seeded with the owner and the length.
    @inline(__always)
    package static func hash(owner: Int32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        let multiplier: UInt64 = 0x9E37_79B9_7F4A_7C15
        var state = (UInt64(UInt32(bitPattern: owner)) << 32 | UInt64(bytes.count)) &* multiplier
        var offset = 0
        let count = bytes.count
        if let base = bytes.baseAddress {
            while offset + 8 <= count {
                state = (state ^ base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* multiplier
                state ^= state >> 29
                offset += 8
            }
            if offset < count {
                var tail: UInt64 = 0
                var shift: UInt64 = 0
                while offset < count {
                    tail |= UInt64(base.load(fromByteOffset: offset, as: UInt8.self)) << shift
                    shift += 8
                    offset += 1
                }
                state = (state ^ tail) &* multiplier
            }
        }
        state ^= state >> 32
        return UInt32(truncatingIfNeeded: state)
    }

    /// Whether two byte runs of the same length hold the same bytes, eight at a time.
    @inline(__always)
    package static func equal(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        let count = lhs.count
        guard count == rhs.count else { return false }
        guard count > 0, let left = lhs.baseAddress, let right = rhs.baseAddress else { return true }
        var offset = 0
        while offset + 8 <= count {
            if left.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                != right.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            {
                return false
            }
            offset += 8
        }
        while offset < count {
            if left.load(fromByteOffset: offset, as: UInt8.self) != right.load(fromByteOffset: offset, as: UInt8.self) {
                return false
            }
            offset += 1
        }
        return true
    }
}
