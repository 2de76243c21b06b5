/// Turns a request's raw `:path` into the canonical form that policies are matched against.
///
/// The steps, in order (RFC 3986 §6.2.2 plus what Envoy's `normalize_path` and
/// `merge_slashes` do):
/// 1. The fragment (`#…`) is dropped and the query (`?…`) split off, untouched.
/// 2. Percent-encodings of unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded; other
///    percent-encodings keep their meaning and get upper-case hex (`%c3` → `%C3`).
/// 3. Bytes that may not appear literally in a path (space, `"`, `<`, non-ASCII …) are
///    percent-encoded, so a policy written with `/café` matches a request for `/caf%C3%A9`.
/// 4. Runs of `/` are merged and, with ``DotSegments/normalize``, `.` / `..` segments removed
///    (never above the root).
///
/// A path whose meaning depends on who reads it is refused with ``PathProblem/ambiguous``:
/// an encoded `/` (`%2F`) or `\` (`%5C`), a literal `\`, NUL or another control byte
/// (literal or encoded), an invalid percent-encoding, or a path that does not start with
/// `/` (except the empty path and `*`). With ``DotSegments/reject`` (the default) a `.` or
/// `..` segment, or an encoded dot anywhere in the path (`%2E`), is refused too, as
/// ``PathProblem/dotSegment``: an upstream that Envoy does not normalize for may resolve
/// `/records/a/../b` otherwise than Gatehouse would, so authorizing the normalized form would
/// authorize a path the upstream never serves.
package enum PathNormalizer {
    /// The longest normalized path accepted, in bytes.
    package static let maximumLength = 16_384
    /// The most segments a normalized path may have.
    package static let maximumSegments = 256

    /// What to do with `.` and `..` segments and encoded dots.
    package enum DotSegments: String, Sendable, Hashable, CaseIterable {
        /// Refuse the path (``PathProblem/dotSegment``): Gatehouse and the upstream could read it differently.
        case reject
        /// Remove them as RFC 3986 §5.2.4 does: right when Envoy's `normalize_path` sends the
        /// upstream the same normalized path.
        case normalize
    }

    /// The normalized path and the raw query, or why the path was refused.
    ///
    /// - Parameters:
    ///   - raw: The `:path` as received, query and fragment included.
    ///   - dotSegments: Whether dot segments and encoded dots refuse the path or are resolved.
    /// - Returns: The normalized path and the query, untouched; or the ``PathProblem``.
    package static func normalize(
        _ raw: String, dotSegments: DotSegments = .reject
    ) -> Result<(path: String, query: Substring), PathProblem> {
        var pathPart = Substring(raw)
        if let hash = pathPart.utf8.firstIndex(of: UInt8(ascii: "#")) { pathPart = pathPart[..<hash] }
        var query = Substring("")
        if let question = pathPart.utf8.firstIndex(of: UInt8(ascii: "?")) {
            query = pathPart[pathPart.utf8.index(after: question)...]
            pathPart = pathPart[..<question]
        }
        if pathPart.isEmpty || pathPart == "*" { return .success((String(pathPart), query)) }
        guard pathPart.utf8.first == UInt8(ascii: "/") else { return .failure(.ambiguous) }
        var segments = SegmentBuilder(dotSegments: dotSegments)
        return segments.canonical(Array(pathPart.utf8)).map { ($0, query) }
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
    fileprivate static func isAllowedLiteral(_ byte: UInt8) -> Bool {
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

    fileprivate static func appendEncoded(_ byte: UInt8, to output: inout [UInt8]) {
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
    /// A `.` or `..` segment, or an encoded dot, under ``PathNormalizer/DotSegments/reject``.
    case dotSegment
    /// Longer than ``PathNormalizer/maximumLength`` bytes or ``PathNormalizer/maximumSegments`` segments.
    case tooLong
}

/// Splits a path after its leading `/` into canonical segments: escapes decoded or upper-cased,
/// bytes that may not stand literally encoded, empty segments merged, dot segments resolved or refused.
private struct SegmentBuilder {
    let dotSegments: PathNormalizer.DotSegments
    private var segments: [[UInt8]] = []
    private var current: [UInt8] = []
    /// Whether the path, as far as read, ends with `/` (or a removed dot segment, which stands for one).
    private var endsWithSlash = false

    init(dotSegments: PathNormalizer.DotSegments) {
        self.dotSegments = dotSegments
    }

    /// The canonical path for `bytes` (which start with `/`), or why it is refused.
    mutating func canonical(_ bytes: [UInt8]) -> Result<String, PathProblem> {
        var index = 1
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "/"):
                if let problem = self.finishSegment(atEnd: false) { return .failure(problem) }
                self.endsWithSlash = true
            case UInt8(ascii: "%"):
                guard index + 2 < bytes.count, let high = PathNormalizer.hexValue(bytes[index + 1]),
                    let low = PathNormalizer.hexValue(bytes[index + 2])
                else { return .failure(.ambiguous) }
                if let problem = self.appendEscape(high << 4 | low) { return .failure(problem) }
                index += 2
            case UInt8(ascii: "\\"), 0..<0x20, 0x7F:
                return .failure(.ambiguous)
            default:
                if PathNormalizer.isAllowedLiteral(byte) {
                    self.current.append(byte)
                } else {
                    PathNormalizer.appendEncoded(byte, to: &self.current)
                }
                self.endsWithSlash = false
            }
            index += 1
        }
        if !self.current.isEmpty, let problem = self.finishSegment(atEnd: true) { return .failure(problem) }
        return self.joined()
    }

    /// Appends the byte a `%XX` escape stands for, or says why the escape makes the path ambiguous.
    private mutating func appendEscape(_ decoded: UInt8) -> PathProblem? {
        if decoded == UInt8(ascii: "/") || decoded == UInt8(ascii: "\\") || decoded < 0x20 || decoded == 0x7F {
            return .ambiguous
        }
        // `%2E` is how `..` hides from a filter that looks for dots; an upstream may decode it or not.
        if decoded == UInt8(ascii: "."), self.dotSegments == .reject { return .dotSegment }
        if PathNormalizer.isUnreserved(decoded) {
            self.current.append(decoded)
        } else {
            PathNormalizer.appendEncoded(decoded, to: &self.current)
        }
        self.endsWithSlash = false
        return nil
    }

    /// Ends the segment being read: keeps it, drops it (empty or `.`), or pops its parent (`..`).
    private mutating func finishSegment(atEnd: Bool) -> PathProblem? {
        defer { self.current.removeAll(keepingCapacity: true) }
        switch self.current {
        case [UInt8(ascii: ".")], [UInt8(ascii: "."), UInt8(ascii: ".")]:
            guard self.dotSegments == .normalize else { return .dotSegment }
            if self.current.count == 2, !self.segments.isEmpty { self.segments.removeLast() }
            self.endsWithSlash = atEnd
        case []:
            self.endsWithSlash = atEnd
        default:
            self.segments.append(self.current)
            self.endsWithSlash = false
        }
        return nil
    }

    /// The segments joined with `/`, within the limits.
    private func joined() -> Result<String, PathProblem> {
        let count = self.segments.count + (self.endsWithSlash && !self.segments.isEmpty ? 1 : 0)
        guard count <= PathNormalizer.maximumSegments else { return .failure(.tooLong) }
        var output: [UInt8] = []
        output.reserveCapacity(self.segments.reduce(1) { $0 + $1.count + 1 })
        for segment in self.segments {
            output.append(UInt8(ascii: "/"))
            output.append(contentsOf: segment)
        }
        if self.endsWithSlash || self.segments.isEmpty { output.append(UInt8(ascii: "/")) }
        guard output.count <= PathNormalizer.maximumLength else { return .failure(.tooLong) }
        return .success(String(decoding: output, as: UTF8.self))
    }
}
