import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehousePolicy

/// A test-only ``Authenticator`` that verifies bearer tokens with ``TokenVerifier`` under each policy's issuers.
///
/// Key sets come from the files the policy names (`jwks.file`, `secretFile`); remote key sets are
/// the lead's composition and not supported here.
struct TokenAuthenticator: Authenticator {
    /// A policy's issuers that cannot be loaded by this adapter.
    struct Unsupported: Error, CustomStringConvertible {
        var description: String
    }

    /// One verifier per policy, indexed like the tree's policies; `nil` where a policy has no JWT issuers.
    let verifiers: [TokenVerifier?]

    init(_ compiled: CompiledPolicySet) throws {
        self.verifiers = try compiled.tree.policies.map { policy in
            let document = compiled.documents.first { $0.name.value == policy.name }
            guard let issuers = document?.authentication?.jwt, !issuers.isEmpty else { return nil }
            return TokenVerifier(
                issuers: try issuers.map { IssuerSettings(document: $0, keys: StaticKeySet(try Self.keys(of: $0))) })
        }
    }

    func identity(for request: AuthzRequest, policyIndex: Int, caller: CallerFacts) async throws -> Identity {
        guard let verifier = self.verifiers[policyIndex] else { return .anonymous }
        switch await verifier.verify(request) {
        case .absent: return .anonymous
        case .verified(let token): return Identity(token: token)
        case .rejected(let failure): return Identity(credentialFailure: failure)
        }
    }

    private static func keys(of issuer: JWTIssuerDocument) throws -> KeySet {
        switch issuer.keys {
        case .file(let path):
            return try KeySet.parse(jwks: try Data(contentsOf: URL(fileURLWithPath: path)), origin: path)
        case .secretFile(let path):
            return try KeySet.sharedSecret(Array(try Data(contentsOf: URL(fileURLWithPath: path))), origin: path)
        case .url, .discovery:
            throw Unsupported(
                description: "The test authenticator loads key files only, not '\(issuer.issuer.value)''s URL.")
        }
    }
}
