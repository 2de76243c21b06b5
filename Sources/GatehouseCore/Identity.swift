/// What the identity layer verified about the caller; policies see nothing else.
///
/// Until the identity layer lands, tests and `gatehouse check` fill it directly.
package struct Identity: Sendable {
    /// The verified bearer token, if one was presented and verified.
    package var token: VerifiedToken?
    /// The verified client certificate identity, if any.
    package var peer: PeerIdentity?
    /// Why a presented credential was rejected; such a request is denied with 401 before any rule runs.
    package var credentialFailure: CredentialFailure?

    package init(token: VerifiedToken? = nil, peer: PeerIdentity? = nil, credentialFailure: CredentialFailure? = nil) {
        self.token = token
        self.peer = peer
        self.credentialFailure = credentialFailure
    }

    /// No credential at all.
    package static let anonymous = Identity()

    /// Whether any credential was verified.
    package var isAuthenticated: Bool { self.token != nil || self.peer != nil }

    /// When the first verified credential stops being valid: the token's `exp` or the
    /// certificate's `notAfter`, whichever is earlier; `nil` when neither says.
    package var validUntil: UnixTime? {
        switch (self.token?.expiresAt, self.peer?.notAfter) {
        case (let expiry?, let notAfter?): return min(expiry, notAfter)
        case (let expiry?, nil): return expiry
        case (nil, let notAfter?): return notAfter
        case (nil, nil): return nil
        }
    }

    /// The subject for logs and headers: the token's `sub`, else the SPIFFE ID, else the X-Road client.
    package var subject: String? {
        self.token?.subject ?? self.peer?.spiffeID ?? self.peer?.xroadClient?.description
    }
}

/// A bearer token whose signature and time claims were verified.
package struct VerifiedToken: Sendable {
    /// `iss`.
    package var issuer: String
    /// `sub`, if present.
    package var subject: String?
    /// The whole payload, an ``ClaimValue/object(_:)``.
    package var claims: ClaimValue
    /// `exp`, if present.
    package var expiresAt: UnixTime?
    /// Where the token was found, so that it can be stripped before the upstream.
    package var source: TokenSource

    package init(
        issuer: String,
        subject: String? = nil,
        claims: ClaimValue = .object([:]),
        expiresAt: UnixTime? = nil,
        source: TokenSource = .header("authorization")
    ) {
        self.issuer = issuer
        self.subject = subject
        self.claims = claims
        self.expiresAt = expiresAt
        self.source = source
    }
}

/// Where a bearer token is read from.
package enum TokenSource: Hashable, Sendable {
    /// A request header (lower-case name); `authorization` with the `Bearer` scheme by default.
    case header(String)
    /// A cookie.
    case cookie(String)
    /// A query parameter.
    case query(String)
}

/// A client certificate that chained to the policy's trust bundle, and what it names.
package struct PeerIdentity: Sendable, Hashable {
    /// The certificate's `spiffe://` URI SAN.
    package var spiffeID: String?
    /// The X-Road client the mapping rules derived from the certificate.
    package var xroadClient: XRoadClientID?
    /// The certificate's subject, RFC 4514 text.
    package var subject: String?
    /// The certificate's serial number, hex.
    package var serialNumber: String?
    /// The certificate's `notAfter`.
    package var notAfter: UnixTime?

    package init(
        spiffeID: String? = nil,
        xroadClient: XRoadClientID? = nil,
        subject: String? = nil,
        serialNumber: String? = nil,
        notAfter: UnixTime? = nil
    ) {
        self.spiffeID = spiffeID
        self.xroadClient = xroadClient
        self.subject = subject
        self.serialNumber = serialNumber
        self.notAfter = notAfter
    }
}

/// A credential that was presented but failed verification.
///
/// The decision's reason is the class (`invalid_token`, `invalid_client_certificate`); the
/// ``detail`` is the finer stable code (`token_expired`, `certificate_revoked`, …) that goes
/// into dynamic metadata and decision records. Neither ever contains the credential itself.
package struct CredentialFailure: Sendable, Hashable {
    /// Which credential failed.
    package enum Kind: Sendable, Hashable {
        case token
        case clientCertificate
    }

    /// Which credential failed.
    package var kind: Kind
    /// The stable class of the failure: `invalid_token` or `invalid_client_certificate`.
    package var reason: DecisionReason
    /// The stable fine-grained code, e.g. `token_expired`; `nil` when only the class is known.
    package var detail: DecisionReason?
    /// A human-readable description that never contains the credential itself.
    package var description: String

    package init(kind: Kind, reason: DecisionReason, detail: DecisionReason? = nil, description: String) {
        self.kind = kind
        self.reason = reason
        self.detail = detail
        self.description = description
    }

    /// A rejected bearer token with its fine-grained code.
    package static func token(_ detail: DecisionReason, _ description: String) -> CredentialFailure {
        CredentialFailure(kind: .token, reason: .invalidToken, detail: detail, description: description)
    }

    /// A rejected client certificate with its fine-grained code.
    package static func clientCertificate(_ detail: DecisionReason, _ description: String) -> CredentialFailure {
        CredentialFailure(
            kind: .clientCertificate, reason: .invalidClientCertificate, detail: detail, description: description)
    }
}
