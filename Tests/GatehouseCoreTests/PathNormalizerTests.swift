import GatehouseCore
import Testing

@Suite("Path normalization")
struct PathNormalizerTests {
    /// What normalizing one raw path must give.
    enum Expected: Sendable, Equatable, CustomTestStringConvertible {
        case path(String, query: String = "")
        case problem(PathProblem)

        var testDescription: String {
            switch self {
            case .path(let path, let query): return "\(Abbreviated(path)) query '\(query)'"
            case .problem(let problem): return "\(problem)"
            }
        }
    }

    /// One row of the table: a raw path, the server's `paths.dotSegments`, and what must come out.
    struct Row: Sendable, CustomTestStringConvertible {
        var raw: String
        var expected: Expected
        var dotSegments: PathNormalizer.DotSegments

        init(_ raw: String, _ expected: Expected, _ dotSegments: PathNormalizer.DotSegments = .reject) {
            self.raw = raw
            self.expected = expected
            self.dotSegments = dotSegments
        }

        var testDescription: String {
            let mode = self.dotSegments == .reject ? "" : " (\(self.dotSegments))"
            return "\(Abbreviated(self.raw).debugDescription)\(mode) → \(self.expected.testDescription)"
        }
    }

    /// A long string shown by its start and length, so parameter names stay readable.
    struct Abbreviated: CustomStringConvertible, CustomDebugStringConvertible {
        var text: String
        init(_ text: String) { self.text = text }
        var description: String {
            self.text.utf8.count <= 40 ? self.text : "\(self.text.prefix(24))… (\(self.text.utf8.count) bytes)"
        }
        var debugDescription: String { self.description.debugDescription }
    }

    static let segments256 = String(repeating: "/a", count: 256)
    static let segments257 = String(repeating: "/a", count: 257)
    static let bytes16384 = "/" + String(repeating: "x", count: 16_383)
    static let bytes16385 = "/" + String(repeating: "x", count: 16_384)

    static let rows: [Row] = [
        // Already canonical, and the two special forms.
        Row("/", .path("/")),
        Row("", .path("")),
        Row("*", .path("*")),
        Row("/a/b", .path("/a/b")),
        Row("/a/b/", .path("/a/b/")),
        Row("/!$&'()*+,;=:@-._~", .path("/!$&'()*+,;=:@-._~")),
        // Unreserved escapes are decoded, in either case.
        Row("/%7E", .path("/~")),
        Row("/%7euser", .path("/~user")),
        Row("/%41%62%30%2D%5F", .path("/Ab0-_")),
        Row("/a/%2e%2e/b", .path("/b"), .normalize),
        Row("/a/%2E/b", .path("/a/b"), .normalize),
        Row("/a/.%2e/b", .path("/b"), .normalize),
        Row("/a/%2e", .path("/a/"), .normalize),
        Row("/a%2Eb", .path("/a.b"), .normalize),
        // Other escapes keep their meaning and get upper-case hex.
        Row("/caf%c3%a9", .path("/caf%C3%A9")),
        Row("/%3a%40", .path("/%3A%40")),
        Row("/100%25", .path("/100%25")),
        Row("/a%3fb", .path("/a%3Fb")),
        // Bytes that may not stand literally are encoded.
        Row("/café", .path("/caf%C3%A9")),
        Row("/a b", .path("/a%20b")),
        Row("/\"<>^`{|}", .path("/%22%3C%3E%5E%60%7B%7C%7D")),
        // Slashes merged; with normalize, dot segments removed, never above the root.
        Row("//a///b//", .path("/a/b/")),
        Row("/a/./b", .path("/a/b"), .normalize),
        Row("/a/b/../c", .path("/a/c"), .normalize),
        Row("/../../a", .path("/a"), .normalize),
        Row("/a/b/..", .path("/a/"), .normalize),
        Row("/a/.", .path("/a/"), .normalize),
        Row("/..", .path("/"), .normalize),
        Row("/a/..//", .path("/"), .normalize),
        Row("/a/.../b", .path("/a/.../b")),
        Row("/a/..b/.c", .path("/a/..b/.c")),
        Row("/a/.well-known/b.c", .path("/a/.well-known/b.c")),
        Row("/a/.../b", .path("/a/.../b"), .normalize),
        Row("/a/..b/.c", .path("/a/..b/.c"), .normalize),
        // By default (reject) a dot segment, literal or encoded, or any encoded dot refuses the path:
        // the upstream may resolve it otherwise than Gatehouse.
        Row("/a/./b", .problem(.dotSegment)),
        Row("/a/b/../c", .problem(.dotSegment)),
        Row("/../../a", .problem(.dotSegment)),
        Row("/a/b/..", .problem(.dotSegment)),
        Row("/a/.", .problem(.dotSegment)),
        Row("/.", .problem(.dotSegment)),
        Row("/..", .problem(.dotSegment)),
        Row("/a/..//", .problem(.dotSegment)),
        Row("//./a", .problem(.dotSegment)),
        Row("/a/%2e%2e/b", .problem(.dotSegment)),
        Row("/a/%2E/b", .problem(.dotSegment)),
        Row("/a/.%2e/b", .problem(.dotSegment)),
        Row("/a/%2e", .problem(.dotSegment)),
        Row("/a%2Eb", .problem(.dotSegment)),
        Row("/a%2ejson", .problem(.dotSegment)),
        // Other refusals come first when they come first in the path.
        Row("/a%2F..", .problem(.ambiguous)),
        Row("/../a%2Fb", .problem(.dotSegment)),
        Row("/a\\../b", .problem(.ambiguous)),
        // The query is split off untouched; the fragment is dropped.
        Row("/a?x=1&y=%2F", .path("/a", query: "x=1&y=%2F")),
        Row("/a/../b?q=/../", .path("/b", query: "q=/../"), .normalize),
        Row("/a/b?q=/../%2e", .path("/a/b", query: "q=/../%2e")),
        Row("/a/b#/../c", .path("/a/b")),
        Row("/a#frag", .path("/a")),
        Row("/a?q#frag", .path("/a", query: "q")),
        Row("/a#f?not-a-query", .path("/a")),
        Row("?only=query", .path("", query: "only=query")),
        // Ambiguous: encoded separators, backslashes, NUL and control bytes.
        Row("/a%2Fb", .problem(.ambiguous)),
        Row("/a%2fb", .problem(.ambiguous)),
        Row("/a%5Cb", .problem(.ambiguous)),
        Row("/a%5cb", .problem(.ambiguous)),
        Row("/a\\b", .problem(.ambiguous)),
        Row("/a%00", .problem(.ambiguous)),
        Row("/a\u{0}b", .problem(.ambiguous)),
        Row("/a%0A", .problem(.ambiguous)),
        Row("/a%0d", .problem(.ambiguous)),
        Row("/a%1F", .problem(.ambiguous)),
        Row("/a%7F", .problem(.ambiguous)),
        Row("/a\tb", .problem(.ambiguous)),
        Row("/a\u{7F}", .problem(.ambiguous)),
        // Ambiguous: invalid escapes.
        Row("/a%", .problem(.ambiguous)),
        Row("/a%G1", .problem(.ambiguous)),
        Row("/a%1", .problem(.ambiguous)),
        Row("/a%1?x", .problem(.ambiguous)),
        Row("/%%41", .problem(.ambiguous)),
        // Ambiguous: no leading slash.
        Row("a/b", .problem(.ambiguous)),
        Row("http://x/y", .problem(.ambiguous)),
        Row("**", .problem(.ambiguous)),
        // Limits: counted after normalization.
        Row(Self.segments256, .path(Self.segments256)),
        Row(Self.segments257, .problem(.tooLong)),
        Row(Self.segments256 + "/", .problem(.tooLong)),
        Row("/" + String(repeating: "a/../", count: 300) + "b", .path("/b"), .normalize),
        Row(Self.bytes16384, .path(Self.bytes16384)),
        Row(Self.bytes16385, .problem(.tooLong)),
        Row("/" + String(repeating: " ", count: 5_462), .problem(.tooLong)),
    ]

