package import GatehouseCore

extension IdentityError {
    /// Anything RFC 8259 forbids or we refuse. The message is a clause saying what, never quoting
    /// the input, so callers can embed it in their sentence about the token or key set.
    fileprivate static func malformed(_ what: String) -> IdentityError {
        IdentityError(code: .jsonMalformed, message: what)
    }

    /// An object names the same member twice (after unescaping), at any depth.
    fileprivate static let duplicateMember = IdentityError(
        code: .jsonDuplicateMember, message: "a member name appears twice in one object")
}

/// A small RFC 8259 parser that refuses everything a lenient parser would guess about.
///
/// JOSE (RFC 7515 §4, RFC 7519 §4) says duplicate member names must be rejected or the last one
/// used; two parsers taking different members is a known token-confusion attack, so we reject.
/// Also rejected: invalid UTF-8, lone surrogate escapes, leading zeros, control characters in
/// strings, nesting deeper than ``maximumDepth``, and anything after the value. Numbers become
/// `Double`, which is exact for every integer second up to year 9999 and beyond.
package struct StrictJSON {
    /// Objects and arrays may nest this deep; tokens and key sets need far less.
    package static let maximumDepth = 32

    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses one JSON text.
    ///
    /// - Throws: ``IdentityError`` with ``IdentityError/Code/jsonDuplicateMember`` for a duplicate member,
    ///   ``IdentityError/Code/jsonMalformed`` for anything else RFC 8259 forbids or nesting too deep.
    package static func parse(_ bytes: [UInt8]) throws(IdentityError) -> ClaimValue {
        var parser = StrictJSON(bytes)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw .malformed("text follows the JSON value") }
        return value
    }

    private mutating func value(depth: Int) throws(IdentityError) -> ClaimValue {
        guard let byte = self.peek() else { throw .malformed("the JSON text ends early") }
        switch byte {
        case UInt8(ascii: "{"): return try self.object(depth: depth + 1)
        case UInt8(ascii: "["): return try self.array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try self.string())
        case UInt8(ascii: "t"): try self.literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try self.literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try self.literal("null"); return .null
        default: return .number(try self.number())
        }
    }

    private mutating func object(depth: Int) throws(IdentityError) -> ClaimValue {
        guard depth <= Self.maximumDepth else { throw .malformed("JSON nests deeper than \(Self.maximumDepth)") }
        self.index += 1
        var members: [String: ClaimValue] = [:]
        self.skipWhitespace()
        if self.peek() == UInt8(ascii: "}") {
            self.index += 1
            return .object(members)
        }
        while true {
            self.skipWhitespace()
            guard self.peek() == UInt8(ascii: "\"") else { throw .malformed("an object member name is not a string") }
            let name = try self.string()
            self.skipWhitespace()
            guard self.peek() == UInt8(ascii: ":") else { throw .malformed("a ':' is missing after a member name") }
            self.index += 1
            self.skipWhitespace()
            let value = try self.value(depth: depth)
            guard members.updateValue(value, forKey: name) == nil else { throw .duplicateMember }
            self.skipWhitespace()
            switch self.peek() {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "}"):
                self.index += 1
                return .object(members)
            default: throw .malformed("an object is not closed")
            }
        }
    }

    private mutating func array(depth: Int) throws(IdentityError) -> ClaimValue {
        guard depth <= Self.maximumDepth else { throw .malformed("JSON nests deeper than \(Self.maximumDepth)") }
        self.index += 1
        var items: [ClaimValue] = []
        self.skipWhitespace()
        if self.peek() == UInt8(ascii: "]") {
            self.index += 1
            return .array(items)
        }
        while true {
            self.skipWhitespace()
            items.append(try self.value(depth: depth))
            self.skipWhitespace()
            switch self.peek() {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "]"):
                self.index += 1
                return .array(items)
            default: throw .malformed("an array is not closed")
            }
        }
    }

    private mutating func literal(_ word: StaticString) throws(IdentityError) {
        let count = word.utf8CodeUnitCount
        let matches = word.withUTF8Buffer { expected in
            self.index + count <= self.bytes.count
                && self.bytes[self.index..<self.index + count].elementsEqual(expected)
        }
        guard matches else { throw .malformed("an unknown literal") }
        self.index += count
    }

    private mutating func number() throws(IdentityError) -> Double {
        let start = self.index
        if self.peek() == UInt8(ascii: "-") { self.index += 1 }
        guard let first = self.peek(), Self.isDigit(first) else { throw .malformed("an invalid value") }
        self.index += 1
        if first == UInt8(ascii: "0"), let next = self.peek(), Self.isDigit(next) {
            throw .malformed("a number has a leading zero")
        }
        self.skipDigits()
        if self.peek() == UInt8(ascii: ".") {
            self.index += 1
            guard let digit = self.peek(), Self.isDigit(digit) else { throw .malformed("a number ends in '.'") }
            self.skipDigits()
        }
        if self.peek() == UInt8(ascii: "e") || self.peek() == UInt8(ascii: "E") {
            self.index += 1
            if self.peek() == UInt8(ascii: "+") || self.peek() == UInt8(ascii: "-") { self.index += 1 }
            guard let digit = self.peek(), Self.isDigit(digit) else { throw .malformed("a number has no exponent") }
            self.skipDigits()
        }
        let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        // The grammar above is a subset of what Double parses; overflow becomes infinity.
        guard let number = Double(text) else { throw .malformed("a number cannot be read") }
        return number
    }

    private mutating func string() throws(IdentityError) -> String {
        self.index += 1
        let start = self.index
        // Fast path: no escapes, so the bytes are the string once validated as UTF-8.
        while let byte = self.peek(), byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
            guard byte >= 0x20 else { throw .malformed("a string holds a control character") }
            self.index += 1
        }
        guard let stop = self.peek() else { throw .malformed("a string is not closed") }
        if stop == UInt8(ascii: "\"") {
            self.index += 1
            return try Self.validated(self.bytes[start..<self.index - 1])
        }
        var buffer = Array(self.bytes[start..<self.index])
        while true {
            guard let byte = self.peek() else { throw .malformed("a string is not closed") }
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""): return try Self.validated(buffer[...])
            case UInt8(ascii: "\\"): try self.escape(into: &buffer)
            case 0..<0x20: throw .malformed("a string holds a control character")
            default: buffer.append(byte)
            }
        }
    }

    private mutating func escape(into buffer: inout [UInt8]) throws(IdentityError) {
        guard let byte = self.peek() else { throw .malformed("a string is not closed") }
        self.index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(byte)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try self.hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard self.peek() == UInt8(ascii: "\\"), self.index + 1 < self.bytes.count,
                    self.bytes[self.index + 1] == UInt8(ascii: "u")
                else { throw .malformed("a string holds a lone surrogate escape") }
                self.index += 2
                let low = try self.hex4()
                guard (0xDC00..<0xE000).contains(low) else {
                    throw .malformed("a string holds a lone surrogate escape")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw .malformed("a string holds a lone surrogate escape")
            }
            // Cannot fail: surrogates were excluded and the value is at most 0x10FFFF.
            buffer.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
        default: throw .malformed("a string holds an unknown escape")
        }
    }

    private mutating func hex4() throws(IdentityError) -> UInt32 {
        guard self.index + 4 <= self.bytes.count else { throw .malformed("a \\u escape is cut short") }
        var value: UInt32 = 0
        for byte in self.bytes[self.index..<self.index + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .malformed("a \\u escape has a non-hex digit")
            }
            value = value << 4 | UInt32(digit)
        }
        self.index += 4
        return value
    }

    private static func validated(_ bytes: ArraySlice<UInt8>) throws(IdentityError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .malformed("a string is not valid UTF-8")
        }
        return text
    }

    private mutating func skipDigits() {
        while let byte = self.peek(), Self.isDigit(byte) { self.index += 1 }
    }

    private mutating func skipWhitespace() {
        while let byte = self.peek(),
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\r")
        {
            self.index += 1
        }
    }

    private func peek() -> UInt8? {
        self.index < self.bytes.count ? self.bytes[self.index] : nil
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
