import NIOCore

/// The gRPC side of `gatehouse serve`: where to listen and how.
package struct GRPCServerConfiguration: Sendable, Hashable {
    /// The listeners; each serves the same services.
    package var listeners: [ListenerConfiguration]
    /// Concurrent streams per HTTP/2 connection; Envoy multiplexes all checks over few connections.
    package var maxConcurrentStreams: Int
    /// The largest CheckRequest accepted, in bytes; larger ones fail with RESOURCE_EXHAUSTED.
    package var maxRequestBytes: Int
    /// How long a connection may be silent (nothing read) before the server pings it; zero never pings.
    package var keepaliveTime: Duration
    /// How long after its ping a silent connection may stay silent before the server closes it (GOAWAY first).
    package var keepaliveTimeout: Duration
    /// How long graceful shutdown waits for in-flight checks before the process exits anyway.
    ///
    /// On shutdown each connection gets GOAWAY and its checks in flight finish; a connection
    /// still open this long after its GOAWAY is closed, cutting off what it still carries.
    package var shutdownGracePeriod: Duration
    /// How long a connection may carry no call before the server closes it (with GOAWAY, so no
    /// call is cut off); `nil` keeps idle connections open.
    package var idleTimeout: Duration?
    /// Event-loop threads for all listeners; `nil` runs one per core (``resolvedEventLoopThreads``).
    package var eventLoopThreads: Int?

    /// The event-loop threads to run: as configured, else one per core.
    ///
    /// Measured through Envoy on 2 cores (`deploy/bench/load.sh`): two threads served 9,043
    /// checks/s against 8,571 with one (66 against 58 µs of CPU per check), and twice the direct
    /// h2load throughput.
    package var resolvedEventLoopThreads: Int {
        self.eventLoopThreads ?? System.coreCount
    }

    package init(
        listeners: [ListenerConfiguration] = [ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 9191))],
        maxConcurrentStreams: Int = 4096,
        maxRequestBytes: Int = 4 * 1024 * 1024,
        keepaliveTime: Duration = .seconds(30),
        keepaliveTimeout: Duration = .seconds(10),
        shutdownGracePeriod: Duration = .seconds(10),
        idleTimeout: Duration? = .seconds(300),
        eventLoopThreads: Int? = nil
    ) {
        self.listeners = listeners
        self.maxConcurrentStreams = maxConcurrentStreams
        self.maxRequestBytes = maxRequestBytes
        self.keepaliveTime = keepaliveTime
        self.keepaliveTimeout = keepaliveTimeout
        self.shutdownGracePeriod = shutdownGracePeriod
        self.idleTimeout = idleTimeout
        self.eventLoopThreads = eventLoopThreads
    }

    /// One plaintext listener on `127.0.0.1:9191`, the port OPA-Envoy users know.
    package static var defaults: Self { Self() }
}

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
