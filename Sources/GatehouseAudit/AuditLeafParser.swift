/// A JSON value as the leaf encoding uses them: strings, non-negative integers, lists, objects.
enum AuditLeafValue: Equatable {
    case string(String)
    case integer(UInt64)
    case array([AuditLeafValue])
    case object([String: AuditLeafValue])
}

/// Parses the JSON subset the leaf encoding writes.
///
/// It is lenient where leniency cannot hide anything (whitespace, any escape): the decoder
/// re-encodes what it read and compares bytes, so every non-canonical form is caught there
/// with one rule. It refuses what the encoding never writes (`null`, booleans, fractions,
/// negative numbers), invalid UTF-8, duplicate keys and trailing bytes.
struct AuditLeafParser {
    private let bytes: [UInt8]
    private var offset = 0

    /// Parses `bytes` as one JSON object.
    static func parseObject(_ bytes: [UInt8]) throws(AuditError) -> [String: AuditLeafValue] {
        var parser = AuditLeafParser(bytes: bytes)
        parser.skipWhitespace()
        guard case .object(let members) = try parser.value(depth: 0) else {
            throw parser.failure("the record is not a JSON object")
        }
        parser.skipWhitespace()
        guard parser.offset == bytes.count else { throw parser.failure("bytes follow the record's object") }
        return members
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func failure(_ what: String) -> AuditError {
        AuditError(.recordMalformed, "The record body is not valid: \(what) (at byte \(self.offset)).")
    }

    private mutating func value(depth: Int) throws(AuditError) -> AuditLeafValue {
        // Records nest two levels (shadow → active → claims); anything deeper is not a record.
        guard depth < 4 else { throw self.failure("objects nest too deeply") }
        guard self.offset < self.bytes.count else { throw self.failure("the record ends early") }
        switch self.bytes[self.offset] {
        case UInt8(ascii: "{"): return .object(try self.object(depth: depth))
        case UInt8(ascii: "["): return .array(try self.array(depth: depth))
        case UInt8(ascii: "\""): return .string(try self.string())
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try self.integer())
        default: throw self.failure("a value is not a string, number, list or object")
        }
    }

    private mutating func object(depth: Int) throws(AuditError) -> [String: AuditLeafValue] {
        self.offset += 1
        var members: [String: AuditLeafValue] = [:]
        self.skipWhitespace()
        if self.consume(UInt8(ascii: "}")) { return members }
        repeat {
            self.skipWhitespace()
            guard self.offset < self.bytes.count, self.bytes[self.offset] == UInt8(ascii: "\"") else {
                throw self.failure("an object key is not a string")
            }
            let key = try self.string()
            self.skipWhitespace()
            guard self.consume(UInt8(ascii: ":")) else { throw self.failure("a key is not followed by ':'") }
            self.skipWhitespace()
            let value = try self.value(depth: depth + 1)
            guard members.updateValue(value, forKey: key) == nil else {
                throw self.failure("the key '\(key)' appears twice")
            }
            self.skipWhitespace()
        } while self.consume(UInt8(ascii: ","))
        guard self.consume(UInt8(ascii: "}")) else { throw self.failure("an object is not closed") }
        return members
    }

    private mutating func array(depth: Int) throws(AuditError) -> [AuditLeafValue] {
        self.offset += 1
        var elements: [AuditLeafValue] = []
        self.skipWhitespace()
        if self.consume(UInt8(ascii: "]")) { return elements }
        repeat {
            self.skipWhitespace()
            elements.append(try self.value(depth: depth + 1))
            self.skipWhitespace()
        } while self.consume(UInt8(ascii: ","))
        guard self.consume(UInt8(ascii: "]")) else { throw self.failure("a list is not closed") }
        return elements
    }

    private mutating func integer() throws(AuditError) -> UInt64 {
        var value: UInt64 = 0
        while self.offset < self.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self.bytes[self.offset])
        {
            let (scaled, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowAgain) = scaled.addingReportingOverflow(UInt64(self.bytes[self.offset] - 48))
            guard !overflow, !overflowAgain else { throw self.failure("a number is too large") }
            value = sum
            self.offset += 1
        }
        if self.offset < self.bytes.count,
            [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(self.bytes[self.offset])
        {
            throw self.failure("a number is not an integer")
        }
        return value
    }

    private mutating func string() throws(AuditError) -> String {
        self.offset += 1
        var scalars: [UInt8] = []
        scalars.reserveCapacity(64)
        while self.offset < self.bytes.count {
            let byte = self.bytes[self.offset]
            self.offset += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: scalars, as: UTF8.self) else {
                    throw self.failure("a string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                try self.escape(into: &scalars)
            case 0..<0x20:
                throw self.failure("a string holds an unescaped control character")
            default:
                scalars.append(byte)
            }
        }
        throw self.failure("a string is not closed")
    }

    private mutating func escape(into scalars: inout [UInt8]) throws(AuditError) {
        guard self.offset < self.bytes.count else { throw self.failure("a string ends in an escape") }
        let byte = self.bytes[self.offset]
        self.offset += 1
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F, UInt8(ascii: "b"): 0x08,
            UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
        ]
        if let replacement = simple[byte] {
            scalars.append(replacement)
            return
        }
        guard byte == UInt8(ascii: "u"), let code = self.hex4() else { throw self.failure("a string has a bad escape") }
        var scalar = Unicode.Scalar(code)
        if (0xD800..<0xDC00).contains(code), self.consume(UInt8(ascii: "\\")), self.consume(UInt8(ascii: "u")),
            let low = self.hex4(), (0xDC00..<0xE000).contains(low)
        {
            scalar = Unicode.Scalar(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
        }
        guard let scalar else { throw self.failure("a string escapes an unpaired surrogate") }
        scalars.append(contentsOf: String(Character(scalar)).utf8)
    }

    private mutating func hex4() -> UInt32? {
        guard self.offset + 4 <= self.bytes.count else { return nil }
        var value: UInt32 = 0
        for byte in self.bytes[self.offset..<self.offset + 4] {
            guard let digit = Int(String(UnicodeScalar(byte)), radix: 16) else { return nil }
            value = value * 16 + UInt32(digit)
        }
        self.offset += 4
        return value
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard self.offset < self.bytes.count, self.bytes[self.offset] == byte else { return false }
        self.offset += 1
        return true
    }

    private mutating func skipWhitespace() {
        // A switch, not an array literal's `contains`: this runs for every value of every record.
        while self.offset < self.bytes.count {
            switch self.bytes[self.offset] {
            case 0x20, 0x09, 0x0A, 0x0D: self.offset += 1
            default: return
            }
        }
    }
}
