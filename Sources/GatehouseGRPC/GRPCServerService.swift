import Foundation
package import GRPCCore
import GRPCNIOTransportHTTP2
package import GatehouseCore
package import Logging
import NIOCore
import NIOPosix
package import ServiceLifecycle

/// Runs one gRPC server per configured listener as a ServiceLifecycle `Service`.
///
/// Graceful shutdown (SIGTERM/SIGINT through the `ServiceGroup`) stops accepting new
/// connections, sends GOAWAY on every connection and lets in-flight checks finish; a
/// connection still open `shutdownGracePeriod` after its GOAWAY is closed. Both transports
/// behave alike (see ``DirectCheckServer`` for the sequence). `run()` returns once every
/// server has stopped and the event loops have shut down.
///
/// On an mTLS listener both transports verify the client's chain during the handshake with the
/// listener's ``ListenerPeerVerifier`` and refuse a chain it refuses. The direct transport keeps
/// the verified peer for the connection and pins it per check; grpc-swift's server, which hands
/// a call only the chain, has its ``AuthorizationService`` verify the chain again per call.
package struct GRPCServerService: Service {
    private let configuration: GRPCServerConfiguration
    private let makeServices: @Sendable (ListenerConfiguration) -> [any RegistrableRPCService]
    private let logger: Logger
    private let onListening: @Sendable (ListenerConfiguration, String) -> Void
    private let directCheck: DirectCheck?
    private let peerVerifiers: [ListenerConfiguration.Address: any ListenerPeerVerifier]

    /// What a listener served by the direct transport answers with.
    package struct DirectCheck: Sendable {
        /// The Authorization service (its caller policy is not used: the transport pins per listener).
        package var service: AuthorizationService
        /// Whether health answers SERVING.
        package var isServing: @Sendable () -> Bool

        package init(service: AuthorizationService, isServing: @escaping @Sendable () -> Bool) {
            self.service = service
            self.isServing = isServing
        }
    }

    /// - Parameters:
    ///   - makeServices: The services for one listener served by grpc-swift (each listener may
    ///     pin different callers, and an mTLS one needs its verifier in the service).
    ///   - directCheck: What the direct transport serves; without it every listener uses grpc-swift.
    ///   - peerVerifiers: The verifier of each mTLS listener's clients, by address; a listener
    ///     without one fails to start.
    ///   - onListening: Called with each listener and its bound address once it accepts connections.
    package init(
        configuration: GRPCServerConfiguration,
        makeServices: @escaping @Sendable (ListenerConfiguration) -> [any RegistrableRPCService],
        logger: Logger,
        directCheck: DirectCheck? = nil,
        peerVerifiers: [ListenerConfiguration.Address: any ListenerPeerVerifier] = [:],
        onListening: @escaping @Sendable (ListenerConfiguration, String) -> Void = { _, _ in }
    ) {
        self.configuration = configuration
        self.makeServices = makeServices
        self.logger = logger
        self.directCheck = directCheck
        self.peerVerifiers = peerVerifiers
        self.onListening = onListening
    }

    /// Serves every listener until graceful shutdown, then shuts the event loops down.
    ///
    /// - Throws: When a listener cannot be bound or a server fails.
    package func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: self.configuration.resolvedEventLoopThreads)
        do {
            try await self.serve(on: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        // Every server has stopped, so nothing runs on the loops any more.
        try await group.shutdownGracefully()
    }

    private func serve(on group: MultiThreadedEventLoopGroup) async throws {
        var servers: [(ListenerConfiguration, GRPCServer<HTTP2ServerTransport.Posix>)] = []
        var direct: [(ListenerConfiguration, DirectCheckServer)] = []
        for listener in self.configuration.listeners {
            if self.configuration.transport == .direct, let directCheck {
                let endpoint = DirectCheckEndpoint(
                    service: directCheck.service, isServing: directCheck.isServing,
                    maxRequestBytes: self.configuration.maxRequestBytes)
                let tls = try DirectTLS.make(
                    listener, verifier: self.peerVerifiers[listener.address], logger: self.logger)
                let server = try await DirectCheckServer.bind(
                    listener, group: group, endpoint: endpoint, tls: tls,
                    maxConcurrentStreams: self.configuration.maxConcurrentStreams,
                    idleTimeout: self.configuration.idleTimeout, gracePeriod: self.configuration.shutdownGracePeriod,
                    keepalive: self.keepalive)
                direct.append((listener, server))
            } else {
                servers.append(
                    (
                        listener,
                        GRPCServer(
                            transport: try self.makeTransport(listener, group: group),
                            services: self.makeServices(listener))
                    ))
            }
        }
        let (grpcServers, directServers) = (servers, direct)
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                for (listener, server) in grpcServers {
                    group.addTask { try await server.serve() }
                    group.addTask { await self.announce(listener, server) }
                }
                for (listener, server) in directServers {
                    self.announce(listener, address: server.channel.localAddress)
                    group.addTask { await server.serve() }
                }
            }
        } onGracefulShutdown: {
            self.logger.info("gRPC servers shutting down gracefully")
            for (_, server) in grpcServers { server.beginGracefulShutdown() }
            for (_, server) in directServers { server.beginGracefulShutdown() }
        }
    }

    /// The direct transport's keepalive; `nil` (never ping) when `keepaliveTime` is zero.
    private var keepalive: DirectConnectionHandler.Keepalive? {
        guard self.configuration.keepaliveTime > .zero else { return nil }
        return DirectConnectionHandler.Keepalive(
            time: TimeAmount(self.configuration.keepaliveTime), timeout: TimeAmount(self.configuration.keepaliveTimeout)
        )
    }

    private func announce(_ listener: ListenerConfiguration, address: NIOCore.SocketAddress?) {
        switch address {
        case .v4(let v4)?: self.announce(listener, text: "\(v4.host):\(address?.port ?? 0)")
        case .v6(let v6)?: self.announce(listener, text: "[\(v6.host)]:\(address?.port ?? 0)")
        case .unixDomainSocket?: self.announce(listener, text: "unix:\(address?.pathname ?? "")")
        case nil: self.announce(listener, text: "\(listener.address)")
        }
    }

    private func announce(_ listener: ListenerConfiguration, _ server: GRPCServer<HTTP2ServerTransport.Posix>) async {
        guard let address = try? await server.listeningAddress else { return }
        if let ipv4 = address.ipv4 {
            self.announce(listener, text: "\(ipv4.host):\(ipv4.port)")
        } else if let ipv6 = address.ipv6 {
            self.announce(listener, text: "[\(ipv6.host)]:\(ipv6.port)")
        } else if let unix = address.unixDomainSocket {
            self.announce(listener, text: "unix:\(unix.path)")
        } else {
            self.announce(listener, text: "\(address)")
        }
    }

    /// Logs where a listener accepts connections (the integration tests wait for this line).
    private func announce(_ listener: ListenerConfiguration, text: String) {
        self.logger.info("listening", metadata: ["gatehouse.listener": "\(listener)", "gatehouse.address": "\(text)"])
        self.onListening(listener, text)
    }

    private func makeTransport(_ listener: ListenerConfiguration, group: MultiThreadedEventLoopGroup) throws
        -> HTTP2ServerTransport.Posix
    {
        let address: GRPCNIOTransportCore.SocketAddress
        switch listener.address {
        case .tcp(let host, let port):
            address = host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
        case .unix(let path):
            // A socket file left by a previous run would make bind fail.
            try? FileManager.default.removeItem(atPath: path)
            address = .unixDomainSocket(path: path)
        }
        let configuration = self.configuration
        let config = HTTP2ServerTransport.Posix.Config.defaults { config in
            config.http2.maxConcurrentStreams = configuration.maxConcurrentStreams
            config.rpc.maxRequestPayloadSize = configuration.maxRequestBytes
            config.connection.keepalive.time = configuration.keepaliveTime
            config.connection.keepalive.timeout = configuration.keepaliveTimeout
            config.connection.keepalive.clientBehavior.allowWithoutCalls = true
            config.connection.keepalive.clientBehavior.minPingIntervalWithoutCalls = .seconds(5)
            // The same drain deadline and idle timeout as the direct transport.
            config.connection.maxGraceTime = configuration.shutdownGracePeriod
            config.connection.maxIdleTime = configuration.idleTimeout
            config.connection.flushCoalescing = configuration.flushCoalescingDelay.map {
                .init(maxFlushDelay: $0, maxBytes: 64 * 1024)
            }
        }
        return HTTP2ServerTransport.Posix(
            address: address, transportSecurity: try self.security(listener), config: config, eventLoopGroup: group
        )
    }

    /// The callers a listener admits (its `allowedClients` on an mTLS listener, anyone
    /// otherwise), and whether it trusts their forwarded identities.
    package static func callers(of listener: ListenerConfiguration) -> CallerPolicy {
        var callers = CallerPolicy.anyCaller
        if case .mutualTLS(_, _, let clients) = listener.security { callers = clients.allowedClients }
        callers.trustsForwardedIdentity = listener.trustsForwardedIdentity
        return callers
    }

    private func security(_ listener: ListenerConfiguration) throws -> HTTP2ServerTransport.Posix.TransportSecurity {
        switch listener.security {
        case .plaintext:
            return .plaintext
        case .tls(let chain, let key):
            return .tls(
                certificateChain: [.file(path: chain, format: .pem)], privateKey: .file(path: key, format: .pem))
        case .mutualTLS(let chain, let key, _):
            guard let verifier = self.peerVerifiers[listener.address] else {
                throw DirectTLS.MissingVerifierError(listener: listener)
            }
            let verification = HandshakeVerification(
                verifier: verifier, listener: listener, logger: self.logger, clock: AuthorizationService.systemClock)
            return .mTLS(
                certificateChain: [.file(path: chain, format: .pem)], privateKey: .file(path: key, format: .pem)
            ) { config in
                // The custom callback replaces BoringSSL's verification, so the trust roots play no part.
                config.trustRoots = .systemDefault
                config.clientCertificateVerification = .noHostnameVerification
                config.customVerificationCallback = verification.callback()
            }
        }
    }
}
