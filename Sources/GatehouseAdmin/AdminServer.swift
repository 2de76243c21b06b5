import GatehouseCore
package import Hummingbird
import HummingbirdCore
package import Logging
import NIOCore
import ServiceLifecycle

/// The admin API as a `Service`: a Hummingbird application on its own listener that stops
/// accepting and finishes its requests on graceful shutdown, with the rest of the server.
package struct AdminServer: Service {
    private let api: AdminAPI
    private let configuration: AdminServerConfiguration
    private let logger: Logger
    private let onListening: @Sendable (Int) async -> Void

    /// - Parameters:
    ///   - api: The routes.
    ///   - configuration: Where to listen, and with which TLS.
    ///   - logger: The server's logger.
    ///   - onListening: Receives the bound port once the listener accepts connections.
    package init(
        api: AdminAPI, configuration: AdminServerConfiguration, logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.api = api
        self.configuration = configuration
        self.logger = logger
        self.onListening = onListening
    }

    /// The Hummingbird application; `run()` serves it.
    ///
    /// - Throws: When a TLS certificate or key cannot be loaded.
    package func makeApplication() throws -> some ApplicationProtocol {
        let host = self.configuration.host
        let logger = self.logger
        let onListening = self.onListening
        // Hummingbird sets a request id on this logger for every request; set lazily (see the handler).
        var requestLogger = self.logger
        requestLogger.handler = DeferredMetadataLogHandler(wrapping: self.logger.handler)
        return Application(
            router: self.api.makeRouter(),
            server: try self.serverBuilder(),
            configuration: ApplicationConfiguration(address: .hostname(host, port: self.configuration.port)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info(
                    "admin API listening", metadata: ["gatehouse.admin.address": "\(host):\(port)"])
                await onListening(port)
            },
            logger: requestLogger)
    }

    package func run() async throws {
        try await self.makeApplication().run()
    }

    private func serverBuilder() throws -> HTTPServerBuilder {
        let http1 = HTTP1Channel.Configuration(idleTimeout: .seconds(60))
        let tls = try AdminListenerTLS.make(
            self.configuration.security, listener: "admin \(self.configuration.host):\(self.configuration.port)",
            protocols: ["http/1.1"], connections: self.api.connections, logger: self.logger, clock: self.api.clock)
        guard let tls else { return .http1(configuration: http1) }
        return HTTPServerBuilder { responder in
            AdminTLSChannel(base: HTTP1Channel(responder: responder, configuration: http1), tls: tls)
        }
    }
}
