import GatehouseCore
import Synchronization

/// An authenticator whose "tokens" are looked up in a table: the `authorization` header's value
/// names an identity. Its answers depend on the request's time (a token past its `exp` is
/// rejected as `token_expired`) and on the key generation (each generation has its own table,
/// as a key rotation changes which tokens verify), like the real verifier's; it counts its calls.
final class TableAuthenticator: Authenticator, Sendable {
    /// Identities by token text, one table per key generation (the last one repeats).
    let tables: [[String: Identity]]
    /// The key generation, shared with the `CachingAuthorizer` under test.
    let keyGeneration = Atomic<UInt64>(0)
    private let calls = Atomic<Int>(0)

    init(tables: [[String: Identity]]) {
        self.tables = tables
    }

    convenience init(_ table: [String: Identity]) {
        self.init(tables: [table])
    }

    /// How many identities were resolved (credential verifications).
    var verifications: Int { self.calls.load(ordering: .relaxed) }

    func identity(for request: AuthzRequest, policyIndex: Int, caller: CallerFacts) async throws -> Identity {
        self.calls.add(1, ordering: .relaxed)
        return self.identity(for: request)
    }

    /// The identity without counting: what an uncached decision would be made for.
    func identity(for request: AuthzRequest) -> Identity {
        guard let token = request.headers["authorization"]?.first else { return .anonymous }
        let generation = Int(self.keyGeneration.load(ordering: .relaxed))
        let table = self.tables[min(generation, self.tables.count - 1)]
        guard var identity = table[token] else {
            return Identity(credentialFailure: .init(kind: .token, reason: .invalidToken, description: "unknown"))
        }
        if let expiry = identity.token?.expiresAt, request.time >= expiry {
            identity = Identity(
                credentialFailure: .init(
                    kind: .token, reason: .invalidToken, detail: DecisionReason(code: "token_expired"),
                    description: "expired"))
        }
        return identity
    }

    func addCredentials(
        of request: AuthzRequest, policyIndex: Int, caller: CallerFacts, to key: inout some CacheKeyBuilder
    ) {
        key.add(request.headers["authorization"])
    }
}
