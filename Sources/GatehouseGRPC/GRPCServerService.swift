package import GatehouseCore
package import GatehouseFrontDoor
package import Logging
package import NIOCore
import NIOPosix
package import ServiceLifecycle

/// Runs one direct-transport server (``DirectCheckServer``) per configured listener as a
/// ServiceLifecycle `Service`.
///
/// Graceful shutdown (SIGTERM/SIGINT through the `ServiceGroup`) stops accepting new
/// connections, sends GOAWAY on every connection and lets in-flight checks finish; a
/// connection still open `shutdownGracePeriod` after its GOAWAY is closed (see
/// ``DirectCheckServer`` for the sequence). `run()` returns once every server has stopped and
/// the event loops have shut down.
///
/// On an mTLS listener the client's chain is verified during the handshake with the listener's
/// ``ListenerPeerVerifier``, a chain it refuses is refused, and the verified peer is kept for the
/// connection and pinned per check.
package struct GRPCServerService: Service {
    private let configuration: GRPCServerConfiguration
    private let logger: Logger
    private let onListening: @Sendable (ListenerConfiguration, String) -> Void
    private let directCheck: DirectCheck
    private let peerVerifiers: [ListenerConfiguration.Address: any ListenerPeerVerifier]
    /// The event loops to serve on when the CLI shares them with another front door (it shuts
    /// them down); `nil` runs loops of this service's own.
    private let group: (any EventLoopGroup)?

    /// What every listener answers with.
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
    ///   - directCheck: What every listener serves.
    ///   - peerVerifiers: The verifier of each mTLS listener's clients, by address; a listener
    ///     without one fails to start.
    ///   - group: Event loops shared with another front door (the HTTP door), which the caller
    ///     shuts down after `run()` returns; by default the service runs and stops its own.
    ///   - onListening: Called with each listener and its bound address once it accepts connections.
    package init(
        configuration: GRPCServerConfiguration,
        logger: Logger,
        directCheck: DirectCheck,
        peerVerifiers: [ListenerConfiguration.Address: any ListenerPeerVerifier] = [:],
        group: (any EventLoopGroup)? = nil,
        onListening: @escaping @Sendable (ListenerConfiguration, String) -> Void = { _, _ in }
    ) {
        self.group = group
        self.configuration = configuration
        self.logger = logger
        self.directCheck = directCheck
        self.peerVerifiers = peerVerifiers
        self.onListening = onListening
    }

    /// Serves every listener until graceful shutdown, then shuts the event loops down.
    ///
    /// - Throws: When a listener cannot be bound or a server fails.
    package func run() async throws {
        if let group = self.group {
            try await self.serve(on: group)
            return
        }
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

    private func serve(on group: any EventLoopGroup) async throws {
        var servers: [(ListenerConfiguration, DirectCheckServer)] = []
        for listener in self.configuration.listeners {
            let endpoint = DirectCheckEndpoint(
                service: self.directCheck.service, isServing: self.directCheck.isServing,
                maxRequestBytes: self.configuration.maxRequestBytes)
            let tls = try ListenerTLS.make(
                listener, protocols: ["h2"], verifier: self.peerVerifiers[listener.address], logger: self.logger)
            let server = try await DirectCheckServer.bind(
                listener, group: group, endpoint: endpoint, tls: tls,
                maxConcurrentStreams: self.configuration.maxConcurrentStreams,
                idleTimeout: self.configuration.idleTimeout, gracePeriod: self.configuration.shutdownGracePeriod,
                keepalive: self.keepalive)
            servers.append((listener, server))
        }
        let bound = servers
        try await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for (listener, server) in bound {
                    self.announce(listener, address: server.channel.localAddress)
                    group.addTask { await server.serve() }
                }
            }
        } onGracefulShutdown: {
            self.logger.info("gRPC servers shutting down gracefully")
            for (_, server) in bound { server.beginGracefulShutdown() }
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

    /// Logs where a listener accepts connections (the integration tests wait for this line).
    private func announce(_ listener: ListenerConfiguration, text: String) {
        self.logger.info("listening", metadata: ["gatehouse.listener": "\(listener)", "gatehouse.address": "\(text)"])
        self.onListening(listener, text)
    }

    /// The callers a listener admits (its `allowedClients` on an mTLS listener, anyone
    /// otherwise), and whether it trusts their forwarded identities.
    package static func callers(of listener: ListenerConfiguration) -> CallerPolicy {
        listener.callers
    }
}
