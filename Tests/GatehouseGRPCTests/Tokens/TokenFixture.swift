import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehousePolicy
import GatehouseTestSupport

/// The catalogue's keys, key files, policy and authenticator: made once per test process.
struct TokenFixture: Sendable {
    /// The one instance every catalogue case uses; RSA key generation is too slow to repeat per case.
    static let shared: TokenFixture = {
        // A failure here means the machine cannot generate keys or write a temporary directory;
        // no test can run then, so stopping is the honest outcome.
        do {
            return try withTemporaryDirectory("tokens") { try TokenFixture(directory: $0.path) }
        } catch {
            fatalError("Cannot build the token fixture: \(error)")
        }
    }()

    let keys: TokenKeys
    let policy: String
    let authenticator: PolicyAuthenticators

    /// Writes the key files into `directory` and loads the authenticator from them; the
    /// authenticator holds the keys, so the directory is not needed afterwards.
    private init(directory: String) throws {
        let keys = try TokenKeys()
        let mainKeys = [
            try keys.rsa.jwk(kid: "rsa-1"), try keys.p256.jwk(kid: "ec-256"), try keys.p256Second.jwk(kid: "ec-256-b"),
            try keys.p384.jwk(kid: "ec-384"), try keys.ed25519.jwk(kid: "ed-1"),
        ]
        try Self.write(directory + "/idp.jwks", Array("{\"keys\":[\(mainKeys.joined(separator: ","))]}".utf8))
        try Self.write(directory + "/other.jwks", Array("{\"keys\":[\(try keys.otherRSA.jwk(kid: "other-1"))]}".utf8))
        guard case .secret(let secret) = keys.secret else { throw SigningKeyMismatch() }
        try Self.write(directory + "/hs.secret", secret)
        try Self.write(directory + "/octs.jwks", Array(TokenKeys.octJWKS.utf8))
        let result = PolicyCompiler.compile(
            sources: [PolicySource(path: directory + "/tokens.yaml", text: Self.policyText)], checksFiles: true)
        guard let compiled = result.compiled else {
            throw FixtureError(description: "\(result.diagnostics)")
        }
        self.keys = keys
        self.policy = Self.policyText
        self.authenticator = try ServerAuthenticators.load(compiled)
    }

    private static func write(_ path: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Seven issuers: the main one (every asymmetric algorithm, header or cookie), a shared-secret one,
    /// the same secret named by a `kid`, shared secrets as `oct` keys of a JWKS file, a partner
    /// (ES256 only, query parameter or a named header), and another with its own key.
    static let policyText = """
        kind: Policy
        name: tokens
        select: { hosts: [api.gov.example] }
        authentication:
          realm: gatehouse
          jwt:
            - issuer: https://idp.example
              audiences: [gatehouse]
              jwks: { file: idp.jwks }
              algorithms: [RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA]
              from: [{ header: authorization, scheme: Bearer }, { cookie: session }]
            - issuer: https://hs.example
              audiences: [gatehouse]
              secretFile: hs.secret
              algorithms: [HS256, HS384, HS512]
            - issuer: https://hs-kid.example
              audiences: [gatehouse]
              secretFile: hs.secret
              kid: hs-1
              algorithms: [HS256]
            - issuer: https://octs.example
              audiences: [gatehouse]
              jwks: { file: octs.jwks }
              algorithms: [HS256, HS512]
            - issuer: https://partner.example
              jwks: { file: idp.jwks }
              algorithms: [ES256]
              from: [{ query: access_token }, { header: x-partner-token }]
            - issuer: https://other.example
              jwks: { file: other.jwks }
        rules:
          - name: readers
            action: allow
            paths: [/data/**]
            claims: { role: { contains: reader } }
        """
}

/// The fixture's policy did not compile.
struct FixtureError: Error, CustomStringConvertible {
    var description: String
}
