import GatehouseCore

/// Any JSON value, for the parts of an AuthZEN request whose shape the specification leaves open
/// (`properties`, `context`) and for the `context` Gatehouse answers with; read and written by
/// ``AuthZENJSON``.
package enum AuthZENValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([AuthZENValue])
    case object([String: AuthZENValue])

    /// The text of a string value; `nil` for any other kind.
    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}

extension AuthZENValue {
    /// The same JSON value in the form policies compare (claims, AuthZEN properties).
    var claimValue: ClaimValue {
        switch self {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .number(let number): return .number(number)
        case .string(let text): return .string(text)
        case .array(let items): return .array(items.map(\.claimValue))
        case .object(let members): return .object(members.mapValues(\.claimValue))
        }
    }
}
