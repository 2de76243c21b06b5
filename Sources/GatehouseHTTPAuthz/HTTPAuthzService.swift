package import GatehouseCore
package import GatehouseFrontDoor
package import Logging
package import NIOCore
import ServiceLifecycle

/// Envoy's ext_authz HTTP mode as a ServiceLifecycle `Service`: one ``HTTPAuthzServer`` per
/// configured listener, on the event loops the CLI shares with the gRPC listeners.
///
/// Every request goes through the same ``CheckPipeline`` as the gRPC door (the same decider and
/// decision cache, decision log and metrics), mapped in by `AuthzRequest+HTTPAuthz.swift` and
/// out by ``HTTPAuthzAnswer``. On an mTLS listener the client's chain is verified during the
/// handshake with the listener's ``ListenerPeerVerifier`` and pinned per request, as on gRPC.
/// Graceful shutdown closes the listeners and lets each connection's request in flight finish.
package struct HTTPAuthzService: Service {
    private let configuration: HTTPAuthzConfiguration
    private let pipeline: CheckPipeline
    private let group: any EventLoopGroup
    private let logger: Logger
    private let peerVerifiers: [ListenerConfiguration.Address: any ListenerPeerVerifier]
    private let onListening: @Sendable (ListenerConfiguration, String) -> Void

    /// - Parameters:
    ///   - configuration: The listeners and path prefixes.
    ///   - pipeline: The check pipeline, the gRPC door's (`AuthorizationService.pipeline`).
    ///   - group: The event loops to serve on; the caller shuts them down after `run()` returns.
    ///   - logger: For lifecycle lines and refused client chains.
    ///   - peerVerifiers: The verifier of each mTLS listener's clients, by address; a listener
    ///     without one fails to start.
    ///   - onListening: Called with each listener and its bound address once it accepts connections.
    package init(
        configuration: HTTPAuthzConfiguration, pipeline: CheckPipeline, group: any EventLoopGroup, logger: Logger,
        peerVerifiers: [ListenerConfiguration.Address: any ListenerPeerVerifier] = [:],
        onListening: @escaping @Sendable (ListenerConfiguration, String) -> Void = { _, _ in }
    ) {
        self.configuration = configuration
        self.pipeline = pipeline
        self.group = group
        self.logger = logger
        self.peerVerifiers = peerVerifiers
        self.onListening = onListening
    }

    /// Serves every listener until graceful shutdown.
    ///
    /// - Throws: When a listener cannot be bound (its certificate, its address).
    package func run() async throws {
        let endpoint = HTTPAuthzEndpoint(pipeline: self.pipeline, routes: self.configuration.routes)
        var servers: [(ListenerConfiguration, HTTPAuthzServer)] = []
        for listener in self.configuration.listeners {
            // ALPN: `h2` first, so a client offering both (curl, an Envoy cluster with
            // `alpn_protocols` or `auto_config`) gets HTTP/2; either way the connection's first
            // bytes decide the pipeline (HTTPConnectionProtocolDetector), so a client offering no
            // ALPN at all (Envoy's default upstream TLS) is served in whichever it speaks.
            let tls = try ListenerTLS.make(
                listener, protocols: ["h2", "http/1.1"], verifier: self.peerVerifiers[listener.address],
                logger: self.logger)
            let server = try await HTTPAuthzServer.bind(
                listener, group: self.group, endpoint: endpoint, tls: tls, idleTimeout: self.configuration.idleTimeout)
            servers.append((listener, server))
        }
        let bound = servers
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for (listener, server) in bound {
                    self.announce(listener, address: server.channel.localAddress)
                    group.addTask { await server.serve() }
                }
            }
        } onGracefulShutdown: {
            self.logger.info("HTTP ext_authz servers shutting down gracefully")
            for (_, server) in bound { server.beginGracefulShutdown() }
        }
    }

    /// Logs where a listener accepts connections (the integration tests wait for this line).
    private func announce(_ listener: ListenerConfiguration, address: SocketAddress?) {
        let text: String
        switch address {
        case .v4(let v4)?: text = "\(v4.host):\(address?.port ?? 0)"
        case .v6(let v6)?: text = "[\(v6.host)]:\(address?.port ?? 0)"
        case .unixDomainSocket?: text = "unix:\(address?.pathname ?? "")"
        case nil: text = "\(listener.address)"
        }
        self.logger.info(
            "listening (HTTP ext_authz)",
            metadata: ["gatehouse.listener": "\(listener)", "gatehouse.address": "\(text)"])
        self.onListening(listener, text)
    }
}
