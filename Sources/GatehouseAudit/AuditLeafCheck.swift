/// Proves in one pass over a body's bytes that it is the canonical encoding of a record, without
/// building the record: what `audit verify` does for every record of a log.
///
/// ``AuditLeaf/decode(_:)`` parses into values, builds the record and re-encodes it to compare
/// bytes (74 k records/s). This reads the bytes once against each kind's keys in byte order
/// (``AuditLeafShape``) and accepts exactly what ``AuditLeaf/encode(_:instance:sequence:)`` can
/// write: no whitespace, required keys present, absent ones omitted (never `[]` or `{}`), minimal
/// escapes, integers without leading zeros, valid times and UTF-8, claim names strictly in byte order.
///
/// It only ever says yes quickly. Where it cannot be sure cheaply (a claim name that is not plain
/// ASCII, whose order and uniqueness `decode` judges as Swift strings; an escaped instance) or
/// where the body is wrong, it answers `nil` and the caller decodes fully: every refusal and its
/// message still come from `decode`. `AuditLeafCheckTests` holds it to `decode` on mutated bodies.
package enum AuditLeafCheck {
    /// What a proven body says about its place.
    package struct Place: Equatable, Sendable {
        /// The `seq` field.
        package var sequence: UInt64
        /// Where the `instance` field's string (unescaped, without quotes) sits in the body.
        package var instance: Range<Int>
    }

    /// The body's `seq` and `instance` when it is certainly canonical; `nil` when `decode` must judge.
    ///
    /// - Parameter body: One stored body.
    /// - Returns: Its place, or `nil` when only ``AuditLeaf/decode(_:)`` can say whether it is canonical.
    package static func place(of body: UnsafeBufferPointer<UInt8>) -> Place? {
        var scanner = Scanner(bytes: body)
        guard let place = scanner.record(), scanner.offset == body.count else { return nil }
        return place
    }
}

