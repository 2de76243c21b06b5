/// A JSON value from a verified token's payload.
package enum ClaimValue: Sendable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([ClaimValue])
    case object([String: ClaimValue])
    case null

    /// The value at a dotted path such as `realm_access.roles`, already split into its parts.
    package func value(at path: [String]) -> ClaimValue? { self.value(at: path[...]) }

    /// The value at a path given as part of a longer one, without copying it.
    package func value(at path: ArraySlice<String>) -> ClaimValue? {
        var current = self
        for key in path {
            guard case .object(let members) = current, let next = members[key] else { return nil }
            current = next
        }
        return current
    }

    /// Whether two values are equal; strings byte for byte, numbers numerically.
    package func isEqual(to other: ClaimValue) -> Bool {
        switch (self, other) {
        case (.string(let lhs), .string(let rhs)): return ASCII.equal(lhs, rhs)
        case (.number(let lhs), .number(let rhs)): return lhs == rhs
        case (.bool(let lhs), .bool(let rhs)): return lhs == rhs
        case (.null, .null): return true
        case (.array(let lhs), .array(let rhs)):
            return lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.isEqual(to: $1) }
        case (.object(let lhs), .object(let rhs)):
            return lhs.count == rhs.count && lhs.allSatisfy { key, value in rhs[key].map(value.isEqual(to:)) ?? false }
        default: return false
        }
    }

    /// The value as header text: strings as-is, whole numbers without a fraction, arrays comma-joined;
    /// `nil` for objects and null.
    package var headerText: String? {
        switch self {
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number):
            if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
            return String(number)
        case .array(let items):
            let texts = items.compactMap(\.headerText)
            return texts.count == items.count ? texts.joined(separator: ",") : nil
        case .object, .null: return nil
        }
    }
}
