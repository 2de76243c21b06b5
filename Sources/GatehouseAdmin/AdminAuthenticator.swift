import Crypto
package import GatehouseCore

/// Finds out who an admin API request comes from: the verified client certificate of its
/// connection, or its bearer token.
///
/// A connection whose certificate maps to a role is that client, whatever its headers say. A
/// verified certificate with no role in `admin.clients` falls back to a bearer token if one is
/// sent, and is otherwise authenticated with no role (403: the server knows who it is, and
/// that it may not). A token is hashed and compared with every configured hash in constant
/// time, so neither timing nor the order of `admin.tokens` tells which hash came close.
package struct AdminAuthenticator: Sendable {
    /// What the request proved.
    package enum Outcome: Sendable, Hashable {
        /// A known caller with a role.
        case authenticated(AdminCaller)
        /// A verified certificate that `admin.clients` gives no role (403).
        case withoutRole(name: String)
        /// No credential at all (401).
        case missing
        /// A credential that is not accepted: an unknown token or a malformed header (401).
        case invalid(String)
    }

    private let access: AdminAccess

    package init(access: AdminAccess) {
        self.access = access
    }

    /// Who sent a request with `authorization` (the header's value, if any) on a connection
    /// whose handshake verified `peer` (`nil` without mTLS).
    package func authenticate(authorization: String?, peer: PeerIdentity?) -> Outcome {
        if let peer, let client = self.access.client(for: peer) {
            return .authenticated(
                AdminCaller(name: client.match.description, credential: .certificate, role: client.role))
        }
        guard let authorization else {
            guard let peer else { return .missing }
            return .withoutRole(name: peer.spiffeID ?? peer.subject ?? "an unnamed certificate")
        }
        guard let token = Self.bearerToken(authorization) else {
            return .invalid("the Authorization header is not 'Bearer TOKEN'")
        }
        guard let match = self.token(matching: token) else { return .invalid("the bearer token is not known") }
        return .authenticated(AdminCaller(name: match.name, credential: .token, role: match.role))
    }

    /// The token of a `Bearer TOKEN` header value, read as the Envoy path reads bearer tokens
    /// (``AuthorizationCredentials``): the scheme in any case (RFC 9110 §11.1), blanks (SP, HTAB)
    /// around and after it ignored. `nil` for another scheme or no token.
    private static func bearerToken(_ value: String) -> String? {
        guard let token = AuthorizationCredentials.credentials(in: value[...], scheme: "Bearer"), !token.isEmpty
        else { return nil }
        return String(token)
    }

    /// The configured token whose hash is the token's; every hash is compared in full.
    private func token(matching token: String) -> AdminAccess.Token? {
        let digest = Array(SHA256.hash(data: Array(token.utf8)))
        var found: AdminAccess.Token?
        for candidate in self.access.tokens where Self.constantTimeEqual(candidate.digest, digest) {
            found = found ?? candidate
        }
        return found
    }

    private static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    /// The lower-case hex SHA-256 of `token`, as `admin.tokens[].sha256` holds it.
    package static func digestHex(of token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
