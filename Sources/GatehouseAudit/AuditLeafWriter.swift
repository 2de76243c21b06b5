import GatehouseCore

/// Writes canonical JSON into a byte buffer: the one encoding a record's leaf bytes may have.
///
/// The callers write an object's keys in byte order themselves (they are fixed per kind), so
/// nothing is sorted at run time; `AuditLeafTests` checks the order for every kind. Strings are
/// escaped minimally: `"` and `\` with a backslash, U+0000–U+001F as `\u00xx` (lower-case hex),
/// everything else as its literal UTF-8.
struct AuditLeafWriter {
    /// The bytes written so far.
    private(set) var bytes: [UInt8]
    /// Whether the object being written has no member yet (so the next one needs no comma).
    private var atObjectStart = true

    init(capacity: Int = 1024) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    mutating func beginObject() {
        self.bytes.append(UInt8(ascii: "{"))
        self.atObjectStart = true
    }

    mutating func endObject() {
        self.bytes.append(UInt8(ascii: "}"))
        self.atObjectStart = false
    }

    /// Writes `"key":`, preceded by a comma unless it is the object's first member.
    mutating func key(_ key: StaticString) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { self.bytes.append(contentsOf: $0) }
        self.bytes.append(UInt8(ascii: "\""))
        self.bytes.append(UInt8(ascii: ":"))
    }

    /// Writes a member whose key is only known at run time (a claim's name).
    mutating func key(dynamic key: String) {
        self.separate()
        self.string(key)
        self.bytes.append(UInt8(ascii: ":"))
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

    mutating func integer(_ value: UInt64) {
        self.bytes.append(contentsOf: String(value).utf8)
    }

    /// Writes a quoted, minimally escaped string.
    mutating func string(_ value: String) {
        self.bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for (offset, byte) in utf8.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<offset]))
                self.escape(byte)
                start = offset + 1
            }
            self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        self.bytes.append(UInt8(ascii: "\""))
    }

    /// Writes `[…]` of strings, or nothing at all when empty (an absent field).
    mutating func strings(_ key: StaticString, _ values: [String]) {
        guard !values.isEmpty else { return }
        self.key(key)
        self.bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { self.bytes.append(UInt8(ascii: ",")) }
            self.string(value)
        }
        self.bytes.append(UInt8(ascii: "]"))
    }

    /// Writes an object of string values with its keys in byte order, or nothing when empty.
    mutating func stringMap(_ key: StaticString, _ values: [String: String]) {
        guard !values.isEmpty else { return }
        self.key(key)
        self.beginObject()
        let sorted = values.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        for (name, value) in sorted {
            self.key(dynamic: name)
            self.string(value)
        }
        self.endObject()
    }

    /// Writes a time in the fixed-width form `2026-12-06T00:35:12.123456789Z` (see ``AuditLeafTime``).
    mutating func time(_ key: StaticString, _ value: UnixTime) {
        self.key(key)
        self.bytes.append(UInt8(ascii: "\""))
        AuditLeafTime.write(value, into: &self.bytes)
        self.bytes.append(UInt8(ascii: "\""))
    }

    private mutating func separate() {
        if self.atObjectStart {
            self.atObjectStart = false
        } else {
            self.bytes.append(UInt8(ascii: ","))
        }
    }

    private mutating func escape(_ byte: UInt8) {
        self.bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case 0x22, 0x5C:
            self.bytes.append(byte)
        default:
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            self.bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            self.bytes.append(hex[Int(byte >> 4)])
            self.bytes.append(hex[Int(byte & 0x0F)])
        }
    }
}