/// The byte walk behind ``AuditLeafCheck``; every method returns `false` at the first doubt.
private struct Scanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var offset = 0
    private var sequence: UInt64?
    private var instance: Range<Int>?

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func record() -> AuditLeafCheck.Place? {
        // The first key names the kind: each kind's first key in byte order is required, except
        // activation's (`actor`, `detail` or `duration_ms`), which no other kind starts with.
        let shape: AuditLeafShape
        if self.startsWith(AuditLeafShape.admin, field: 0) {
            shape = .admin
        } else if self.startsWith(AuditLeafShape.decision, field: 0) {
            shape = .decision
        } else if self.startsWith(AuditLeafShape.gap, field: 0) {
            shape = .gap
        } else if self.startsWith(AuditLeafShape.shadow, field: 0) {
            shape = .shadow
        } else {
            shape = .activation
        }
        guard self.object(shape), let sequence = self.sequence, let instance = self.instance else { return nil }
        return AuditLeafCheck.Place(sequence: sequence, instance: instance)
    }

    /// Whether `{"<first key>":` of `shape` opens the body.
    private func startsWith(_ shape: AuditLeafShape, field: Int) -> Bool {
        var probe = self
        return probe.consume(UInt8(ascii: "{")) && probe.key(shape, field)
    }

    /// Consumes `"key":` of `shape.fields[field]` if it is next.
    private mutating func key(_ shape: AuditLeafShape, _ field: Int) -> Bool {
        let key = shape.fields[field].key
        guard self.offset + key.count <= self.bytes.count else { return false }
        let matches = shape.keys.withUnsafeBufferPointer { keys in
            Self.equal(keys.baseAddress! + key.start, self.bytes.baseAddress! + self.offset, key.count)
        }
        if matches { self.offset += key.count }
        return matches
    }

    private static func equal(_ left: UnsafePointer<UInt8>, _ right: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        for index in 0..<count where left[index] != right[index] { return false }
        return true
    }

    private mutating func object(_ shape: AuditLeafShape) -> Bool {
        guard self.consume(UInt8(ascii: "{")) else { return false }
        var field = 0
        var first = true
        while !self.consume(UInt8(ascii: "}")) {
            guard first || self.consume(UInt8(ascii: ",")) else { return false }
            first = false
            // Keys come in byte order: skip the optional fields before this one, never a required one.
            while true {
                guard field < shape.fields.count else { return false }
                if self.key(shape, field) { break }
                if shape.fields[field].required { return false }
                field += 1
            }
            guard self.value(shape.fields[field].value, shape: shape) else { return false }
            field += 1
        }
        while field < shape.fields.count {
            if shape.fields[field].required { return false }
            field += 1
        }
        return true
    }

    private mutating func value(_ value: AuditLeafShape.Value, shape: AuditLeafShape) -> Bool {
        switch value {
        case .string: return self.string() != nil
        case .integer: return self.integer() != nil
        case .status: return (self.integer() ?? .max) <= UInt64(UInt16.max)
        case .version: return self.integer() == AuditLeaf.version
        case .sequence:
            self.sequence = self.integer()
            return self.sequence != nil
        case .instance:
            // An escaped instance would not compare byte for byte with the row's: let decode judge.
            guard let range = self.string(), self.bytes[range].firstIndex(of: UInt8(ascii: "\\")) == nil else {
                return false
            }
            self.instance = range
            return true
        case .time: return self.time()
        case .kind: return self.literal(shape.kind)
        case .outcome: return self.literal(AuditLeafShape.allow) || self.literal(AuditLeafShape.deny)
        case .cache: return AuditLeafShape.cacheUses.contains { self.literal($0) }
        case .strings: return self.strings()
        case .stringMap: return self.stringMap()
        case .active: return self.object(.active)
        }
    }

    /// Consumes `text` (a quoted literal) if it is next.
    private mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard self.offset + count <= self.bytes.count,
            Self.equal(text.utf8Start, self.bytes.baseAddress! + self.offset, count)
        else { return false }
        self.offset += count
        return true
    }

    /// A canonical integer: `0`, or digits without a leading zero that fit 64 bits.
    private mutating func integer() -> UInt64? {
        guard self.offset < self.bytes.count else { return nil }
        let first = self.bytes[self.offset]
        if first == UInt8(ascii: "0") {
            self.offset += 1
            return 0
        }
        guard first > UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return nil }
        var value: UInt64 = 0
        while self.offset < self.bytes.count {
            let digit = self.bytes[self.offset] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            let (scaled, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = scaled.addingReportingOverflow(UInt64(digit))
            guard !overflow, !carry else { return nil }
            value = sum
            self.offset += 1
        }
        return value
    }

    /// A canonical string; returns the range of its content (escapes still in it).
    private mutating func string() -> Range<Int>? {
        guard self.consume(UInt8(ascii: "\"")) else { return nil }
        let start = self.offset
        self.skipPlainBytes()
        while self.offset < self.bytes.count {
            let byte = self.bytes[self.offset]
            if byte == UInt8(ascii: "\"") {
                self.offset += 1
                return start..<self.offset - 1
            }
            if byte >= 0x80 {
                guard self.utf8Sequence() else { return nil }
            } else if byte == UInt8(ascii: "\\") {
                guard self.escape() else { return nil }
            } else if byte < 0x20 {
                return nil
            } else {
                self.offset += 1
            }
        }
        return nil
    }

    /// Skips 16 bytes at a time while none is a quote, a backslash, a control character or
    /// beyond ASCII: most of a record is such text, and this is the check's hottest loop.
    private mutating func skipPlainBytes() {
        guard let base = self.bytes.baseAddress else { return }
        let (quote, backslash, space) = (
            SIMD16<UInt8>(repeating: 0x22), SIMD16<UInt8>(repeating: 0x5C), SIMD16<UInt8>(repeating: 0x20)
        )
        while self.offset + 16 <= self.bytes.count {
            let chunk = UnsafeRawPointer(base + self.offset).loadUnaligned(as: SIMD16<UInt8>.self)
            // Signed, a byte at or beyond 0x80 is negative: one compare catches it with the controls.
            let special =
                (chunk .== quote) .| (chunk .== backslash)
                .| (SIMD16<Int8>(truncatingIfNeeded: chunk) .< SIMD16<Int8>(truncatingIfNeeded: space))
            // The mask's lanes are 0 or all ones: two words test them all (`any` reduces lane by lane).
            let lanes = unsafeBitCast(special, to: SIMD2<UInt64>.self)
            if lanes[0] | lanes[1] != 0 { return }
            self.offset += 16
        }
    }

    /// `\"`, `\\`, or `\u00xx` (lower-case hex) for U+0000–U+001F: the only escapes the encoder writes.
    private mutating func escape() -> Bool {
        guard self.offset + 1 < self.bytes.count else { return false }
        switch self.bytes[self.offset + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            self.offset += 2
            return true
        case UInt8(ascii: "u"):
            guard self.offset + 6 <= self.bytes.count, self.bytes[self.offset + 2] == UInt8(ascii: "0"),
                self.bytes[self.offset + 3] == UInt8(ascii: "0"),
                self.bytes[self.offset + 4] == UInt8(ascii: "0") || self.bytes[self.offset + 4] == UInt8(ascii: "1")
            else { return false }
            switch self.bytes[self.offset + 5] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"):
                self.offset += 6
                return true
            default: return false
            }
        default: return false
        }
    }

    /// One well-formed UTF-8 sequence of two to four bytes (no overlong form, surrogate or value
    /// above U+10FFFF), as `String(validating:)` accepts.
    private mutating func utf8Sequence() -> Bool {
        let lead = self.bytes[self.offset]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: (length, low) = (3, 0xA0)
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: (length, high) = (3, 0x9F)
        case 0xF0: (length, low) = (4, 0x90)
        case 0xF1...0xF3: length = 4
        case 0xF4: (length, high) = (4, 0x8F)
        default: return false
        }
        guard self.offset + length <= self.bytes.count else { return false }
        let second = self.bytes[self.offset + 1]
        guard second >= low, second <= high else { return false }
        for index in 2..<length where self.bytes[self.offset + index] & 0xC0 != 0x80 { return false }
        self.offset += length
        return true
    }

    /// A non-empty list of strings.
    private mutating func strings() -> Bool {
        guard self.consume(UInt8(ascii: "[")) else { return false }
        repeat {
            guard self.string() != nil else { return false }
        } while self.consume(UInt8(ascii: ","))
        return self.consume(UInt8(ascii: "]"))
    }

    /// A non-empty object of strings whose names are plain ASCII in strictly increasing byte order.
    private mutating func stringMap() -> Bool {
        guard self.consume(UInt8(ascii: "{")) else { return false }
        var previous: Range<Int>?
        repeat {
            guard let name = self.string() else { return false }
            // Non-ASCII or escaped names: decode compares them as Swift strings (canonical equivalence).
            for byte in self.bytes[name] where byte >= 0x80 || byte == UInt8(ascii: "\\") { return false }
            if let previous {
                guard self.bytes[previous].lexicographicallyPrecedes(self.bytes[name]) else { return false }
            }
            previous = name
            guard self.consume(UInt8(ascii: ":")), self.string() != nil else { return false }
        } while self.consume(UInt8(ascii: ","))
        return self.consume(UInt8(ascii: "}"))
    }

    /// `"2026-12-06T00:35:12.123456789Z"`: exactly what ``AuditLeafTime/parse(_:)`` accepts.
    private mutating func time() -> Bool {
        let width = AuditLeafTime.width
        guard self.offset + width + 2 <= self.bytes.count, self.bytes[self.offset] == UInt8(ascii: "\""),
            self.bytes[self.offset + width + 1] == UInt8(ascii: "\"")
        else { return false }
        let base = self.offset + 1
        func number(_ start: Int, _ count: Int) -> Int? {
            var value = 0
            for index in base + start..<base + start + count {
                let digit = self.bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        for (at, separator) in AuditLeafShape.timeSeparators where self.bytes[base + at] != separator { return false }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2), number(20, 9) != nil
        else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days: Int
        switch month {
        case 2: days = leap ? 29 : 28
        case 4, 6, 9, 11: days = 30
        case 1...12: days = 31
        default: return false
        }
        guard day >= 1, day <= days, hour < 24, minute < 60, second < 60 else { return false }
        self.offset += width + 2
        return true
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard self.offset < self.bytes.count, self.bytes[self.offset] == byte else { return false }
        self.offset += 1
        return true
    }
}
