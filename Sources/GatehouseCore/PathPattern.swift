/// A path pattern: literal segments, `*` for exactly one non-empty segment, `**` for any number of segments.
///
/// Patterns are normalized like request paths (``PathNormalizer``), so `/caf%c3%a9/*`,
/// `/café/*` and `/./café//*` are the same pattern. `/records/**` matches `/records`,
/// `/records/` and every path below.
package struct PathPattern: Sendable, Hashable, CustomStringConvertible {
    /// One segment of a pattern.
    package enum Segment: Sendable, Hashable {
        /// Matches exactly these bytes.
        case literal(String)
        /// Matches one non-empty segment.
        case star
        /// Matches zero or more segments.
        case doubleStar
    }

    /// The segments after the leading `/`; empty for the pattern `/`.
    package let segments: [Segment]

    /// The most `**` a pattern may hold; each multiplies the work of a match by the path's depth.
    package static let maximumDoubleStars = 2

    /// Why a pattern text was refused.
    package enum ParseProblem: Error, Equatable {
        case notAbsolute
        case ambiguous
        case partialWildcard(String)
        case tooManyDoubleStars
    }

    package init(segments: [Segment]) { self.segments = segments }

    /// Parses and normalizes a pattern such as `/records/*/history` or `/export/**`.
    package static func parse(_ text: String) -> Result<PathPattern, ParseProblem> {
        guard text.hasPrefix("/") else { return .failure(.notAbsolute) }
        if text.contains("?") || text.contains("#") { return .failure(.ambiguous) }
        let normalized: String
        // Patterns are written by policy authors, not sent by callers: their dot segments are resolved.
        switch PathNormalizer.normalize(text, dotSegments: .normalize) {
        case .success(let result): normalized = result.path
        case .failure: return .failure(.ambiguous)
        }
        let rawSegments = PathSegments.split(normalized)
        var segments: [Segment] = []
        for raw in rawSegments {
            switch raw {
            case "*": segments.append(.star)
            case "**": segments.append(.doubleStar)
            default:
                // `*` is a sub-delim, so the normalizer keeps it literal: refuse it inside a segment,
                // where a reader would take it for a glob.
                if raw.contains("*") { return .failure(.partialWildcard(String(raw))) }
                segments.append(.literal(String(raw)))
            }
        }
        if segments.filter({ $0 == .doubleStar }).count > maximumDoubleStars { return .failure(.tooManyDoubleStars) }
        return .success(PathPattern(segments: segments))
    }

    /// Whether a normalized path matches; used for `notPaths` and by the linter.
    package func matches(_ path: String) -> Bool {
        // `*` (OPTIONS *) and the empty path (CONNECT) are not under `/`: no path pattern matches
        // them, here and in the decision tree's trie alike; only rules without `paths` apply.
        guard path.utf8.first == UInt8(ascii: "/") else { return false }
        let pathSegments = PathSegments.split(path)
        return Self.match(self.segments[...], pathSegments[...])
    }

    /// Whether every path this pattern matches is also matched by `other`.
    package func isCovered(by other: PathPattern) -> Bool {
        Self.covers(other.segments[...], self.segments[...])
    }

    package var description: String {
        "/"
            + self.segments.map { segment in
                switch segment {
                case .literal(let text): return text
                case .star: return "*"
                case .doubleStar: return "**"
                }
            }.joined(separator: "/")
    }

    private static func match(_ pattern: ArraySlice<Segment>, _ path: ArraySlice<Substring>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        switch head {
        case .literal(let text):
            guard let first = path.first, ASCII.equal(first, text) else { return false }
            return match(pattern.dropFirst(), path.dropFirst())
        case .star:
            guard let first = path.first, !first.isEmpty else { return false }
            return match(pattern.dropFirst(), path.dropFirst())
        case .doubleStar:
            var rest = path
            while true {
                if match(pattern.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        }
    }

    /// Whether `general` matches everything `specific` matches (wildcards in `specific` count as arbitrary text).
    private static func covers(_ general: ArraySlice<Segment>, _ specific: ArraySlice<Segment>) -> Bool {
        guard let head = general.first else { return specific.isEmpty }
        switch head {
        case .doubleStar:
            var rest = specific
            while true {
                if covers(general.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        case .star:
            guard let first = specific.first, first != .doubleStar else { return false }
            if case .literal(let text) = first, text.isEmpty { return false }
            return covers(general.dropFirst(), specific.dropFirst())
        case .literal(let text):
            guard case .literal(let other)? = specific.first, ASCII.equal(text, other) else { return false }
            return covers(general.dropFirst(), specific.dropFirst())
        }
    }
}

/// Splitting a normalized path into segments without copying.
package enum PathSegments {
    /// The segments after the leading `/`: `/` has none, `/a/` has `a` and an empty one.
    package static func split(_ path: String) -> [Substring] {
        guard path.count > 1, path.hasPrefix("/") else { return [] }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
    }
}
