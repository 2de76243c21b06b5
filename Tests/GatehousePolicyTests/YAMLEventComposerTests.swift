import GatehouseCore
import GatehousePolicy
import Testing

/// The YAML stages on their own: the lexical pre-scan's lines and the event composer's duplicate keys.
@Suite("YAML: pre-scan lines and duplicate keys")
struct YAMLEventComposerTests {
    private static func compile(_ text: String) -> PolicyCompiler.Result {
        PolicyCompiler.compile(sources: [PolicySource(path: "p.yaml", text: text)])
    }

    @Test("A mapping of many keys reports its duplicates sorted, at the first occurrence of the first")
    func duplicatesInLargeMapping() throws {
        let keys = (0..<20).map { "  k\($0): v" } + ["  k7: again", "  k12: again", "  k7: thrice"]
        let result = Self.compile("kind: Policy\nname: p\ndescription:\n" + keys.joined(separator: "\n") + "\n")
        let error = try #require(result.errors.first)
        #expect(error.code.rawValue == "policy_duplicate_key")
        #expect(error.message.contains("'k12', 'k7'"))
        #expect(error.location.line == 16 && error.location.column == 3, "k12's first line")
    }

    @Test("Every line break the parser knows starts a line for the pre-scan, CRLF counted once")
    func preScanLineBreaks() throws {
        for separator in ["\n", "\r\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"] {
            let text = ["kind: Policy", "name: &n p", "description: *n", "rules: []", ""].joined(separator: separator)
            let error = try #require(Self.compile(text).errors.first)
            #expect(error.code.rawValue == "policy_limit_exceeded")
            #expect(
                error.location.line == 3 && error.location.column == 14,
                "separator \(separator.unicodeScalars.map(\.value))")
        }
    }
}
