extension ClaimValue {
    /// Parses the JSON text a decision record keeps for a loggable claim (``jsonText``).
    ///
    /// Core has no Foundation, and a record's claim is small, well-formed canonical JSON written by
    /// ``jsonText``; this reads any RFC 8259 value back. `nil` when the text is not one JSON value.
    package init?(jsonText text: String) {
        var parser = ClaimJSONParser(bytes: Array(text.utf8))
        guard let value = parser.value(depth: 0) else { return nil }
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { return nil }
        self = value
    }
}

/// A recursive-descent JSON reader over UTF-8 bytes, for ``ClaimValue/init(jsonText:)``.
private struct ClaimJSONParser {
    let bytes: [UInt8]
    var index = 0

    /// Deeper nesting is refused rather than risking the stack on a hostile record.
    private static let maximumDepth = 64

    mutating func skipSpace() {
        while self.index < self.bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(self.bytes[self.index]) {
            self.index += 1
        }
    }

    mutating func value(depth: Int) -> ClaimValue? {
        guard depth < Self.maximumDepth else { return nil }
        self.skipSpace()
        guard self.index < self.bytes.count else { return nil }
        switch self.bytes[self.index] {
        case UInt8(ascii: "{"): return self.object(depth: depth)
        case UInt8(ascii: "["): return self.array(depth: depth)
        case UInt8(ascii: "\""): return self.string().map(ClaimValue.string)
        case UInt8(ascii: "t"): return self.literal("true", .bool(true))
        case UInt8(ascii: "f"): return self.literal("false", .bool(false))
        case UInt8(ascii: "n"): return self.literal("null", .null)
        default: return self.number()
        }
    }

    private mutating func literal(_ word: String, _ value: ClaimValue) -> ClaimValue? {
        let word = Array(word.utf8)
        guard self.index + word.count <= self.bytes.count,
            Array(self.bytes[self.index..<self.index + word.count]) == word
        else { return nil }
        self.index += word.count
        return value
    }

    private mutating func number() -> ClaimValue? {
        let start = self.index
        while self.index < self.bytes.count,
            let scalar = Optional(self.bytes[self.index]),
            (scalar >= 0x30 && scalar <= 0x39)
                || [
                    UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                    UInt8(ascii: "e"), UInt8(ascii: "E"),
                ].contains(scalar)
        {
            self.index += 1
        }
        guard self.index > start else { return nil }
        return Double(String(decoding: self.bytes[start..<self.index], as: UTF8.self)).map(ClaimValue.number)
    }

    private mutating func string() -> String? {
        self.index += 1  // the opening quote
        var output: [UInt8] = []
        while self.index < self.bytes.count {
            let byte = self.bytes[self.index]
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: output, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard self.index < self.bytes.count else { return nil }
                let escaped = self.bytes[self.index]
                self.index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escaped)
                case UInt8(ascii: "b"): output.append(0x08)
                case UInt8(ascii: "f"): output.append(0x0C)
                case UInt8(ascii: "n"): output.append(0x0A)
                case UInt8(ascii: "r"): output.append(0x0D)
                case UInt8(ascii: "t"): output.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = self.hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A surrogate pair: the low half must follow as another `\u` escape.
                        guard self.index + 1 < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\\"),
                            self.bytes[self.index + 1] == UInt8(ascii: "u")
                        else { return nil }
                        self.index += 2
                        guard let low = self.hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { return nil }
                    output.append(contentsOf: Array(String(Character(unicode)).utf8))
                default: return nil
                }
            default: output.append(byte)
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard self.index + 4 <= self.bytes.count,
            let value = UInt32(String(decoding: self.bytes[self.index..<self.index + 4], as: UTF8.self), radix: 16)
        else { return nil }
        self.index += 4
        return value
    }

    private mutating func array(depth: Int) -> ClaimValue? {
        self.index += 1
        var items: [ClaimValue] = []
        self.skipSpace()
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "]") {
            self.index += 1
            return .array(items)
        }
        while true {
            guard let item = self.value(depth: depth + 1) else { return nil }
            items.append(item)
            self.skipSpace()
            guard self.index < self.bytes.count else { return nil }
            let separator = self.bytes[self.index]
            self.index += 1
            if separator == UInt8(ascii: "]") { return .array(items) }
            guard separator == UInt8(ascii: ",") else { return nil }
        }
    }

    private mutating func object(depth: Int) -> ClaimValue? {
        self.index += 1
        var members: [String: ClaimValue] = [:]
        self.skipSpace()
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "}") {
            self.index += 1
            return .object(members)
        }
        while true {
            self.skipSpace()
            guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\""),
                let key = self.string()
            else { return nil }
            self.skipSpace()
            guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ":") else { return nil }
            self.index += 1
            guard let member = self.value(depth: depth + 1) else { return nil }
            members[key] = member
            self.skipSpace()
            guard self.index < self.bytes.count else { return nil }
            let separator = self.bytes[self.index]
            self.index += 1
            if separator == UInt8(ascii: "}") { return .object(members) }
            guard separator == UInt8(ascii: ",") else { return nil }
        }
    }
}
