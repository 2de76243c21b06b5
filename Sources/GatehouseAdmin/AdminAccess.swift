package import GatehouseCore

/// Who may call the admin API, and in which role: bearer tokens by their SHA-256, and client
/// certificates by the SPIFFE ID or subject the listener's verifier found in them.
///
/// Tokens are for development: a token is a shared secret, so the configuration keeps only its
/// hash (`gatehouse admin hash-token` prints it). A certificate is verified during the TLS
/// handshake exactly as on every other mTLS listener; this table only names its role.
package struct AdminAccess: Sendable, Hashable {
    /// One accepted bearer token.
    package struct Token: Sendable, Hashable {
        /// Who holds it, as the log and ``ReloadRequest/requestedBy`` name the caller.
        package var name: String
        /// The SHA-256 of the token's UTF-8 bytes (32 bytes).
        package var digest: [UInt8]
        package var role: AdminRole

        /// - Parameters:
        ///   - name: Who holds the token.
        ///   - digest: The SHA-256 of the token (32 bytes).
        ///   - role: What the token may do.
        package init(name: String, digest: [UInt8], role: AdminRole) {
            self.name = name
            self.digest = digest
            self.role = role
        }
    }

    /// One client certificate identity that has a role.
    package struct Client: Sendable, Hashable {
        /// What in the verified certificate is matched.
        package enum Match: Sendable, Hashable, CustomStringConvertible {
            /// The leaf's `spiffe://` URI SAN, compared exactly.
            case spiffeID(String)
            /// The leaf's subject, RFC 4514 text, compared exactly.
            case subject(String)

            package var description: String {
                switch self {
                case .spiffeID(let id): return id
                case .subject(let subject): return subject
                }
            }
        }

        package var match: Match
        package var role: AdminRole

        package init(_ match: Match, role: AdminRole) {
            self.match = match
            self.role = role
        }
    }

    package var tokens: [Token]
    package var clients: [Client]

    /// - Parameters:
    ///   - tokens: The accepted bearer tokens (by hash).
    ///   - clients: The client certificate identities and their roles.
    package init(tokens: [Token] = [], clients: [Client] = []) {
        self.tokens = tokens
        self.clients = clients
    }

    /// The role of a verified peer: the first client whose SPIFFE ID or subject it carries.
    package func client(for peer: PeerIdentity) -> Client? {
        self.clients.first { client in
            switch client.match {
            case .spiffeID(let id): return peer.spiffeID == id
            case .subject(let subject): return peer.subject == subject
            }
        }
    }
}
