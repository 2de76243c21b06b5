/// The decoded parameters of a request's query string, in order, repeats kept.
package struct QueryParameters: Sendable, Equatable {
    /// Each parameter's decoded name and value; a name without `=` has an empty value.
    package private(set) var pairs: [(name: String, value: String)]

    package init(pairs: [(name: String, value: String)] = []) { self.pairs = pairs }

    /// Parses `a=1&b=x%20y`, decoding `+` as space and percent-escapes; an invalid escape is kept as written.
    package init(parsing query: some StringProtocol) {
        self.pairs = query.split(separator: "&").map { field in
            let parts = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(parts[0]), parts.count > 1 ? Self.decode(parts[1]) : "")
        }
    }

    /// The first value of `name`, if present.
    package func first(_ name: String) -> String? {
        self.pairs.first { ASCII.equal($0.name, name) }?.value
    }

    package static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
    }

    private static func decode(_ text: some StringProtocol) -> String {
        // Most names and values need no decoding: take them as they are, without two copies.
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) { return String(text) }
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = PathNormalizer.hexValue(bytes[index + 1]),
                let low = PathNormalizer.hexValue(bytes[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
                continue
            }
            output.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }
}
