/// Unique decision identifiers: 128 random bits as 32 lower-case hex digits.
///
/// Envoy's access log prints them from the dynamic metadata and the decision log keys
/// records on them, so an auditor can follow one request from Envoy to the decision.
package enum DecisionID {
    /// A new identifier.
    package static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return Self.hex(generator.next() as UInt64) + Self.hex(generator.next() as UInt64)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
