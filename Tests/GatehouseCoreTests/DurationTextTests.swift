import GatehouseCore
import Testing

@Suite("Duration text")
struct DurationTextTests {
    @Test(
        "Durations parse within their maximum",
        arguments: [
            ("60", Duration.seconds(60)), ("90s", .seconds(90)), ("2m", .seconds(120)), ("1h", .seconds(3600)),
            ("500ms", .milliseconds(500)), ("0", .zero),
        ])
    func valid(text: String, expected: Duration) {
        #expect(DurationText.parse(text, maximum: .seconds(3600)) == expected)
    }

    @Test(
        "Anything else, negative, over the maximum or overflowing, is refused",
        arguments: ["", "s", "soon", "-1s", "2h", "3601", "1.5s", "3000000000000000000m", "9999999999999999999ms"])
    func invalid(text: String) {
        #expect(DurationText.parse(text, maximum: .seconds(3600)) == nil)
    }

    @Test(
        "HTTP tokens",
        arguments: [
            ("GET", true), ("PROPFIND", true), ("x-api-version", true), ("", false), ("a b", false), (":path", false),
            ("a/b", false),
        ])
    func tokens(text: String, isToken: Bool) {
        #expect(ASCII.isToken(text) == isToken)
    }
}
