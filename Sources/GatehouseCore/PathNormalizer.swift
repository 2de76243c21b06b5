/// Turns a request's raw `:path` into the canonical form that policies are matched against.
///
/// The steps, in order (RFC 3986 §6.2.2 plus what Envoy's `normalize_path` and
/// `merge_slashes` do):
/// 1. The fragment (`#…`) is dropped and the query (`?…`) split off, untouched.
/// 2. Percent-encodings of unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded; other
///    percent-encodings keep their meaning and get upper-case hex (`%c3` → `%C3`).
/// 3. Bytes that may not appear literally in a path (space, `"`, `<`, non-ASCII …) are
///    percent-encoded, so a policy written with `/café` matches a request for `/caf%C3%A9`.
/// 4. Runs of `/` are merged and `.` / `..` segments removed (never above the root).
///
/// A path whose meaning depends on who reads it is refused with ``PathProblem/ambiguous``:
/// an encoded `/` (`%2F`) or `\` (`%5C`), a literal `\`, NUL or another control byte
/// (literal or encoded), an invalid percent-encoding, or a path that does not start with
/// `/` (except the empty path and `*`).
package enum PathNormalizer {
    /// The longest normalized path accepted, in bytes.
    package static let maximumLength = 16_384
    /// The most segments a normalized path may have.
    package static let maximumSegments = 256

    /// The normalized path and the raw query, or why the path was refused.
    package static func normalize(_ raw: String) -> Result<(path: String, query: Substring), PathProblem> {
        var pathPart = Substring(raw)
        if let hash = pathPart.utf8.firstIndex(of: UInt8(ascii: "#")) { pathPart = pathPart[..<hash] }
        var query = Substring("")
        if let question = pathPart.utf8.firstIndex(of: UInt8(ascii: "?")) {
            query = pathPart[pathPart.utf8.index(after: question)...]
            pathPart = pathPart[..<question]
        }
        if pathPart.isEmpty || pathPart == "*" { return .success((String(pathPart), query)) }
        guard pathPart.utf8.first == UInt8(ascii: "/") else { return .failure(.ambiguous) }
        return Self.canonicalSegments(Array(pathPart.utf8)).map { ($0, query) }
    }

    private static func canonicalSegments(_ bytes: [UInt8]) -> Result<String, PathProblem> {
        var segments: [[UInt8]] = []
        var current: [UInt8] = []
        var endsWithSlash = false
        var index = 1
        func finishSegment(atEnd: Bool) {
            switch current {
            case [46]:  // "."
                endsWithSlash = atEnd
            case [46, 46]:  // ".."
                if !segments.isEmpty { segments.removeLast() }
                endsWithSlash = atEnd
            case []:
                endsWithSlash = atEnd
            default:
                segments.append(current)
                endsWithSlash = false
            }
            current.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "/"):
                finishSegment(atEnd: false)
                endsWithSlash = true
                index += 1
                continue
            case UInt8(ascii: "%"):
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]),
                    let low = hexValue(bytes[index + 2])
                else { return .failure(.ambiguous) }
                let decoded = high << 4 | low
                if decoded == UInt8(ascii: "/") || decoded == UInt8(ascii: "\\") || decoded < 0x20 || decoded == 0x7F {
                    return .failure(.ambiguous)
                }
                if isUnreserved(decoded) { current.append(decoded) } else { appendEncoded(decoded, to: &current) }
                index += 3
                continue
            case UInt8(ascii: "\\"), 0..<0x20, 0x7F:
                return .failure(.ambiguous)
            default:
                if isAllowedLiteral(byte) { current.append(byte) } else { appendEncoded(byte, to: &current) }
            }
            index += 1
            endsWithSlash = false
        }
        if !current.isEmpty { finishSegment(atEnd: true) }
        guard segments.count + (endsWithSlash && !segments.isEmpty ? 1 : 0) <= maximumSegments else {
            return .failure(.tooLong)
        }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        for segment in segments {
            output.append(UInt8(ascii: "/"))
            output.append(contentsOf: segment)
        }
        if endsWithSlash || segments.isEmpty { output.append(UInt8(ascii: "/")) }
        guard output.count <= maximumLength else { return .failure(.tooLong) }
        return .success(String(decoding: output, as: UTF8.self))
    }

    /// Whether `byte` is an RFC 3986 unreserved character.
    package static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Unreserved characters, sub-delims, `:` and `@` may stand literally in a segment.
    private static func isAllowedLiteral(_ byte: UInt8) -> Bool {
        if isUnreserved(byte) { return true }
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
            UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "@"):
            return true
        default:
            return false
        }
    }

    private static func appendEncoded(_ byte: UInt8, to output: inout [UInt8]) {
        let digits: [UInt8] = Array("0123456789ABCDEF".utf8)
        output.append(UInt8(ascii: "%"))
        output.append(digits[Int(byte >> 4)])
        output.append(digits[Int(byte & 0x0F)])
    }

    /// The value of one hexadecimal digit, or `nil`.
    package static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Why a request path could not be normalized; such a request is always denied.
package enum PathProblem: Error, Hashable, Sendable {
    /// Encoded `/` or `\`, a literal `\`, NUL or control bytes, invalid escapes, or no leading `/`.
    case ambiguous
    /// Longer than ``PathNormalizer/maximumLength`` bytes or ``PathNormalizer/maximumSegments`` segments.
    case tooLong
}