    static func normalized(_ raw: String, _ dotSegments: PathNormalizer.DotSegments = .reject) -> Expected {
        switch PathNormalizer.normalize(raw, dotSegments: dotSegments) {
        case .success(let result): return .path(result.path, query: String(result.query))
        case .failure(let problem): return .problem(problem)
        }
    }

    @Test("A raw path normalizes to the expected path and query, or is refused", arguments: Self.rows)
    func normalizes(row: Row) {
        let actual = Self.normalized(row.raw, row.dotSegments)
        #expect(actual == row.expected)
        if case .path(let path, _) = actual, case .path(let expected, _) = row.expected {
            // `String ==` compares canonical equivalence; the upstream sees bytes.
            #expect(Array(path.utf8) == Array(expected.utf8))
        }
    }

    /// The rows that normalize successfully.
    static let accepted = Self.rows.filter { row in
        if case .path = row.expected { return true }
        return false
    }

    @Test("Normalizing a normalized path changes nothing", arguments: Self.accepted)
    func isIdempotent(row: Row) {
        guard case .path(let once, _) = Self.normalized(row.raw, row.dotSegments) else {
            Issue.record("\(row.raw.debugDescription) was refused")
            return
        }
        // A normalized path holds no dot segment, so it passes even where dot segments are refused.
        #expect(Self.normalized(once, .reject) == .path(once))
    }

    /// The rows refused for a dot segment by default.
    static let dotSegmentRows = Self.rows.filter { $0.expected == .problem(.dotSegment) }

    @Test(
        "A path refused for its dot segments by default is resolved once paths.dotSegments is normalize",
        arguments: Self.dotSegmentRows)
    func dotSegmentsNormalizeWhenAsked(row: Row) {
        switch Self.normalized(row.raw, .normalize) {
        case .path(let path, _):
            #expect(!path.contains("/./") && !path.contains("/../") && !path.hasSuffix("/..") && !path.hasSuffix("/."))
        case .problem(let problem):
            // Only another refusal later in the path (`/../a%2Fb`) may remain.
            #expect(problem == .ambiguous, "\(row.raw.debugDescription)")
        }
    }

    @Test("The path table has the dot-segment rows the issue asks for, in both modes")
    func tableCoversDotSegments() {
        #expect(Self.dotSegmentRows.count >= 15)
        #expect(Self.rows.filter { $0.dotSegments == .normalize }.count >= 15)
    }
}
