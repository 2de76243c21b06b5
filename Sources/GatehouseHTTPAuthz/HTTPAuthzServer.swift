import Foundation
import GatehouseFrontDoor
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix

/// One listener of the HTTP door: NIO's HTTP/1.1 server pipeline and an ``HTTPAuthzHandler`` per
/// connection, behind swift-nio-ssl (``ListenerTLS``) on a TLS listener.
///
/// Shutdown (``beginGracefulShutdown()``): the listening socket closes, every connection is told
/// to quiesce (NIO's pipelining handler closes an idle one at once and a busy one after its answer),
/// and ``serve()`` returns once all are closed.
final class HTTPAuthzServer: Sendable {
    /// The listening channel.
    let channel: any Channel
    private let quiescing: ServerQuiescingHelper
    private let stopped: EventLoopPromise<Void>

    private init(channel: any Channel, quiescing: ServerQuiescingHelper, stopped: EventLoopPromise<Void>) {
        self.channel = channel
        self.quiescing = quiescing
        self.stopped = stopped
    }

    /// Binds `listener` on `group`.
    ///
    /// - Parameters:
    ///   - tls: The listener's TLS; `nil` for a plaintext one.
    ///   - idleTimeout: How long a connection may carry no request before it is closed; `nil` never.
    static func bind(
        _ listener: ListenerConfiguration, group: any EventLoopGroup, endpoint: HTTPAuthzEndpoint, tls: ListenerTLS?,
        idleTimeout: Duration?
    ) async throws -> HTTPAuthzServer {
        let quiescing = ServerQuiescingHelper(group: group)
        let callers = listener.callers
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        quiescing.makeServerChannelHandler(channel: channel))
                }
            }
        if case .tcp = listener.address {
            bootstrap = bootstrap.childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        }
        bootstrap = bootstrap.childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let caller = try tls?.configure(channel) ?? ConnectionCaller(unverified: callers)
                let sync = channel.pipeline.syncOperations
                try sync.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
                if let idleTimeout {
                    try sync.addHandler(IdleStateHandler(allTimeout: TimeAmount(idleTimeout)))
                }
                try sync.addHandler(HTTPAuthzHandler(endpoint: endpoint, caller: caller))
            }
        }
        let channel: any Channel
        switch listener.address {
        case .tcp(let host, let port):
            channel = try await bootstrap.bind(host: host, port: port).get()
        case .unix(let path):
            // A socket file left by a previous run would make bind fail.
            try? FileManager.default.removeItem(atPath: path)
            channel = try await bootstrap.bind(unixDomainSocketPath: path).get()
        }
        return HTTPAuthzServer(channel: channel, quiescing: quiescing, stopped: group.next().makePromise())
    }

    /// Serves until ``beginGracefulShutdown()`` has closed every connection; if the task is
    /// cancelled, closes the listener and every connection at once.
    func serve() async {
        await withTaskCancellationHandler {
            try? await self.stopped.futureResult.get()
        } onCancel: {
            self.beginGracefulShutdown()
        }
    }

    /// Stops accepting connections and quiesces the open ones.
    func beginGracefulShutdown() {
        self.quiescing.initiateShutdown(promise: self.stopped)
    }
}
