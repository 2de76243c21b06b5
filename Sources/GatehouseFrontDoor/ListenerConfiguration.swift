/// One listening socket and its security.
package struct ListenerConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// Where to listen.
    package enum Address: Sendable, Hashable, CustomStringConvertible {
        /// An IPv4 or IPv6 host and port; port 0 picks a free one.
        case tcp(host: String, port: Int)
        /// A Unix domain socket; a stale socket file is removed first.
        case unix(path: String)

        /// Parses `HOST:PORT`, `[V6]:PORT` or `unix:PATH`.
        package init?(_ text: String) {
            if text.hasPrefix("unix:") {
                let path = String(text.dropFirst("unix:".count))
                guard !path.isEmpty else { return nil }
                self = .unix(path: path)
                return
            }
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                (0...65535).contains(port)
            else { return nil }
            var host = text[..<colon]
            if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
            guard !host.isEmpty else { return nil }
            self = .tcp(host: String(host), port: port)
        }

        package var description: String {
            switch self {
            case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .unix(let path): return "unix:\(path)"
            }
        }
    }

    /// How connections are secured.
    package enum Security: Sendable, Hashable {
        /// No TLS (loopback or a Unix socket only, in production).
        case plaintext
        /// TLS with a server certificate; clients are not asked for one.
        case tls(certificateChain: String, privateKey: String)
        /// TLS with a required client certificate, verified during the handshake as `clients` says.
        case mutualTLS(certificateChain: String, privateKey: String, clients: ClientCertificateSettings)
    }

    package var address: Address
    package var security: Security
    /// Whether checks arriving here may carry a forwarded identity Gatehouse believes: Envoy's
    /// `source.principal`, for policies with `trustEnvoyPrincipal` (``CallerFacts/trustsForwardedIdentity``).
    ///
    /// Only a listener whose callers are pinned may say so: a Unix socket (its file permissions
    /// pin them) or an mTLS listener with `allowedClients`; the CLI refuses it elsewhere.
    package var trustsForwardedIdentity: Bool

    package init(address: Address, security: Security = .plaintext, trustsForwardedIdentity: Bool = false) {
        self.address = address
        self.security = security
        self.trustsForwardedIdentity = trustsForwardedIdentity
    }

    /// Whether only pinned callers can reach this listener, so that it may trust forwarded
    /// identities: a Unix socket, or an mTLS listener with `allowedClients`.
    ///
    /// A TCP listener without pinning is refused even on a loopback address: any local user,
    /// and any container sharing the network namespace, can connect to it.
    package var pinsItsCallers: Bool {
        if case .unix = self.address { return true }
        if case .mutualTLS(_, _, let clients) = self.security { return clients.allowedClients.isPinned }
        return false
    }

    package var description: String {
        switch self.security {
        case .plaintext: return "\(self.address) (plaintext)"
        case .tls: return "\(self.address) (TLS)"
        case .mutualTLS: return "\(self.address) (mTLS)"
        }
    }
}

/// How an mTLS listener verifies its clients' certificates, and which clients it serves.
///
/// The chain a client presents is verified during the handshake, by a ``ListenerPeerVerifier``
/// the CLI builds from these settings, with the rules of a forwarded client certificate: a path
/// to `clientCA`, validity, leaf not a CA, client-auth usage, revocation against `crls`, and the
/// SPIFFE rules (at most one SPIFFE ID, in `trustDomain` when set, which then requires one).
/// A client that fails is refused the handshake. `allowedClients` then applies per check: a
/// verified client it does not name gets a denying `CheckResponse` (`caller_not_allowed`).
package struct ClientCertificateSettings: Sendable, Hashable {
    /// The trust bundle (PEM or DER): the roots and intermediates client chains lead to.
    package var clientCA: String
    /// CRL files (PEM or DER), each signed by a CA of the bundle.
    package var crls: [String]
    /// The SPIFFE trust domain a client's SPIFFE ID must be in; `nil` accepts any.
    package var trustDomain: String?
    /// The clients served; by default any the verification accepts.
    package var allowedClients: CallerPolicy

    package init(
        clientCA: String, crls: [String] = [], trustDomain: String? = nil, allowedClients: CallerPolicy = .anyCaller
    ) {
        self.clientCA = clientCA
        self.crls = crls
        self.trustDomain = trustDomain
        self.allowedClients = allowedClients
    }
}

extension ListenerConfiguration {
    /// The callers this listener admits (its `allowedClients` on an mTLS listener, anyone
    /// otherwise), and whether it trusts their forwarded identities.
    package var callers: CallerPolicy {
        var callers = CallerPolicy.anyCaller
        if case .mutualTLS(_, _, let clients) = self.security { callers = clients.allowedClients }
        callers.trustsForwardedIdentity = self.trustsForwardedIdentity
        return callers
    }
}
