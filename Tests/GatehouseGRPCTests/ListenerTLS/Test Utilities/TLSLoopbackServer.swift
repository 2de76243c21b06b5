import EnvoyAuthAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import GatehouseCore
import GatehouseGRPC
import GatehouseIdentity
import GatehousePolicy
import Logging
import ServiceLifecycle
import Testing

/// A `GRPCServerService` with one TLS or mTLS listener on a loopback port, run in a
/// `ServiceGroup` as `gatehouse serve` runs it (the services wired as the CLI wires them).
enum TLSLoopbackServer {
    /// Allows `/public/**` to anyone; denies the rest.
    static let policy = """
        kind: Policy
        name: listener-tls
        rules:
          - { name: public, action: allow, paths: [/public/**] }
        """

    /// Runs `body` with the bound port; shuts the server down gracefully afterwards.
    ///
    /// - Parameters:
    ///   - security: The listener's security, with files from `pki`.
    ///   - verifier: The mTLS listener's client verifier.
    ///   - clock: The services' time of day (the handshake is judged at the system's).
    static func with<Result: Sendable>(
        security: ListenerConfiguration.Security,
        verifier: (any ListenerPeerVerifier)?, logger: Logger,
        clock: @escaping @Sendable () -> UnixTime = AuthorizationService.systemClock,
        _ body: (Int) async throws -> Result
    ) async throws -> Result {
        let authorizer = Authorizer()
        let compiled = PolicyCompiler.compile(sources: [PolicySource(path: "listener-tls.yaml", text: Self.policy)])
        authorizer.activate(try #require(compiled.compiled).tree, authenticator: AnonymousAuthenticator())
        let listener = ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 0), security: security)
        let configuration = GRPCServerConfiguration(
            listeners: [listener], shutdownGracePeriod: .seconds(5), eventLoopThreads: 1)
        let verifiers: [ListenerConfiguration.Address: any ListenerPeerVerifier] =
            verifier.map { [listener.address: $0] } ?? [:]
        let decider = authorizer
        return try await withServedListener(logger: logger) { onListening in
            GRPCServerService(
                configuration: configuration,
                logger: logger,
                directCheck: GRPCServerService.DirectCheck(
                    service: AuthorizationService(decider: decider, logger: logger, clock: clock),
                    isServing: { authorizer.isReady }),
                peerVerifiers: verifiers,
                onListening: onListening)
        } _: { announced, _ in
            guard let port = announced.split(separator: ":").last.flatMap({ Int($0) }) else {
                throw ServerStartError(description: "The server announced '\(announced)', not HOST:PORT.")
            }
            return try await body(port)
        }
    }

    /// Runs `body` with a function that checks `/public/a`, every time over the same connection.
    static func withClient<Result: Sendable>(
        port: Int, security: HTTP2ClientTransport.Posix.TransportSecurity,
        _ body: (_ check: () async throws -> Envoy_Service_Auth_V3_CheckResponse) async throws -> Result
    ) async throws -> Result {
        let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: security,
            config: .defaults { $0.connection.maxIdleTime = nil })
        return try await withGRPCClient(transport: transport) { client in
            let authorization = Envoy_Service_Auth_V3_Authorization.Client(wrapping: client)
            return try await body {
                try await authorization.check(
                    TransportConformanceTests.request(path: "/public/a"), options: .failFast())
            }
        }
    }

    /// One check of `/public/a` over a new connection secured as `security` says.
    static func check(
        port: Int, security: HTTP2ClientTransport.Posix.TransportSecurity
    ) async throws -> Envoy_Service_Auth_V3_CheckResponse {
        let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: security,
            config: .defaults { $0.connection.maxIdleTime = nil })
        return try await withGRPCClient(transport: transport) { client in
            try await Envoy_Service_Auth_V3_Authorization.Client(wrapping: client).check(
                TransportConformanceTests.request(path: "/public/a"), options: .failFast())
        }
    }
}
