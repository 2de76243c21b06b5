import GatehouseCore
import Testing

/// The grammar is tested through each caller's options (StrictJSONTests in GatehouseIdentityTests,
/// AuthZENJSONTests in GatehouseAdminTests, the PostgreSQL columns); these pin what the options change.
@Suite("JSON reader: options and string contents")
struct JSONReaderTests {
    private static func read(_ text: String, _ options: JSONReader.Options) throws(JSONSyntaxError) -> ClaimValue {
        try JSONReader.value(from: Array(text.utf8), options: options)
    }

    @Test("Duplicate members: the last value is kept, or the text is refused at the repeated name")
    func duplicates() throws {
        let text = #"{"a": 1, "b": {"\u0061": 2, "a": 3}}"#
        #expect(
            try Self.read(text, .init(maximumDepth: 8)) == .object(["a": .number(1), "b": .object(["a": .number(3)])]))
        #expect(
            throws: JSONSyntaxError(
                .duplicateMember, "malformed JSON at byte 28: the member name 'a' a second time in one object")
        ) { try Self.read(text, .init(maximumDepth: 8, duplicateMembers: .reject)) }
    }

    @Test("A number too large for a Double is refused, or read as infinity when the caller allows it")
    func overflow() throws {
        #expect(
            throws: JSONSyntaxError(.malformed, "malformed JSON at byte 1: the number -1e400, which is out of range")
        ) {
            try Self.read("[-1e400]", .init(maximumDepth: 8))
        }
        #expect(
            try Self.read("[-1e400]", .init(maximumDepth: 8, overflowsToInfinity: true))
                == .array([.number(-.infinity)]))
    }

    @Test("The depth limit is the caller's: the outermost array or object counts as one level")
    func depth() throws {
        #expect(try Self.read("[[]]", .init(maximumDepth: 2)) == .array([.array([])]))
        #expect(
            throws: JSONSyntaxError(
                .malformed, "malformed JSON at byte 2: arrays and objects nested deeper than 2 levels")
        ) {
            try Self.read("[[[]]]", .init(maximumDepth: 2))
        }
    }

    @Test("Member names in messages are made printable and cut short, so messages are safe to log")
    func printableNames() {
        let name = "x\\n" + String(repeating: "y", count: 80)
        let expected =
            "malformed JSON at byte 86: '}' where ':' after the member name 'x\\x0A" + String(repeating: "y", count: 62)
            + "…' was expected"
        #expect(throws: JSONSyntaxError(.malformed, expected)) {
            try Self.read("{\"\(name)\"}", .init(maximumDepth: 8))
        }
    }

    @Test("String contents decode alone, with the same escapes and refusals as inside a value")
    func stringContents() throws {
        func contents(_ text: String) throws(JSONSyntaxError) -> String {
            let bytes = Array(text.utf8)
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(JSONSyntaxError) -> String in try JSONReader.stringContents(raw) }
            }
            return try result.get()
        }
        #expect(try contents("plain") == "plain")
        #expect(try contents("") == "")
        #expect(try contents(#"a\"b\\c\/\n\u00e9\ud83d\ude00\u0000"#) == "a\"b\\c/\né😀\u{0}")
        #expect(
            throws: JSONSyntaxError(.malformed, "malformed JSON at byte 1: a '\"' that is not escaped inside a string")
        ) {
            try contents(#"a"b"#)
        }
        #expect(
            throws: JSONSyntaxError(
                .malformed, "malformed JSON at byte 0: a low surrogate escape without a high surrogate before it")
        ) {
            try contents(#"\udc00"#)
        }
        #expect(throws: JSONSyntaxError(.malformed, "malformed JSON at byte 1: a string that ends inside an escape")) {
            try contents("a\\")
        }
        #expect(throws: JSONSyntaxError(.malformed, "the string at byte 0 is not valid UTF-8")) {
            let bytes: [UInt8] = [0xC3, 0x28]
            _ = try bytes.withUnsafeBytes { raw in
                Result { () throws(JSONSyntaxError) -> String in try JSONReader.stringContents(raw) }
            }.get()
        }
    }
}
