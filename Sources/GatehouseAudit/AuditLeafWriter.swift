import GatehouseCore

/// Writes canonical JSON into a byte buffer: the one encoding a record's leaf bytes may have.
///
/// The callers write an object's keys in byte order themselves (they are fixed per kind), so
/// nothing is sorted at run time; `AuditLeafTests` checks the order for every kind. Strings are
/// escaped minimally: `"` and `\` with a backslash, U+0000–U+001F as `\u00xx` (lower-case hex),
/// everything else as its literal UTF-8.
///
/// The bytes go into a buffer of its own through a pointer, each field's room reserved once and
/// its runs copied with `memcpy`: appending to a Swift array byte by byte (a bounds and a
/// uniqueness check each) was a sixth of the writer's instructions (Tests/Benchmarks/README.md).
/// ``finish()`` hands the bytes over as an array, which is what the Merkle tree and the store take.
struct AuditLeafWriter: ~Copyable {
    /// The buffer; `count` bytes of it are written.
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    /// Whether the object being written has no member yet (so the next one needs no comma).
    private var atObjectStart = true

    init(capacity: Int = 1024) {
        self.capacity = max(64, capacity)
        self.base = .allocate(capacity: self.capacity)
    }

    deinit {
        self.base.deallocate()
    }

    /// The bytes written.
    consuming func finish() -> [UInt8] {
        Array(UnsafeBufferPointer(start: self.base, count: self.count))
    }

    mutating func beginObject() {
        self.put(UInt8(ascii: "{"))
        self.atObjectStart = true
    }

    mutating func endObject() {
        self.put(UInt8(ascii: "}"))
        self.atObjectStart = false
    }

    /// Writes `"key":`, preceded by a comma unless it is the object's first member.
    mutating func key(_ key: StaticString) {
        self.reserve(key.utf8CodeUnitCount + 4)
        self.separate()
        self.base[self.count] = UInt8(ascii: "\"")
        self.count += 1
        // withUTF8Buffer, not utf8Start: a one-character key may be stored as a scalar.
        key.withUTF8Buffer { self.copy($0) }
        self.base[self.count] = UInt8(ascii: "\"")
        self.base[self.count + 1] = UInt8(ascii: ":")
        self.count += 2
    }

    /// Writes a member whose key is only known at run time (a claim's name).
    mutating func key(dynamic key: String) {
        self.reserve(1)
        self.separate()
        self.string(key)
        self.put(UInt8(ascii: ":"))
    }

    mutating func string(_ key: StaticString, _ value: String) {
        self.key(key)
        self.string(value)
    }

    mutating func string(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        self.string(key, value)
    }

    mutating func integer(_ key: StaticString, _ value: UInt64) {
        self.key(key)
        self.integer(value)
    }

    /// Writes `value` in decimal.
    mutating func integer(_ value: UInt64) {
        // 20 digits hold UInt64.max; written from the end of a scratch tuple, then copied.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let length = withUnsafeMutableBytes(of: &digits) { scratch -> Int in
            var rest = value
            var position = scratch.count
            repeat {
                position -= 1
                scratch[position] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            let length = scratch.count - position
            self.reserve(length)
            (self.base + self.count).update(
                from: scratch.baseAddress!.assumingMemoryBound(to: UInt8.self) + position, count: length)  // non-empty
            return length
        }
        self.count += length
    }

