/// A policy's `authentication` section, validated: which JWT issuers and which client-certificate
/// trust it accepts.
///
/// The policy compiler produces these values and the identity layer turns them into verifiers;
/// they are plain values in Core so that neither needs the other. Every path is already
/// resolved against the policy file's directory, and every value the identity layer may still
/// find wrong (a file that does not parse) keeps its source location for the diagnostic.
package struct AuthenticationSettings: Sendable, Hashable {
    /// The realm for `WWW-Authenticate`; the policy's name when absent.
    package var realm: String?
    /// The accepted JWT issuers.
    package var jwt: [JWTIssuerSettings]
    /// Client-certificate trust.
    package var mtls: MutualTLSSettings?

    package init(realm: String? = nil, jwt: [JWTIssuerSettings] = [], mtls: MutualTLSSettings? = nil) {
        self.realm = realm
        self.jwt = jwt
        self.mtls = mtls
    }
}

/// One accepted JWT issuer, with the policy language's defaults.
package struct JWTIssuerSettings: Sendable, Hashable {
    /// Where a key set comes from.
    package enum KeySource: Sendable, Hashable {
        /// A JWKS file (resolved path).
        case file(String)
        /// A JWKS URL.
        case url(String)
        /// OpenID discovery from the issuer.
        case discovery
        /// A shared secret file (resolved path), for HS algorithms only, and the `kid` that
        /// names it, if any: a token naming a `kid` is then verified only when it names this one.
        case secretFile(String, keyID: String? = nil)

        /// Whether the keys are a shared secret.
        package var isSecretFile: Bool {
            if case .secretFile = self { return true }
            return false
        }

        /// Whether the keys may hold shared secrets: a secret file, or a JWKS file (whose `oct`
        /// keys are secrets). Never a key set fetched from a URL, which anyone may read.
        package var mayHoldSecrets: Bool {
            switch self {
            case .secretFile, .file: return true
            case .url, .discovery: return false
            }
        }
    }

    /// The exact `iss` value, where it is written.
    package var issuer: Located<String>
    /// The token's `aud` must contain one of these; empty means `aud` is not checked.
    package var audiences: [String]
    /// Where the verification keys come from.
    package var keys: KeySource
    /// Where `jwks` or `secretFile` is written (the issuer entry when neither is).
    package var keysLocation: SourceLocation
    /// Algorithm names: ``asymmetricAlgorithms``, or ``sharedSecretAlgorithms`` with a secret
    /// file or a JWKS file, never both kinds in one issuer.
    package var algorithms: [String]
    /// Clock skew tolerated on `exp`, `nbf` and `iat`.
    package var leewaySeconds: Int
    /// Claims that must be present; dotted names reach into objects.
    package var requiredClaims: [String]
    /// The longest token accepted, in bytes.
    package var maximumTokenBytes: Int
    /// Where its tokens are read from.
    package var sources: [TokenLocation]
    /// Whether its tokens are forwarded to the upstream rather than stripped.
    package var forward: Bool

    package init(
        issuer: Located<String>,
        audiences: [String] = [],
        keys: KeySource = .discovery,
        keysLocation: SourceLocation,
        algorithms: [String] = ["RS256"],
        leewaySeconds: Int = 60,
        requiredClaims: [String] = ["exp"],
        maximumTokenBytes: Int = 8192,
        sources: [TokenLocation] = [.bearerAuthorization],
        forward: Bool = false
    ) {
        self.issuer = issuer
        self.audiences = audiences
        self.keys = keys
        self.keysLocation = keysLocation
        self.algorithms = algorithms
        self.leewaySeconds = leewaySeconds
        self.requiredClaims = requiredClaims
        self.maximumTokenBytes = maximumTokenBytes
        self.sources = sources
        self.forward = forward
    }

    /// The public-key algorithms an issuer may name.
    package static let asymmetricAlgorithms = [
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
    ]

    /// Shared-secret algorithms, allowed only with a secret file or a JWKS file (``KeySource/mayHoldSecrets``).
    package static let sharedSecretAlgorithms = ["HS256", "HS384", "HS512"]

    /// Whether a key set may be fetched from `url`: TLS, or plain HTTP only on a loopback address
    /// (for tests and a local identity provider).
    package static func isAcceptableKeySetURL(_ url: String) -> Bool {
        let loopback = [
            "http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/", "http://[::1]:",
        ]
        return url.hasPrefix("https://") || loopback.contains { url.hasPrefix($0) }
    }
}

/// A policy's client-certificate trust (`authentication.mtls`).
package struct MutualTLSSettings: Sendable, Hashable {
    /// The PEM or DER file of roots and intermediates (resolved path), where it is named.
    package var trustBundle: Located<String>?
    /// The SPIFFE trust domain IDs must be in; `nil` accepts any.
    package var trustDomain: String?
    /// CRL files, PEM or DER (resolved paths), where each is named.
    package var crls: [Located<String>]
    /// Whether Envoy's `source.principal` may stand in for a certificate, on a listener trusted
    /// for forwarded identities (``CallerFacts/trustsForwardedIdentity``).
    package var trustEnvoyPrincipal: Bool
    /// Whether the verified listener peer (``CallerFacts/listenerPeer``, the mTLS client of the
    /// check) is the request's source identity when Envoy forwards neither a certificate nor a
    /// principal; its chain is verified against this section's trust like a forwarded certificate.
    package var listenerPeer: Bool
    /// The status for an invalid client certificate: 401 or 403.
    package var invalidCertificateStatus: UInt16
    /// How X-Road client IDs are derived, first match wins.
    package var xroad: [XRoadMapping]
    /// Where the `mtls` section starts.
    package var location: SourceLocation

    package init(
        trustBundle: Located<String>? = nil,
        trustDomain: String? = nil,
        crls: [Located<String>] = [],
        trustEnvoyPrincipal: Bool = false,
        listenerPeer: Bool = false,
        invalidCertificateStatus: UInt16 = 401,
        xroad: [XRoadMapping] = [],
        location: SourceLocation
    ) {
        self.trustBundle = trustBundle
        self.trustDomain = trustDomain
        self.crls = crls
        self.trustEnvoyPrincipal = trustEnvoyPrincipal
        self.listenerPeer = listenerPeer
        self.invalidCertificateStatus = invalidCertificateStatus
        self.xroad = xroad
        self.location = location
    }
}

/// How an X-Road client ID is derived from a client certificate.
package enum XRoadMapping: Sendable, Hashable {
    /// From subject DN attributes: each part is literal text with `${ATTRIBUTE}` placeholders.
    case subject(instance: String, memberClass: String, memberCode: String, subsystem: String?)
    /// From a URI SAN matching a pattern with `{instance}`, `{memberClass}`, `{memberCode}`, `{subsystem}`.
    case uriSAN(String)

    /// The subject attributes a `subject` mapping may name.
    package static let subjectAttributes = ["C", "O", "OU", "CN", "serialNumber", "L", "ST", "DC", "UID"]
}
