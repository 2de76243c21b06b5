package import GatehouseCore

/// Verifies the bearer token of a request against a policy's issuers.
///
/// The token is parsed here, not by a JOSE library: a strict base64url decoder and a strict
/// JSON parser (duplicate members, lone surrogates and the rest are rejected), so that what the
/// signature covers is exactly what the policy sees. The issue names jwt-kit for the
/// cryptography, but jwt-kit 5 keeps its signers internal and verifies only whole tokens through
/// its own lenient Codable parsing; the signatures are therefore checked with the same
/// swift-crypto primitives jwt-kit uses (`_RSA.Signing` PKCS#1 v1.5 and PSS, P-256/P-384 ECDSA
/// over raw `r||s`, Ed25519, constant-time HMAC), see ``VerificationKey/isValidSignature(_:for:algorithm:)``.
///
/// The steps, each with its own `token_*` reason: find the token → size → three segments →
/// header → `alg` (never `none`) → `crit` (none supported) → payload → the unverified `iss`
/// picks the issuer → `alg` in its allow-list → key by `kid` from that issuer's set only
/// (`jku`, `x5u`, `jwk`, `x5c` are never key sources) → signature → `exp`/`nbf`/`iat` with
/// leeway → `aud` → required claims. "Now" is the request's time; the verifier reads no clock.
///
/// ```swift
/// let verifier = TokenVerifier(issuers: [IssuerSettings(settings: issuer, keys: StaticKeySet(keys))])
/// switch await verifier.verify(request) {
/// case .absent: identity = .anonymous
/// case .verified(let token): identity = Identity(token: token)
/// case .rejected(let failure): identity = Identity(credentialFailure: failure)
/// }
/// ```
package struct TokenVerifier: Sendable {
    /// The configured issuers, in policy order.
    package let issuers: [IssuerSettings]
    /// Every place any issuer reads tokens from, in order, without repeats.
    private let locations: [TokenLocation]
    /// The largest issuer limit: the only one known before the token names its issuer.
    private let largestTokenBytes: Int

    /// A verifier for one policy's issuers.
    package init(issuers: [IssuerSettings]) {
        self.issuers = issuers
        var locations: [TokenLocation] = []
        for location in issuers.flatMap(\.sources) where !locations.contains(location) {
            locations.append(location)
        }
        self.locations = locations
        self.largestTokenBytes = issuers.map(\.maximumTokenBytes).max() ?? 0
    }

    /// Adds every value at every place this verifier looks for tokens: more than the token it
    /// would pick, never less, so the decision cache's key covers all that verification reads.
    package func addTokenTexts(of request: AuthzRequest, to key: inout some CacheKeyBuilder) {
        for location in self.locations {
            switch location.source {
            case .header(let name): key.add(request.headers[name])
            case .cookie: key.add(request.headers["cookie"])
            case .query(let name):
                for pair in request.query.pairs where ASCII.equal(pair.name, name) { key.add(pair.value) }
                key.add(UInt64.max)
            }
        }
    }

    /// Finds and verifies the request's bearer token.
    ///
    /// Never throws: every problem is a ``TokenVerification/rejected(_:)`` whose description
    /// holds no part of the token. Suspends only when the token names a key id the issuer's
    /// set lacks, to let the key source re-fetch (``KeySetProvider/keysAfterUnknownKeyID(_:)``).
    ///
    /// - Returns: ``TokenVerification/absent`` when no configured source holds a token.
    package func verify(_ request: AuthzRequest) async -> TokenVerification {
        switch self.attempt(request) {
        case .decided(let outcome):
            return outcome
        case .needsKeyFetch(let token):
            do throws(TokenRejection) {
                let key = try await KeySelector.key(for: token.header, algorithm: token.algorithm, issuer: token.issuer)
                return .verified(try Self.check(token, with: key, at: request.time))
            } catch {
                return .rejected(error.failure)
            }
        }
    }

    /// What ``verify(_:)`` returns, when it needs no waiting: `nil` when the token names a key
    /// id the issuer's current set lacks (only ``verify(_:)`` may re-fetch the set).
    package func verifyWithoutWaiting(_ request: AuthzRequest) -> TokenVerification? {
        guard case .decided(let outcome) = self.attempt(request) else { return nil }
        return outcome
    }

    /// How far verification gets without waiting.
    private enum Attempt {
        /// Decided: absent, verified or rejected.
        case decided(TokenVerification)
        /// Parsed, but its `kid` is not in the issuer's current set: only a re-fetch can tell.
        case needsKeyFetch(ParsedToken)
    }

    /// Every step ``verify(_:)`` takes, up to where a key set would have to be re-fetched.
    private func attempt(_ request: AuthzRequest) -> Attempt {
        let found: Substring
        let sources: [TokenSource]
        switch TokenExtractor.find(in: request, locations: self.locations) {
        case .none: return .decided(.absent)
        case .empty:
            return .decided(.rejected(.token(.tokenMalformed, "The Authorization scheme is given without a token.")))
        case .ambiguous:
            return .decided(
                .rejected(.token(.tokenAmbiguous, "The request carries two different tokens; send exactly one.")))
        case .token(let token, let places):
            (found, sources) = (token, places)
        }
        do throws(TokenRejection) {
            let token = try self.parse(found, from: sources)
            guard
                let key = try KeySelector.keyWithoutWaiting(
                    for: token.header, algorithm: token.algorithm, issuer: token.issuer)
            else { return .needsKeyFetch(token) }
            return .decided(.verified(try Self.check(token, with: key, at: request.time)))
        } catch {
            return .decided(.rejected(error.failure))
        }
    }

    /// A token taken apart and matched to its issuer, before its key is chosen.
    private struct ParsedToken {
        var jws: CompactJWS
        var header: [String: ClaimValue]
        var algorithm: JWSAlgorithm
        var payload: [String: ClaimValue]
        var issuer: IssuerSettings
        var source: TokenSource
    }

    /// Every step before the key: size, segments, header, `alg`, `crit`, payload, issuer, source.
    private func parse(_ token: Substring, from sources: [TokenSource]) throws(TokenRejection) -> ParsedToken {
        try Self.checkSize(token, limit: self.largestTokenBytes)
        let jws = try CompactJWS(token)
        let header = try jws.header()
        let algorithm = try Self.algorithm(in: header)
        guard header["crit"] == nil else {
            throw TokenRejection(
                .tokenCritUnsupported, "The token's header lists critical extensions ('crit'); none are supported.")
        }
        let payload = try jws.payload()
        let issuer = try self.issuer(of: payload)
        try Self.checkSize(token, limit: issuer.maximumTokenBytes)
        guard let source = sources.first(where: { source in issuer.sources.contains { $0.source == source } }) else {
            throw TokenRejection(
                .tokenSourceNotAllowed, "The token was sent where issuer '\(issuer.issuer)' does not accept tokens.")
        }
        guard issuer.algorithms.contains(algorithm) else {
            let allowed = issuer.algorithms.map(\.rawValue).sorted().joined(separator: ", ")
            throw TokenRejection(
                .tokenAlgNotAllowed,
                "The token's algorithm is not allowed for issuer '\(issuer.issuer)'; allowed: \(allowed).")
        }
        return ParsedToken(
            jws: jws, header: header, algorithm: algorithm, payload: payload, issuer: issuer, source: source)
    }

    /// Every step after the key: signature, then the claims at `now`.
    private static func check(
        _ token: ParsedToken, with key: VerificationKey, at now: UnixTime
    ) throws(TokenRejection) -> VerifiedToken {
        let signature = try token.jws.signature()
        guard signature.count == key.signatureLength(for: token.algorithm) else {
            throw TokenRejection(
                .tokenSignatureMalformed, "The token's signature has the wrong length or form for its algorithm.")
        }
        guard key.isValidSignature(signature, for: token.jws.signingInput, algorithm: token.algorithm) else {
            throw TokenRejection(.tokenSignatureInvalid, "The token's signature does not verify.")
        }
        let claims = try ClaimChecks(payload: token.payload, issuer: token.issuer, now: now).verified()
        return VerifiedToken(
            issuer: token.issuer.issuer, subject: claims.subject, claims: .object(token.payload),
            expiresAt: claims.expiresAt, source: token.source)
    }

    private static func checkSize(_ token: Substring, limit: Int) throws(TokenRejection) {
        guard token.utf8.count <= limit else {
            throw TokenRejection(.tokenTooLarge, "The token is longer than the \(limit) bytes accepted.")
        }
    }

    /// The header's `alg`, refusing `none` in every spelling before anything else is looked at.
    private static func algorithm(in header: [String: ClaimValue]) throws(TokenRejection) -> JWSAlgorithm {
        guard case .string(let name)? = header["alg"] else {
            throw TokenRejection(.tokenMalformed, "The token's header has no 'alg' string.")
        }
        guard ASCII.lowercased(name) != "none" else {
            throw TokenRejection(
                .tokenAlgNone, "The token is unsigned ('alg' none); unsigned tokens are never accepted.")
        }
        guard let algorithm = JWSAlgorithm(rawValue: name) else {
            throw TokenRejection(.tokenAlgNotAllowed, "The token's algorithm is not one Gatehouse verifies.")
        }
        return algorithm
    }

    /// The issuer named by the still unverified `iss`; only its keys may then verify the token.
    private func issuer(of payload: [String: ClaimValue]) throws(TokenRejection) -> IssuerSettings {
        switch payload["iss"] {
        case nil:
            throw TokenRejection(.tokenIssuerUnknown, "The token has no 'iss' claim, so no issuer can verify it.")
        case .string(let name)?:
            guard let issuer = self.issuers.first(where: { ASCII.equal($0.issuer, name) }) else {
                throw TokenRejection(.tokenIssuerUnknown, "The token's issuer is not accepted by this policy.")
            }
            return issuer
        default:
            throw TokenRejection(.tokenClaimInvalid, "The token's 'iss' claim is not a string.")
        }
    }
}
