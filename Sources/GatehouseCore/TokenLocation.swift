/// One place a request may carry an issuer's token: a header (with an optional scheme), a cookie or a query parameter.
package struct TokenLocation: Hashable, Sendable {
    /// The header (lower-case name), cookie or query parameter.
    package var source: TokenSource
    /// For headers, the scheme before the token (`Bearer`), matched case-insensitively; `nil` for the bare value.
    package var scheme: String?

    /// A place to read tokens from.
    ///
    /// - Parameters:
    ///   - source: The header (lower-case name), cookie or query parameter.
    ///   - scheme: For headers, the scheme that must precede the token.
    package init(_ source: TokenSource, scheme: String? = nil) {
        self.source = source
        self.scheme = scheme
    }

    /// `Authorization: Bearer <token>`, the default.
    package static let bearerAuthorization = TokenLocation(.header("authorization"), scheme: "Bearer")
}
