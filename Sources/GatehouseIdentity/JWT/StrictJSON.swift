package import GatehouseCore

/// JSON as JOSE needs it: Core's strict reader (``JSONReader``) with duplicate member names refused.
///
/// JOSE (RFC 7515 §4, RFC 7519 §4) says duplicate member names must be rejected or the last one
/// used; two parsers taking different members is a known token-confusion attack, so we reject, at
/// any depth and also when the names differ only in their escapes. Nesting is limited to
/// ``maximumDepth``; tokens and key sets need far less. Numbers become `Double`, which is exact for
/// every integer second up to year 9999 and beyond; one too large reads as infinity (the claim
/// checks compare it like any other number).
package enum StrictJSON {
    /// Objects and arrays may nest this deep.
    package static let maximumDepth = 32

    private static let options = JSONReader.Options(
        maximumDepth: maximumDepth, duplicateMembers: .reject, overflowsToInfinity: true)

    /// Parses one JSON text.
    ///
    /// - Throws: ``IdentityError`` with ``IdentityError/Code/jsonDuplicateMember`` for a duplicate member,
    ///   ``IdentityError/Code/jsonMalformed`` for anything else RFC 8259 forbids or nesting too deep; the
    ///   message is the reader's (the byte offset and what was expected, quoting at most one byte or
    ///   a member name made printable).
    package static func parse(_ bytes: [UInt8]) throws(IdentityError) -> ClaimValue {
        do throws(JSONSyntaxError) {
            return try JSONReader.value(from: bytes, options: Self.options)
        } catch {
            let code: IdentityError.Code = error.kind == .duplicateMember ? .jsonDuplicateMember : .jsonMalformed
            throw IdentityError(code: code, message: error.message)
        }
    }
}
