import GatehouseCore
import GatehouseIdentity
import Testing

@Suite("Strict JSON")
struct StrictJSONTests {
    private static func parse(_ text: String) throws(IdentityError) -> ClaimValue {
        try StrictJSON.parse(Array(text.utf8))
    }

    /// The code `bytes` are refused with, or `nil` when they parse.
    private static func refusal(_ bytes: [UInt8]) -> IdentityError.Code? {
        do throws(IdentityError) {
            _ = try StrictJSON.parse(bytes)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("Values map to ClaimValue")
    func values() throws {
        let value = try Self.parse(
            #" {"s":"x\u00e9\ud83d\ude00\n","n":-1.5e2,"i":1750000000,"b":true,"z":null,"a":[1,"2",[]],"o":{}} "#)
        #expect(
            value
                == .object([
                    "s": .string("xé😀\n"), "n": .number(-150), "i": .number(1_750_000_000), "b": .bool(true),
                    "z": .null,
                    "a": .array([.number(1), .string("2"), .array([])]), "o": .object([:]),
                ]))
    }

    @Test(
        "Duplicate member names are rejected at any depth, also when spelled with escapes",
        arguments: [#"{"a":1,"a":2}"#, #"{"x":{"a":1,"a":1}}"#, #"[{"a":1,"\u0061":2}]"#, #"{"a":[{"b":1,"b":2}]}"#])
    func duplicates(text: String) {
        #expect(Self.refusal(Array(text.utf8)) == .jsonDuplicateMember)
    }

    @Test(
        "Malformed JSON is rejected",
        arguments: [
            "", " ", "{", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{a:1}", "'a'", "01", "-", "1.", "1e", "+1", ".5", "NaN",
            "Infinity", "tru", "nul", "{\"a\":1} x", "{}{}", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
            "\"\\x\"", "\"\\u12\"", "\"a\u{01}\"", "\"open",
        ])
    func malformed(text: String) {
        #expect(Self.refusal(Array(text.utf8)) == .jsonMalformed)
    }

    @Test("Invalid UTF-8 is rejected inside and outside strings")
    func invalidUTF8() {
        for bytes: [UInt8] in [
            [0x22, 0xC3, 0x28, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22],
            [0xEF, 0xBB, 0xBF, 0x31],
        ] {
            #expect(Self.refusal(bytes) == .jsonMalformed)
        }
    }

    @Test("Nesting is limited to 32 levels")
    func depth() throws {
        let deepest = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        let nested = (1..<32).reduce(ClaimValue.array([])) { inner, _ in .array([inner]) }
        #expect(try Self.parse(deepest) == nested, "32 levels parse, and to 32 nested arrays")
        let tooDeep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(Self.refusal(Array(tooDeep.utf8)) == .jsonMalformed)
        let objects = String(repeating: #"{"a":"#, count: 33) + "1" + String(repeating: "}", count: 33)
        #expect(Self.refusal(Array(objects.utf8)) == .jsonMalformed)
    }

    @Test("Numbers are exact for every second up to year 9999 and overflow to infinity")
    func numbers() throws {
        #expect(try Self.parse("253402300799") == .number(253_402_300_799))
        #expect(try Self.parse("253402300800") != .number(253_402_300_799))
        #expect(try Self.parse("1e400") == .number(.infinity))
        #expect(try Self.parse("-0") == .number(0))
        #expect(try Self.parse("0.5E+1") == .number(5))
    }
}