    /// Writes a quoted, minimally escaped string.
    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            // The quotes and every byte as is; an escape reserves its extra five bytes when met.
            self.reserve(utf8.count + 2)
            self.base[self.count] = UInt8(ascii: "\"")
            self.count += 1
            if let bytes = utf8.baseAddress {
                self.escaping(bytes, count: utf8.count)
            }
            self.base[self.count] = UInt8(ascii: "\"")
            self.count += 1
        }
    }

    /// Copies `count` bytes from `bytes`, escaping those that need it, into room reserved for them unescaped.
    ///
    /// Eight bytes are tested at once (a word with none to escape is the common case, and is
    /// skipped); only a word that has one is looked at byte by byte.
    private mutating func escaping(_ bytes: UnsafePointer<UInt8>, count: Int) {
        var start = 0
        var offset = 0
        while offset < count {
            if count - offset >= 8,
                !Self.hasEscape(UnsafeRawPointer(bytes + offset).loadUnaligned(as: UInt64.self))
            {
                offset += 8
                continue
            }
            let end = min(offset + 8, count)
            while offset < end {
                let byte = bytes[offset]
                if byte < 0x20 || byte == 0x22 || byte == 0x5C {
                    self.copy(UnsafeBufferPointer(start: bytes + start, count: offset - start))
                    self.reserve(6 + count - offset)
                    self.escape(byte)
                    start = offset + 1
                }
                offset += 1
            }
        }
        self.copy(UnsafeBufferPointer(start: bytes + start, count: count - start))
    }

    /// Whether any byte of `word` is below 0x20, `"` or `\` (the exact "has a byte less than" and
    /// "has a zero byte" word tests; bytes of 0x80 and above never match).
    @inline(__always)
    private static func hasEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word & highs
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        return (control | ((quote &- ones) & ~quote & highs) | ((backslash &- ones) & ~backslash & highs)) != 0
    }

    /// Writes a quoted constant that needs no escape (a kind's name).
    mutating func string(_ value: StaticString) {
        self.reserve(value.utf8CodeUnitCount + 2)
        self.base[self.count] = UInt8(ascii: "\"")
        self.count += 1
        value.withUTF8Buffer { self.copy($0) }
        self.base[self.count] = UInt8(ascii: "\"")
        self.count += 1
    }

    /// Writes `[…]` of strings, or nothing at all when empty (an absent field).
    mutating func strings(_ key: StaticString, _ values: [String]) {
        guard !values.isEmpty else { return }
        self.key(key)
        self.put(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { self.put(UInt8(ascii: ",")) }
            self.string(value)
        }
        self.put(UInt8(ascii: "]"))
    }

    /// Writes an object of string values with its keys in byte order, or nothing when empty.
    mutating func stringMap(_ key: StaticString, _ values: [String: String]) {
        guard !values.isEmpty else { return }
        self.key(key)
        self.beginObject()
        if values.count == 1, let (name, value) = values.first {
            // One member is in order already; sorting would copy the dictionary into an array.
            self.key(dynamic: name)
            self.string(value)
        } else {
            for (name, value) in values.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                self.key(dynamic: name)
                self.string(value)
            }
        }
        self.endObject()
    }

    /// Writes a time in the fixed-width form `2026-12-06T00:35:12.123456789Z` (see ``AuditLeafTime``).
    mutating func time(_ key: StaticString, _ value: UnixTime) {
        self.key(key)
        self.reserve(AuditLeafTime.width + 2)
        self.base[self.count] = UInt8(ascii: "\"")
        AuditLeafTime.write(value, to: self.base + self.count + 1)
        self.base[self.count + 1 + AuditLeafTime.width] = UInt8(ascii: "\"")
        self.count += AuditLeafTime.width + 2
    }

    /// Grows the buffer so that `extra` more bytes fit.
    private mutating func reserve(_ extra: Int) {
        guard self.count + extra > self.capacity else { return }
        let capacity = max(2 * self.capacity, self.count + extra)
        let base = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        base.initialize(from: self.base, count: self.count)
        self.base.deallocate()
        self.base = base
        self.capacity = capacity
    }

    private mutating func put(_ byte: UInt8) {
        self.reserve(1)
        self.base[self.count] = byte
        self.count += 1
    }

    /// Copies `bytes` into room already reserved.
    private mutating func copy(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let start = bytes.baseAddress, !bytes.isEmpty else { return }
        (self.base + self.count).update(from: start, count: bytes.count)
        self.count += bytes.count
    }

    /// Writes a separating comma into room already reserved, unless the object has no member yet.
    private mutating func separate() {
        if self.atObjectStart {
            self.atObjectStart = false
        } else {
            self.base[self.count] = UInt8(ascii: ",")
            self.count += 1
        }
    }

    /// Writes the escape of `byte` into room already reserved (six bytes at most).
    private mutating func escape(_ byte: UInt8) {
        self.base[self.count] = UInt8(ascii: "\\")
        switch byte {
        case 0x22, 0x5C:
            self.base[self.count + 1] = byte
            self.count += 2
        default:
            let hex: StaticString = "0123456789abcdef"
            self.base[self.count + 1] = UInt8(ascii: "u")
            self.base[self.count + 2] = UInt8(ascii: "0")
            self.base[self.count + 3] = UInt8(ascii: "0")
            self.base[self.count + 4] = hex.utf8Start[Int(byte >> 4)]
            self.base[self.count + 5] = hex.utf8Start[Int(byte & 0x0F)]
            self.count += 6
        }
    }
}
