/// An authenticated admin API caller.
package struct AdminCaller: Sendable, Hashable, CustomStringConvertible {
    /// How the caller proved who it is.
    package enum Credential: String, Sendable, Hashable {
        /// A bearer token whose hash is in `admin.tokens`.
        case token
        /// A client certificate verified during the TLS handshake.
        case certificate
    }

    /// The token's name, or the certificate's SPIFFE ID or subject.
    package var name: String
    package var credential: Credential
    package var role: AdminRole

    package init(name: String, credential: Credential, role: AdminRole) {
        self.name = name
        self.credential = credential
        self.role = role
    }

    /// `token:NAME` or `certificate:ID`, as logs and ``GatehouseCore/ReloadRequest/requestedBy`` show it.
    package var description: String { "\(self.credential.rawValue):\(self.name)" }
}
