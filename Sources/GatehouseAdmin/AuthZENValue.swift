import GatehouseCore

/// Any JSON value, for the parts of an AuthZEN request whose shape the specification leaves open
/// (`properties`, `context`) and for the `context` Gatehouse answers with.
package enum AuthZENValue: Codable, Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([AuthZENValue])
    case object([String: AuthZENValue])

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([AuthZENValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: AuthZENValue].self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let bool): try container.encode(bool)
        case .number(let number):
            // Whole numbers (HTTP statuses) print without a fraction.
            if number == number.rounded(), abs(number) < 1e15 {
                try container.encode(Int64(number))
            } else {
                try container.encode(number)
            }
        case .string(let string): try container.encode(string)
        case .array(let array): try container.encode(array)
        case .object(let object): try container.encode(object)
        }
    }

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
