/// Durations written in policies and configuration: `500ms`, `90s`, `5m`, `1h`, or plain seconds.
package enum DurationText {
    /// The duration `text` names, or `nil` when it is not one or exceeds `maximum`.
    package static func parse(_ text: String, maximum: Duration) -> Duration? {
        if text.hasSuffix("ms") {
            guard let millis = Int64(text.dropLast(2)), millis >= 0, Double(millis) <= maximum / .milliseconds(1) else {
                return nil
            }
            return .milliseconds(millis)
        }
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600]
        var digits = Substring(text)
        var unit: Int64 = 1
        if let last = digits.last, let factor = units[last] {
            unit = factor
            digits = digits.dropLast()
        }
        // Compare before multiplying, so a huge number cannot overflow.
        guard let value = Int64(digits), value >= 0, value <= maximum.components.seconds / unit else { return nil }
        return .seconds(value * unit)
    }
}
