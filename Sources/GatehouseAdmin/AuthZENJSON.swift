/// The AuthZEN bodies' JSON: a strict RFC 8259 reader into ``AuthZENValue`` and a compact writer.
///
/// Foundation's `JSONDecoder` cost about 100,000 instructions for a single evaluation (and ~200,000
/// an item of a batch, `AuthZENValue` trying each kind in turn through thrown errors), more than the
/// cached decision itself; this reader takes one pass over the bytes and the writer appends
/// straight into the response buffer. Both are exactly as strict as the specification: the reader
/// refuses trailing commas, comments, leading zeros, unescaped control characters, invalid UTF-8,
/// unpaired surrogate escapes, non-finite numbers, text after the value and nesting deeper than
/// ``maxDepth`` (a hostile body cannot exhaust the stack). A duplicate member name keeps the last
/// value, as `JSONSerialization` does.
///
/// ```swift
/// let value = try AuthZENJSON.value(from: Array(#"{"decision": true}"#.utf8))
/// var buffer = ByteBuffer()
/// AuthZENJSON.write(value, into: &buffer)   // {"decision":true}
/// ```
package enum AuthZENJSON {
    /// The deepest nesting of arrays and objects the reader accepts (`JSONDecoder`'s limit).
    package static let maxDepth = 512

    /// Reads one JSON value that makes up the whole of `bytes` (whitespace around it allowed).
    ///
    /// - Parameter bytes: UTF-8 JSON text.
    /// - Returns: The value.
    /// - Throws: ``AuthZENJSONError`` naming the byte offset and what was expected there.
    package static func value(from bytes: UnsafeRawBufferPointer) throws(AuthZENJSONError) -> AuthZENValue {
        var reader = Reader(bytes: bytes)
        return try reader.document()
    }

    /// Reads one JSON value that makes up the whole of `bytes`; see ``value(from:)-(UnsafeRawBufferPointer)``.
    package static func value(from bytes: [UInt8]) throws(AuthZENJSONError) -> AuthZENValue {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(AuthZENJSONError) -> AuthZENValue in try Self.value(from: raw) }
        }
        return try result.get()
    }
}

/// JSON that is not well-formed, or well-formed JSON of the wrong shape for an AuthZEN body.
package struct AuthZENJSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, where, and what was expected (a sentence without the final period).
    package var message: String

    package init(_ message: String) { self.message = message }

    package var description: String { self.message }
}

/// One pass over the bytes, by recursive descent with a depth limit.
private struct Reader {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func document() throws(AuthZENJSONError) -> AuthZENValue {
        self.skipWhitespace()
        let value = try self.value(depth: 0)
        self.skipWhitespace()
        guard self.index == self.bytes.count else { throw self.error("text after the end of the JSON value") }
        return value
    }

    private mutating func value(depth: Int) throws(AuthZENJSONError) -> AuthZENValue {
        guard self.index < self.bytes.count else { throw self.error("the body ends where a value was expected") }
        switch self.bytes[self.index] {
        case UInt8(ascii: "{"): return .object(try self.object(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try self.array(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try self.string())
        case UInt8(ascii: "t"):
            try self.literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try self.number())
        default: throw self.error("\(self.describeByte()) where a value was expected")
        }
    }

    private mutating func object(depth: Int) throws(AuthZENJSONError) -> [String: AuthZENValue] {
        try self.checkDepth(depth)
        self.index += 1
        var members: [String: AuthZENValue] = [:]
        self.skipWhitespace()
        if self.peek == UInt8(ascii: "}") {
            self.index += 1
            return members
        }
        while true {
            self.skipWhitespace()
            guard self.peek == UInt8(ascii: "\"") else {
                throw self.error("\(self.describeByte()) where a member name in double quotes was expected")
            }
            let name = try self.string()
            self.skipWhitespace()
            guard self.peek == UInt8(ascii: ":") else {
                throw self.error("\(self.describeByte()) where ':' after the member name '\(name)' was expected")
            }
            self.index += 1
            self.skipWhitespace()
            members[name] = try self.value(depth: depth)
            self.skipWhitespace()
            switch self.peek {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "}"):
                self.index += 1
                return members
            default: throw self.error("\(self.describeByte()) where ',' or '}' was expected")
            }
        }
    }

    private mutating func array(depth: Int) throws(AuthZENJSONError) -> [AuthZENValue] {
        try self.checkDepth(depth)
        self.index += 1
        var elements: [AuthZENValue] = []
        self.skipWhitespace()
        if self.peek == UInt8(ascii: "]") {
            self.index += 1
            return elements
        }
        while true {
            self.skipWhitespace()
            elements.append(try self.value(depth: depth))
            self.skipWhitespace()
            switch self.peek {
            case UInt8(ascii: ","): self.index += 1
            case UInt8(ascii: "]"):
                self.index += 1
                return elements
            default: throw self.error("\(self.describeByte()) where ',' or ']' was expected")
            }
        }
    }

    private func checkDepth(_ depth: Int) throws(AuthZENJSONError) {
        guard depth <= AuthZENJSON.maxDepth else {
            throw self.error("arrays and objects nested deeper than \(AuthZENJSON.maxDepth) levels")
        }
    }

