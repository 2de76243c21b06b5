import GatehouseIdentity
import Testing

@Suite("Base64URL")
struct Base64URLTests {
    @Test(
        "Canonical unpadded base64url decodes",
        arguments: [
            ("", [UInt8]()), ("AA", [0]), ("AAE", [0, 1]), ("AAEC", [0, 1, 2]), ("-_8", [0xFB, 0xFF]),
            ("aGVsbG8", Array("hello".utf8)),
        ])
    func decodes(text: String, bytes: [UInt8]) {
        #expect(Base64URL.decode(text.utf8) == bytes)
        #expect(Base64URL.encode(bytes) == text)
    }

    @Test(
        "Anything but canonical unpadded base64url is rejected",
        arguments: [
            "aGVsbG8=",  // padding
            "aGVsbA==",  // padding
            "+/8",  // the standard alphabet
            "aGVs bG8",  // whitespace
            "aGVs\nbG8",  // a line break
            "A",  // a dangling character
            "AB",  // 'B' leaves a set bit below the one decoded byte
            "AAF",  // 'F' leaves a set bit below the two decoded bytes
            "aGVsbG8.",  // a stray dot
            "é",  // non-ASCII
        ])
    func rejects(text: String) {
        #expect(Base64URL.decode(text.utf8) == nil)
    }

    @Test("Every byte string survives a round trip")
    func roundTrip() {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ length) }
            #expect(Base64URL.decode(Base64URL.encode(bytes).utf8) == bytes)
        }
    }
}
