import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GatehouseCore
import GatehouseGRPC
import GatehouseIdentity
import GatehousePolicy
import GatehouseTestSupport
import Logging
import ServiceLifecycle
import SwiftASN1
import Testing

/// A `GRPCServerService` with one listener on a loopback port or a Unix socket, run in a
/// `ServiceGroup` as `gatehouse serve` runs it, and clients for it from grpc-swift.
struct LoopbackServer: Sendable {
    /// The policy every case runs against.
    static let policy = """
        kind: Policy
        name: conformance
        rules:
          - { name: public, action: allow, paths: [/public/**] }
          - { name: slow, action: allow, paths: [/slow/**] }
        """

    /// The kind of listener.
    enum Setup: String, CaseIterable, Sendable, CustomStringConvertible {
        /// Plaintext TCP.
        case tcp = "plaintext TCP"
        /// A Unix socket.
        case unix = "Unix socket"
        /// TCP behind swift-nio-ssl, server-authenticated only.
        case tls = "TLS"
        /// TCP behind swift-nio-ssl, the client verified at the handshake and pinned.
        case mutualTLS = "mTLS"
        var description: String { self.rawValue }
    }

    /// Where clients connect.
    enum Address: Sendable {
        case tcp(port: Int)
        case unix(path: String)
    }

    /// The bound address.
    let address: Address
    /// Holds checks for `/slow/` paths until released.
    let gate: GatedAuthenticator
    private let group: ServiceGroup
    /// How clients secure their connections.
    private let clientSecurity: HTTP2ClientTransport.Posix.TransportSecurity

    /// Runs `body` with a server listening as `listener` says; shuts it down gracefully afterwards and
    /// waits until it has stopped.
    static func with<Result: Sendable>(
        listener setup: Setup, maxRequestBytes: Int = 64 * 1024,
        _ body: (LoopbackServer) async throws -> Result
    ) async throws -> Result {
        var listener = ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 0))
        var clientSecurity = HTTP2ClientTransport.Posix.TransportSecurity.plaintext
        var verifiers: [ListenerConfiguration.Address: any ListenerPeerVerifier] = [:]
        let pki = [.tls, .mutualTLS].contains(setup) ? try ListenerPKI() : nil
        defer { pki?.remove() }
        // A short path: sun_path holds about 100 bytes.
        let socket = "/tmp/gatehouse-conformance-\(UInt32.random(in: 0...UInt32.max)).sock"
        defer { try? FileManager.default.removeItem(atPath: socket) }
        if setup == .unix {
            listener = ListenerConfiguration(address: .unix(path: socket))
        }
        if let pki, setup == .tls {
            listener.security = .tls(certificateChain: pki.serverCertificate, privateKey: pki.serverKey)
            let rootPEM = Array(try pki.root.certificate.serializeAsPEM().pemString.utf8)
            clientSecurity = .tls {
                $0.trustRoots = .certificates([.bytes(rootPEM, format: .pem)])
                $0.serverCertificateVerification = .noHostnameVerification
            }
        }
        if let pki, setup == .mutualTLS {
            listener.security = .mutualTLS(
                certificateChain: pki.serverCertificate, privateKey: pki.serverKey,
                clients: ClientCertificateSettings(
                    clientCA: "unused: the verifier is given",
                    allowedClients: CallerPolicy(spiffeIDs: ["spiffe://gov.example/envoy/front"])))
            verifiers[listener.address] = ClientCertificateVerifier(
                trustBundle: pki.bundle, crls: [], trustDomain: "gov.example", xroad: [])
            clientSecurity = try pki.client().security(trusting: pki.root.certificate)
        }
        let gate = GatedAuthenticator()
        let authorizer = Authorizer()
        let compiled = PolicyCompiler.compile(sources: [PolicySource(path: "conformance.yaml", text: Self.policy)])
        authorizer.activate(try #require(compiled.compiled).tree, authenticator: gate)
        let logger = Logger(label: "conformance")
        let service = AuthorizationService(authorizer: authorizer, logger: logger)
        // A grace period well beyond any test's own steps: the shutdown test holds a check while it
        // probes the closed listener, and on a loaded machine (the full suite beside a build, over
        // TLS) those probes took more than 5 s, so the drain cut the held check off.
        let configuration = GRPCServerConfiguration(
            listeners: [listener], maxRequestBytes: maxRequestBytes, shutdownGracePeriod: .seconds(60),
            eventLoopThreads: 1)
        return try await withServedListener(
            logger: logger,
            makeServer: { onListening in
                GRPCServerService(
                    configuration: configuration,
                    logger: logger,
                    directCheck: GRPCServerService.DirectCheck(service: service, isServing: { authorizer.isReady }),
                    peerVerifiers: verifiers,
                    onListening: onListening)
            },
            beforeShutdown: { gate.release() }
        ) { announced, group in
            guard let address = Self.address(announced) else {
                throw ServerStartError(description: "The server announced '\(announced)', not an address.")
            }
            return try await body(
                LoopbackServer(address: address, gate: gate, group: group, clientSecurity: clientSecurity))
        }
    }

    /// The address a `listening` line announces: `unix:PATH` or `HOST:PORT`.
    private static func address(_ announced: String) -> Address? {
        if announced.hasPrefix("unix:") { return .unix(path: String(announced.dropFirst("unix:".count))) }
        return announced.split(separator: ":").last.flatMap { Int($0) }.map { .tcp(port: $0) }
    }

    /// Starts graceful shutdown, as SIGTERM does.
    func beginGracefulShutdown() async {
        await self.group.triggerGracefulShutdown()
    }

    /// Runs `body` with a new grpc-swift client connected to the server.
    func withClient<Result: Sendable>(
        _ body: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        let target: any ResolvableTarget =
            switch self.address {
            case .tcp(let port): .ipv4(address: "127.0.0.1", port: port)
            case .unix(let path): .unixDomainSocket(path: path)
            }
        let transport = try HTTP2ClientTransport.Posix(
            target: target, transportSecurity: self.clientSecurity,
            config: .defaults { $0.connection.maxIdleTime = nil })
        return try await withGRPCClient(transport: transport) { client in try await body(client) }
    }
}

extension CallOptions {
    /// Fails fast rather than waiting for a connection, with a deadline.
    ///
    /// 20 s by default: in a full run on 2 cores an mTLS call (handshake, the client chain
    /// verified in debug code, the check) missed 5 s while other suites compiled and spawned.
    static func failFast(timeout: Duration = .seconds(20)) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = timeout
        options.waitForReady = false
        return options
    }
}
