package import GatehouseCore

/// Any JSON value, for the parts of an AuthZEN request whose shape the specification leaves open
/// (`properties`, `context`) and for the `context` Gatehouse answers with; read and written by
/// ``AuthZENJSON``. It is Core's ``ClaimValue``, the form policies compare claims and properties
/// in, so what a caller sends reaches the policy without a conversion.
package typealias AuthZENValue = ClaimValue

extension AuthZENValue {
    /// The text of a string value; `nil` for any other kind.
    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}
