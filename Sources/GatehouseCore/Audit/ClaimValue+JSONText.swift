extension ClaimValue {
    /// The value as compact JSON text, as a decision record stores a loggable claim.
    ///
    /// Canonical so that equal claims give equal bytes: object keys sorted by their UTF-8 bytes,
    /// no whitespace, strings escaped minimally (`\"`, `\\`, control characters as `\u00XX`),
    /// whole numbers below 2^53 without a fraction.
    package var jsonText: String {
        var output: [UInt8] = []
        self.appendJSON(to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    private func appendJSON(to output: inout [UInt8]) {
        switch self {
        case .string(let text): Self.appendJSONString(text, to: &output)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .null: output.append(contentsOf: "null".utf8)
        case .number(let number):
            if !number.isFinite {
                // A decoded token never holds one; JSON cannot say it.
                output.append(contentsOf: "null".utf8)
            } else if number == number.rounded(), abs(number) < 9_007_199_254_740_992 {
                output.append(contentsOf: String(Int64(number)).utf8)
            } else {
                output.append(contentsOf: String(number).utf8)
            }
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                item.appendJSON(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.appendJSONString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                // The key comes from the dictionary's own keys.
                members[key]!.appendJSON(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `text` as a JSON string: quotes, backslashes and control characters escaped, the
    /// rest literal UTF-8.
    package static func appendJSONString(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                output.append(contentsOf: "\\u00".utf8)
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
