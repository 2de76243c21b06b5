/// The credentials in an `Authorization`-style header value (RFC 9110 §11.4): `auth-scheme`, in
/// any case, then blanks, then the credentials; blanks (SP, HTAB) around the value ignored.
///
/// The one reading of such a header in Gatehouse: the Envoy path's bearer tokens (GatehouseIdentity)
/// and the admin API's tokens (GatehouseAdmin) both use it, so a spelling one accepts the other does.
/// It works on the value's bytes, without Foundation.
///
/// It is lenient where leniency fails closed: whatever follows the scheme is the credential, even
/// when it is not a valid `token68` (`Bearer a b` gives `a b`), so that a malformed credential is
/// rejected by its verification rather than read as no credential at all.
package enum AuthorizationCredentials {
    /// The credentials after `scheme` in `value`; `""` when the value is the scheme alone; `nil`
    /// when it names another scheme (`Basic …` is not a bearer token). With no scheme, the whole
    /// value, trimmed.
    ///
    /// ```swift
    /// AuthorizationCredentials.credentials(in: "bearer  a.b.c ", scheme: "Bearer")  // "a.b.c"
    /// AuthorizationCredentials.credentials(in: "Basic dXNlcg==", scheme: "Bearer")  // nil
    /// ```
    package static func credentials(in value: Substring, scheme: String?) -> Substring? {
        let trimmed = Self.trimmed(value)
        guard let scheme else { return trimmed }
        guard let blank = trimmed.utf8.firstIndex(where: Self.isBlank) else {
            return Self.equalIgnoringCase(trimmed, scheme) ? trimmed[trimmed.endIndex...] : nil
        }
        guard Self.equalIgnoringCase(trimmed[..<blank], scheme) else { return nil }
        return Self.trimmed(trimmed[blank...])
    }

    /// `text` without the blanks (SP, HTAB: HTTP's optional whitespace) at either end.
    package static func trimmed(_ text: Substring) -> Substring {
        let bytes = text.utf8
        guard let first = bytes.firstIndex(where: { !Self.isBlank($0) }),
            let last = bytes.lastIndex(where: { !Self.isBlank($0) })
        else { return text[text.endIndex...] }
        return text[first..<bytes.index(after: last)]
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// Byte equality with ASCII letters compared case-insensitively (an auth-scheme is a token: ASCII).
    private static func equalIgnoringCase(_ text: Substring, _ other: String) -> Bool {
        guard text.utf8.count == other.utf8.count else { return false }
        return zip(text.utf8, other.utf8).allSatisfy { Self.lowercased($0) == Self.lowercased($1) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}
