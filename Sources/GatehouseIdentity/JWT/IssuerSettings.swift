package import GatehouseCore

/// One configured issuer, ready to verify: the policy's ``JWTIssuerSettings`` plus its keys.
package struct IssuerSettings: Sendable {
    /// The exact `iss` value its tokens carry.
    package var issuer: String
    /// The token's `aud` must contain one of these; empty means `aud` is not checked.
    package var audiences: [String]
    /// The algorithms its tokens may use; anything else is rejected before a key is looked up.
    package var algorithms: Set<JWSAlgorithm>
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    package var leewaySeconds: Int
    /// Claims that must be present (`exp` by default); dotted names reach into objects.
    package var requiredClaims: [String]
    /// The longest token accepted, in bytes; longer ones are rejected before any decoding.
    package var maximumTokenBytes: Int
    /// Where its tokens are read from.
    package var sources: [TokenLocation]
    /// Whether its tokens are forwarded to the upstream rather than stripped.
    package var forward: Bool
    /// Its verification keys.
    package var keys: any KeySetProvider

    /// An issuer as the policy configures it.
    ///
    /// Algorithm names the policy compiler accepted are all known. As the compiler also
    /// enforces, a secret file keeps only shared-secret algorithms, a key set from a URL only
    /// public-key ones, and a JWKS file (which may hold `oct` secrets) whichever kind it lists.
    ///
    /// - Parameters:
    ///   - settings: The validated issuer entry of the policy's `authentication.jwt`.
    ///   - keys: The key set loaded from the entry's `jwks` or `secretFile`.
    package init(settings: JWTIssuerSettings, keys: any KeySetProvider) {
        let source = settings.keys
        self.init(
            issuer: settings.issuer.value,
            audiences: settings.audiences,
            algorithms: Set(
                settings.algorithms.compactMap(JWSAlgorithm.init(rawValue:)).filter { algorithm in
                    algorithm.isSharedSecret ? source.mayHoldSecrets : !source.isSecretFile
                }),
            leewaySeconds: settings.leewaySeconds,
            requiredClaims: settings.requiredClaims,
            maximumTokenBytes: settings.maximumTokenBytes,
            sources: settings.sources,
            forward: settings.forward,
            keys: keys)
    }

    /// An issuer from its parts, with the policy language's defaults.
    package init(
        issuer: String,
        audiences: [String] = [],
        algorithms: Set<JWSAlgorithm> = [.rs256],
        leewaySeconds: Int = 60,
        requiredClaims: [String] = ["exp"],
        maximumTokenBytes: Int = 8192,
        sources: [TokenLocation] = [.bearerAuthorization],
        forward: Bool = false,
        keys: any KeySetProvider
    ) {
        self.issuer = issuer
        self.audiences = audiences
        self.algorithms = algorithms
        self.leewaySeconds = leewaySeconds
        self.requiredClaims = requiredClaims
        self.maximumTokenBytes = maximumTokenBytes
        self.sources = sources
        self.forward = forward
        self.keys = keys
    }
}
