import GatehouseCore

/// The registered-claim checks made after the signature verified: time, audience, required claims.
struct ClaimChecks {
    /// The largest NumericDate accepted: 9999-12-31T23:59:59Z.
    static let latestTime: Double = 253_402_300_799

    /// What the checks extracted.
    struct Verified {
        var subject: String?
        var expiresAt: UnixTime?
    }

    let payload: [String: ClaimValue]
    let issuer: IssuerSettings
    let now: UnixTime

    /// Runs every check in order.
    func verified() throws(TokenRejection) -> Verified {
        let now = Double(self.now.seconds) + Double(self.now.nanoseconds) / 1_000_000_000
        let leeway = Double(self.issuer.leewaySeconds)
        let expires = try self.time("exp")
        if let expires, expires <= now - leeway {
            throw TokenRejection(.tokenExpired, "The token has expired.")
        }
        if let notBefore = try self.time("nbf"), notBefore > now + leeway {
            throw TokenRejection(.tokenNotYetValid, "The token is not valid yet ('nbf' is in the future).")
        }
        if let issuedAt = try self.time("iat"), issuedAt > now + leeway {
            throw TokenRejection(.tokenIssuedInFuture, "The token claims to be issued in the future ('iat').")
        }
        try self.checkAudience()
        for name in self.issuer.requiredClaims {
            let path = name.split(separator: ".").map(String.init)
            guard ClaimValue.object(self.payload).value(at: path) != nil else {
                throw TokenRejection(.tokenClaimMissing, "The token lacks the required claim '\(name)'.")
            }
        }
        var subject: String? = nil
        switch self.payload["sub"] {
        case nil: break
        case .string(let text)?: subject = text
        default: throw TokenRejection(.tokenClaimInvalid, "The token's 'sub' claim is not a string.")
        }
        return Verified(subject: subject, expiresAt: expires.map { UnixTime(seconds: Int64($0.rounded(.down))) })
    }

    /// A NumericDate claim: a JSON number no later than year 9999.
    private func time(_ name: String) throws(TokenRejection) -> Double? {
        switch self.payload[name] {
        case nil: return nil
        case .number(let value)?:
            guard value.isFinite, value <= Self.latestTime, value >= -Self.latestTime else {
                throw TokenRejection(.tokenClaimInvalid, "The token's '\(name)' claim is beyond year 9999.")
            }
            return value
        default:
            throw TokenRejection(.tokenClaimInvalid, "The token's '\(name)' claim is not a number of seconds.")
        }
    }

    private func checkAudience() throws(TokenRejection) {
        guard !self.issuer.audiences.isEmpty else { return }
        let audiences: [String]
        switch self.payload["aud"] {
        case nil:
            throw TokenRejection(.tokenAudienceMismatch, "The token has no 'aud' claim; this issuer requires one.")
        case .string(let text)?: audiences = [text]
        case .array(let items)?:
            audiences = try items.map { item throws(TokenRejection) in
                guard case .string(let text) = item else {
                    throw TokenRejection(.tokenClaimInvalid, "The token's 'aud' array holds a non-string.")
                }
                return text
            }
        default: throw TokenRejection(.tokenClaimInvalid, "The token's 'aud' claim is not a string or an array.")
        }
        guard audiences.contains(where: { audience in self.issuer.audiences.contains { ASCII.equal($0, audience) } })
        else {
            throw TokenRejection(
                .tokenAudienceMismatch, "The token is not meant for this service ('aud' does not match).")
        }
    }
}
