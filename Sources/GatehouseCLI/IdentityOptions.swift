import ArgumentParser
import Foundation
import GatehouseCore

/// The verified-identity flags of `gatehouse check`.
struct IdentityOptions: ParsableArguments {
    @Option(help: "The verified token's issuer (iss).") var issuer: String?
    @Option(help: "The verified token's subject (sub).") var subject: String?
    @Option(name: .customLong("claim"), help: "A claim as path=value (repeatable; a repeated path makes an array).")
    var claims: [String] = []
    @Option(help: "The whole token payload as a JSON object.") var claimJSON: String?
    @Option(help: "The verified SPIFFE ID of the client certificate.") var spiffe: String?
    @Option(help: "The verified X-Road client, INSTANCE/CLASS/CODE[/SUBSYSTEM].") var xroad: String?
    @Option(help: "Simulate a token that failed verification, with this description.") var invalidToken: String?

    func makeIdentity() throws -> Identity {
        var identity = Identity()
        if let token = try self.makeToken() { identity.token = token }
        if self.spiffe != nil || self.xroad != nil {
            var peer = PeerIdentity(spiffeID: self.spiffe)
            if let text = self.xroad {
                guard let client = XRoadClientID(text) else {
                    throw ValidationError("--xroad '\(text)' must be INSTANCE/CLASS/CODE[/SUBSYSTEM].")
                }
                peer.xroadClient = client
            }
            identity.peer = peer
        }
        if let why = self.invalidToken {
            identity.credentialFailure = CredentialFailure(kind: .token, reason: .invalidToken, description: why)
        }
        return identity
    }

    private func makeToken() throws -> VerifiedToken? {
        var payload: [String: ClaimValue] = [:]
        if let json = self.claimJSON {
            guard case .object(let object)? = try? JSONDecoder().decode(ClaimValue.self, from: Data(json.utf8)) else {
                throw ValidationError("--claim-json must be a JSON object.")
            }
            payload = object
        }
        for claim in self.claims {
            guard let equals = claim.firstIndex(of: "="), let path = ClaimPath(String(claim[..<equals])) else {
                throw ValidationError("--claim '\(claim)' must be path=value, e.g. realm_access.roles=clerk.")
            }
            Self.insert(
                Self.typed(String(claim[claim.index(after: equals)...])), at: path.components[...], into: &payload)
        }
        if let issuer = self.issuer { payload["iss"] = .string(issuer) }
        if let subject = self.subject { payload["sub"] = .string(subject) }
        guard !payload.isEmpty else { return nil }
        guard case .string(let issuer)? = payload["iss"] else {
            throw ValidationError("A verified token needs an issuer: add --issuer (or 'iss' in --claim-json).")
        }
        var subject: String? = nil
        if case .string(let sub)? = payload["sub"] { subject = sub }
        return VerifiedToken(issuer: issuer, subject: subject, claims: .object(payload))
    }

    /// `true`/`false` and numbers are typed; everything else is a string.
    private static func typed(_ text: String) -> ClaimValue {
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        if let number = Double(text), text.first.map({ $0.isNumber || $0 == "-" }) == true { return .number(number) }
        return .string(text)
    }

    /// Sets the value at a nested path; a second value at the same path turns it into an array.
    private static func insert(
        _ value: ClaimValue, at path: ArraySlice<String>, into object: inout [String: ClaimValue]
    ) {
        guard let key = path.first else { return }
        if path.count == 1 {
            switch object[key] {
            case nil: object[key] = value
            case .array(let items)?: object[key] = .array(items + [value])
            case let existing?: object[key] = .array([existing, value])
            }
            return
        }
        var nested: [String: ClaimValue] = [:]
        if case .object(let existing)? = object[key] { nested = existing }
        self.insert(value, at: path.dropFirst(), into: &nested)
        object[key] = .object(nested)
    }
}

extension ClaimValue: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let items = try? container.decode([ClaimValue].self) {
            self = .array(items)
        } else {
            self = .object(try container.decode([String: ClaimValue].self))
        }
    }
}
