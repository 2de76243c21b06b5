import Foundation
import GatehouseFrontDoor
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOHTTP2
import NIOPosix

/// One listener of the HTTP door: HTTP/1.1 or HTTP/2 with prior knowledge, whichever the client
/// opens with (``HTTPConnectionProtocolDetector``), an ``HTTPAuthzHandler`` per request stream,
/// behind swift-nio-ssl (``ListenerTLS``) on a TLS listener.
///
/// Shutdown (``beginGracefulShutdown()``): the listening socket closes, every connection is told
/// to quiesce (NIO's pipelining handler closes an idle one at once and a busy one after its answer;
/// an HTTP/2 connection sends GOAWAY and closes once its streams are answered),
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
                try channel.pipeline.syncOperations.addHandler(
                    HTTPConnectionProtocolDetector { pipeline, detected in
                        switch detected {
                        case .http1:
                            try Self.configureHTTP1(
                                pipeline, endpoint: endpoint, caller: caller, idleTimeout: idleTimeout)
                        case .http2:
                            try Self.configureHTTP2(
                                pipeline, endpoint: endpoint, caller: caller, idleTimeout: idleTimeout)
                        }
                    })
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

    /// HTTP/1.1: NIO's server pipeline with pipelining assistance (one request at a time, quiescing
    /// after the answer in flight) and one ``HTTPAuthzHandler`` for the connection.
    private static func configureHTTP1(
        _ pipeline: ChannelPipeline.SynchronousOperations, endpoint: HTTPAuthzEndpoint, caller: ConnectionCaller,
        idleTimeout: Duration?
    ) throws {
        try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
        if let idleTimeout {
            // A read timeout: "no request" is nothing read. (An all-timeout also tracks every write
            // with a promise of its own, three allocations and callbacks an answer.)
            try pipeline.addHandler(IdleStateHandler(readTimeout: TimeAmount(idleTimeout)))
        }
        try pipeline.addHandler(
            HTTPAuthzHandler(endpoint: endpoint, caller: caller, idsAtOnce: DecisionIDEntropy.maxIDsAtOnce))
    }

    /// HTTP/2: each stream is one request, translated to HTTP/1's parts for its own
    /// ``HTTPAuthzHandler`` (the connection's caller shared). swift-nio-http2's connection manager
    /// closes a connection idle for `idleTimeout` and answers a quiesce with GOAWAY, closing once
    /// the streams in flight are answered.
    private static func configureHTTP2(
        _ pipeline: ChannelPipeline.SynchronousOperations, endpoint: HTTPAuthzEndpoint, caller: ConnectionCaller,
        idleTimeout: Duration?
    ) throws {
        var management = NIOHTTP2ServerConnectionManagementHandler.Configuration.defaults
        management.maxIdleTime = idleTimeout.map { TimeAmount($0) }
        let manager = NIOHTTP2ServerConnectionManagementHandler(
            eventLoop: pipeline.eventLoop, configuration: management)
        _ = try pipeline.configureHTTP2Pipeline(
            mode: .server, connectionConfiguration: .init(), streamConfiguration: .init(),
            streamDelegate: manager.http2StreamDelegate
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandlers(
                    HTTP2FramePayloadToHTTP1ServerCodec(),
                    HTTPAuthzHandler(endpoint: endpoint, caller: caller, idsAtOnce: 1))
            }
        }
        try pipeline.addHandler(manager)
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
