package import GatehouseCore

/// A policy's `authentication` section, validated; the identity layer enforces it.
package struct AuthenticationDocument: Sendable {
    /// The realm for `WWW-Authenticate`.
    package var realm: String?
    /// The accepted JWT issuers.
    package var jwt: [JWTIssuerDocument]
    /// Client-certificate trust.
    package var mtls: MutualTLSDocument?
}

/// One accepted JWT issuer.
package struct JWTIssuerDocument: Sendable {
    /// Where a key set comes from.
    package enum KeySource: Sendable, Hashable {
        /// A JWKS file, resolved against the policy file's directory.
        case file(String)
        /// A JWKS URL.
        case url(String)
        /// OpenID discovery from the issuer.
        case discovery
        /// A shared secret file, for HS algorithms only.
        case secretFile(String)
    }

    package var issuer: Located<String>
    package var audiences: [String]
    package var keys: KeySource
    /// Where `jwks` or `secretFile` is written (the issuer entry when neither is).
    package var keysLocation: SourceLocation
    package var algorithms: [String]
    package var leewaySeconds: Int
    package var requiredClaims: [String]
    package var maximumTokenBytes: Int
    package var sources: [TokenSourceDocument]
    package var forward: Bool

    /// The algorithms an issuer may name.
    package static let asymmetricAlgorithms = [
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
    ]
    /// Whether a key set may be fetched from `url`: TLS, or plain HTTP only on a loopback address
    /// (for tests and a local identity provider).
    package static func isAcceptableKeySetURL(_ url: String) -> Bool {
        let loopback = [
            "http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/", "http://[::1]:",
        ]
        return url.hasPrefix("https://") || loopback.contains { url.hasPrefix($0) }
    }

    /// Shared-secret algorithms, allowed only with `secretFile`.
    package static let sharedSecretAlgorithms = ["HS256", "HS384", "HS512"]
}

/// Where an issuer's tokens are read from.
package struct TokenSourceDocument: Sendable, Hashable {
    /// Header, cookie or query parameter.
    package var source: TokenSource
    /// For headers, the scheme before the token (`Bearer`), matched case-insensitively.
    package var scheme: String?
}

/// A policy's `mtls` section.
package struct MutualTLSDocument: Sendable {
    /// The PEM file of roots and intermediates, resolved against the policy file's directory.
    package var trustBundle: Located<String>?
    package var trustDomain: String?
    /// CRL files (PEM or DER), resolved like the trust bundle.
    package var crls: [Located<String>]
    package var trustEnvoyPrincipal: Bool
    package var invalidCertificateStatus: UInt16
    package var xroad: [XRoadMappingDocument]
    /// Where the `mtls` section starts.
    package var location: SourceLocation
}

/// How an X-Road client ID is derived from a client certificate.
package enum XRoadMappingDocument: Sendable, Hashable {
    /// From subject DN attributes: each part is a literal or `${ATTRIBUTE}` text.
    case subject(instance: String, memberClass: String, memberCode: String, subsystem: String?)
    /// From a URI SAN matching a pattern with `{instance}`, `{memberClass}`, `{memberCode}`, `{subsystem}`.
    case uriSAN(String)

    /// The subject attributes a `subject` mapping may name.
    package static let subjectAttributes = ["C", "O", "OU", "CN", "serialNumber", "L", "ST", "DC", "UID"]
}
