package import Logging
package import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The AuthZEN API on a listener of its own: SwiftNIO's HTTP/1.1 server pipeline (keep-alive,
/// pipelined requests answered in order) and one ``AuthZENHTTPHandler`` per connection, without
/// Hummingbird's request and response machinery.
///
/// The handler is the admin listener's (``AdminAPI/startAuthZEN(_:)``,
/// ``AdminAPI/finishAuthZEN(_:_:body:)``): the same routes, authentication, limits,
/// errors and decision log records. TLS and client certificates go through ``AdminListenerTLS``,
/// as on the admin listener. HTTP/2 is not offered (ALPN `http/1.1` only).
///
/// Graceful shutdown closes the listening socket and lets each connection finish its request in
/// flight (NIO's pipelining handler closes an idle one at once).
package struct AuthZENServer: Service {
    private let api: AdminAPI
    private let configuration: AuthZENServerConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let onListening: @Sendable (Int) async -> Void

    /// - Parameters:
    ///   - api: The admin API whose AuthZEN handler, callers and clock the listener uses.
    ///   - configuration: Where to listen, with which TLS, and the slow-client timeouts.
    ///   - group: The event loops to serve on.
    ///   - logger: The listener's logger.
    ///   - onListening: Receives the bound port once the listener accepts connections.
    package init(
        api: AdminAPI, configuration: AuthZENServerConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.api = api
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.onListening = onListening
    }

    /// Serves until graceful shutdown (or cancellation, which closes every connection at once).
    ///
    /// - Throws: When the certificate or key cannot be loaded, or the address cannot be bound.
    package func run() async throws {
        let name = "authzen \(self.configuration.host):\(self.configuration.port)"
        let tls = try AdminListenerTLS.make(
            self.configuration.security, listener: name, protocols: ["http/1.1"], connections: self.api.connections,
            logger: self.logger, clock: self.api.clock)
        let endpoint = AuthZENHTTPHandler.Endpoint(
            api: self.api, idleTimeout: self.configuration.idleTimeout,
            requestTimeout: self.configuration.requestTimeout)
        let quiescing = ServerQuiescingHelper(group: self.group)
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try tls?.configure(channel)
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
                    try pipeline.addHandler(IdleStateHandler(readTimeout: TimeAmount(endpoint.idleTimeout)))
                    try pipeline.addHandler(AuthZENHTTPHandler(endpoint: endpoint))
                }
            }
            .bind(host: self.configuration.host, port: self.configuration.port).get()
        let port = channel.localAddress?.port ?? 0
        self.logger.info(
            "AuthZEN API listening", metadata: ["gatehouse.authzen.address": "\(self.configuration.host):\(port)"])
        await self.onListening(port)
        let stopped = self.group.next().makePromise(of: Void.self)
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                try? await stopped.futureResult.get()
            } onCancel: {
                quiescing.initiateShutdown(promise: stopped)
            }
        } onGracefulShutdown: {
            self.logger.info("AuthZEN API shutting down gracefully")
            quiescing.initiateShutdown(promise: stopped)
        }
    }
}