    /// A string at `index` (its opening quote): without escapes, one UTF-8 validation of the bytes
    /// between the quotes; with them, decoded into a buffer first.
    private mutating func string() throws(AuthZENJSONError) -> String {
        let opening = self.index
        self.index += 1
        let start = self.index
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            if byte == UInt8(ascii: "\"") {
                let text = try Self.text(UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index]), at: start)
                self.index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw self.controlCharacter(byte) }
            self.index += 1
        }
        var decoded = Array(self.bytes[start..<self.index])
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            switch byte {
            case UInt8(ascii: "\""):
                self.index += 1
                return try Self.text(decoded, at: start)
            case UInt8(ascii: "\\"):
                try self.escape(into: &decoded)
            case ..<0x20:
                throw self.controlCharacter(byte)
            default:
                decoded.append(byte)
                self.index += 1
            }
        }
        self.index = opening
        throw self.error("a string that is never closed with '\"'")
    }

    private static func text(_ utf8: some Sequence<UInt8>, at start: Int) throws(AuthZENJSONError) -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw AuthZENJSONError("the string at byte \(start) is not valid UTF-8")
        }
        return text
    }

    /// The escape at `index` (its backslash), appended to `decoded` as UTF-8.
    private mutating func escape(into decoded: inout [UInt8]) throws(AuthZENJSONError) {
        guard self.index + 1 < self.bytes.count else { throw self.error("a string that ends inside an escape") }
        let letter = self.bytes[self.index + 1]
        let simple: UInt8?
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): simple = letter
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"): simple = nil
        default: throw self.error("the escape '\\\(Self.printable(letter))', which JSON does not have")
        }
        if let simple {
            decoded.append(simple)
            self.index += 2
            return
        }
        let escapeStart = self.index
        let unit = try self.hexUnit()
        let scalarValue: UInt32
        switch unit {
        case 0xD800...0xDBFF:
            guard self.peek == UInt8(ascii: "\\"), self.peek(at: self.index + 1) == UInt8(ascii: "u") else {
                self.index = escapeStart
                throw self.error("a high surrogate escape without the low surrogate that must follow it")
            }
            let low = try self.hexUnit()
            guard (0xDC00...0xDFFF).contains(low) else {
                self.index = escapeStart
                throw self.error("a high surrogate escape followed by no low surrogate")
            }
            scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
        case 0xDC00...0xDFFF:
            self.index = escapeStart
            throw self.error("a low surrogate escape without a high surrogate before it")
        default:
            scalarValue = UInt32(unit)
        }
        // Surrogates are handled above, so every value left is a scalar.
        let scalar = Unicode.Scalar(scalarValue)!
        UTF8.encode(scalar) { decoded.append($0) }
    }

    /// A `\u` escape (four hex digits) at `index`: its UTF-16 code unit; `index` after it.
    private mutating func hexUnit() throws(AuthZENJSONError) -> UInt16 {
        guard self.index + 6 <= self.bytes.count else { throw self.error("a '\\u' escape without four hex digits") }
        var unit: UInt16 = 0
        for offset in 2..<6 {
            let byte = self.bytes[self.index + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw self.error("a '\\u' escape without four hex digits")
            }
            unit = unit << 4 | UInt16(digit)
        }
        self.index += 6
        return unit
    }

    /// A number by the grammar `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, finite as a `Double`.
    private mutating func number() throws(AuthZENJSONError) -> Double {
        let start = self.index
        if self.peek == UInt8(ascii: "-") { self.index += 1 }
        if self.peek == UInt8(ascii: "0") {
            self.index += 1
        } else {
            try self.digits(after: "the number's sign")
        }
        if self.peek == UInt8(ascii: ".") {
            self.index += 1
            try self.digits(after: "the decimal point")
        }
        if self.peek == UInt8(ascii: "e") || self.peek == UInt8(ascii: "E") {
            self.index += 1
            if self.peek == UInt8(ascii: "+") || self.peek == UInt8(ascii: "-") { self.index += 1 }
            try self.digits(after: "the exponent")
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index]), as: UTF8.self)
        guard let number = Double(text), number.isFinite else {
            self.index = start
            throw self.error("the number \(text), which is out of range")
        }
        return number
    }

    private mutating func digits(after what: String) throws(AuthZENJSONError) {
        guard let first = self.peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            throw self.error("\(self.describeByte()) where a digit after \(what) was expected")
        }
        while let byte = self.peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { self.index += 1 }
    }

    private mutating func literal(_ word: StaticString) throws(AuthZENJSONError) {
        let count = word.utf8CodeUnitCount
        guard self.index + count <= self.bytes.count,
            (0..<count).allSatisfy({ self.bytes[self.index + $0] == word.utf8Start[$0] })
        else { throw self.error("\(self.describeByte()) where a value was expected") }
        self.index += count
    }

    private mutating func skipWhitespace() {
        while let byte = self.peek,
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\t")
        {
            self.index += 1
        }
    }

    private var peek: UInt8? { self.peek(at: self.index) }

    private func peek(at index: Int) -> UInt8? { index < self.bytes.count ? self.bytes[index] : nil }

    private func controlCharacter(_ byte: UInt8) -> AuthZENJSONError {
        self.error("the control character U+00\(Self.hex(byte)) inside a string; escape it (\\n, \\t, \\u00XX)")
    }

    private func describeByte() -> String {
        guard let byte = self.peek else { return "the end of the body" }
        return "'\(Self.printable(byte))'"
    }

    private static func printable(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + Self.hex(byte)
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return byte < 16 ? "0" + digits : digits
    }

    private func error(_ found: String) -> AuthZENJSONError {
        AuthZENJSONError("malformed JSON at byte \(self.index): \(found)")
    }
}
