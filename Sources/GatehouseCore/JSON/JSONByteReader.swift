/// ``JSONReader``'s one pass over the bytes, by recursive descent with a depth limit.
struct JSONByteReader {
    let bytes: UnsafeRawBufferPointer
    let options: JSONReader.Options
    var index = 0

    init(bytes: UnsafeRawBufferPointer, options: JSONReader.Options) {
        self.bytes = bytes
        self.options = options
    }

    mutating func document() throws(JSONSyntaxError) -> ClaimValue {
        self.skipWhitespace()
        let value = try self.value(depth: 0)
        self.skipWhitespace()
        guard self.index == self.bytes.count else { throw self.error("text after the end of the JSON value") }
        return value
    }

    /// The whole buffer as the contents of one string (no quotes around it).
    mutating func stringContents() throws(JSONSyntaxError) -> String {
        try self.stringBody(from: 0, closedByQuote: false)
    }

    private mutating func value(depth: Int) throws(JSONSyntaxError) -> ClaimValue {
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

    private mutating func object(depth: Int) throws(JSONSyntaxError) -> [String: ClaimValue] {
        try self.checkDepth(depth)
        self.index += 1
        var members: [String: ClaimValue] = [:]
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
            let nameStart = self.index
            let name = try self.string()
            self.skipWhitespace()
            guard self.peek == UInt8(ascii: ":") else {
                throw self.error(
                    "\(self.describeByte()) where ':' after the member name '\(Self.printable(name))' was expected")
            }
            self.index += 1
            self.skipWhitespace()
            let value = try self.value(depth: depth)
            if members.updateValue(value, forKey: name) != nil, self.options.duplicateMembers == .reject {
                self.index = nameStart
                throw JSONSyntaxError(
                    .duplicateMember,
                    "malformed JSON at byte \(nameStart): the member name '\(Self.printable(name))' a second time in one object"
                )
            }
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

    private mutating func array(depth: Int) throws(JSONSyntaxError) -> [ClaimValue] {
        try self.checkDepth(depth)
        self.index += 1
        var elements: [ClaimValue] = []
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

    private func checkDepth(_ depth: Int) throws(JSONSyntaxError) {
        let limit = self.options.maximumDepth
        guard depth <= limit else { throw self.error("arrays and objects nested deeper than \(limit) levels") }
    }

    /// A string at `index` (its opening quote); `index` after its closing quote.
    private mutating func string() throws(JSONSyntaxError) -> String {
        let opening = self.index
        self.index += 1
        return try self.stringBody(from: opening, closedByQuote: true)
    }

    /// A string's contents from `index`: without escapes, one UTF-8 validation of the bytes; with
    /// them, decoded into a buffer first. Ends at an unescaped quote (consumed) or, when
    /// `closedByQuote` is false, at the end of the bytes.
    private mutating func stringBody(from opening: Int, closedByQuote: Bool) throws(JSONSyntaxError) -> String {
        let start = self.index
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            if byte == UInt8(ascii: "\"") && closedByQuote {
                let text = try Self.text(UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index]), at: start)
                self.index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") { break }
            if byte < 0x20 { throw self.controlCharacter(byte) }
            self.index += 1
        }
        if self.index == self.bytes.count && !closedByQuote {
            return try Self.text(UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index]), at: start)
        }
        var decoded = Array(self.bytes[start..<self.index])
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            switch byte {
            case UInt8(ascii: "\"") where closedByQuote:
                self.index += 1
                return try Self.text(decoded, at: start)
            case UInt8(ascii: "\""):
                throw self.error("a '\"' that is not escaped inside a string")
            case UInt8(ascii: "\\"):
                try self.escape(into: &decoded)
            case ..<0x20:
                throw self.controlCharacter(byte)
            default:
                decoded.append(byte)
                self.index += 1
            }
        }
        guard closedByQuote else { return try Self.text(decoded, at: start) }
        self.index = opening
        throw self.error("a string that is never closed with '\"'")
    }

    private static func text(_ utf8: some Sequence<UInt8>, at start: Int) throws(JSONSyntaxError) -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw JSONSyntaxError(.malformed, "the string at byte \(start) is not valid UTF-8")
        }
        return text
    }

    /// The escape at `index` (its backslash), appended to `decoded` as UTF-8.
    private mutating func escape(into decoded: inout [UInt8]) throws(JSONSyntaxError) {
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
    private mutating func hexUnit() throws(JSONSyntaxError) -> UInt16 {
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

    /// A number by the grammar `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`; finite as a
    /// `Double` unless ``JSONReader/Options/overflowsToInfinity``.
    private mutating func number() throws(JSONSyntaxError) -> Double {
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
        // The grammar above is a subset of what Double parses; overflow becomes infinity.
        guard let number = Double(text), number.isFinite || self.options.overflowsToInfinity else {
            self.index = start
            throw self.error("the number \(text), which is out of range")
        }
        return number
    }

    private mutating func digits(after what: String) throws(JSONSyntaxError) {
        guard let first = self.peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            throw self.error("\(self.describeByte()) where a digit after \(what) was expected")
        }
        while let byte = self.peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { self.index += 1 }
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
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

    private func controlCharacter(_ byte: UInt8) -> JSONSyntaxError {
        self.error("the control character U+00\(Self.hex(byte)) inside a string; escape it (\\n, \\t, \\u00XX)")
    }

    private func describeByte() -> String {
        guard let byte = self.peek else { return "the end of the body" }
        return "'\(Self.printable(byte))'"
    }

    private static func printable(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + Self.hex(byte)
    }

    /// A member name as the message shows it: printable ASCII as is, other bytes as `\xNN`, at most 64 bytes.
    private static func printable(_ name: String) -> String {
        let shown = name.utf8.prefix(64).map { $0 == 0x20 ? " " : Self.printable($0) }.joined()
        return name.utf8.count > 64 ? shown + "…" : shown
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return byte < 16 ? "0" + digits : digits
    }

    private func error(_ found: String) -> JSONSyntaxError {
        JSONSyntaxError(.malformed, "malformed JSON at byte \(self.index): \(found)")
    }
}
