import Foundation
import GatehouseFrontDoor
import NIOCore
import NIOHTTP2
import NIOPosix
import Synchronization

/// A listener that serves Envoy's Check (and health Check) straight on SwiftNIO's HTTP/2, one
/// ``CheckStreamHandler`` per stream and one ``DirectConnectionHandler`` per connection; on a
/// TLS listener behind swift-nio-ssl (``ListenerTLS``), which verifies an mTLS client's chain
/// during the handshake.
///
/// Shutdown (``beginGracefulShutdown()``) follows gRPC's rules for HTTP/2 servers, as grpc-swift's
/// own transport does:
/// 1. The listening socket closes at once, so no new connection is accepted.
/// 2. Every connection gets GOAWAY with the largest stream id and a PING; when the PING's ack
///    arrives, the client has read the GOAWAY, and a second GOAWAY names the last stream the
///    server will serve. Envoy opens new streams on another connection (another replica) from
///    the first GOAWAY on.
/// 3. Checks in flight finish; each connection closes when its last stream ends.
/// 4. A connection still open `gracePeriod` after step 2 began is closed, cutting its checks off.
///
/// ``serve()`` returns when every connection has closed. Besides, a connection that has had no
/// stream for `idleTimeout` is drained the same way (steps 2-3), a client silent for
/// `keepalive.time` is pinged and its connection closed if it stays silent `keepalive.timeout`
/// longer, and a check whose `grpc-timeout` passes is answered DEADLINE_EXCEEDED and its pending
/// work cancelled.
final class DirectCheckServer: Sendable {
    /// The listening channel.
    let channel: any Channel
    private let connections: Connections

    private init(channel: any Channel, connections: Connections) {
        self.channel = channel
        self.connections = connections
    }

    /// Binds `listener` on `group`.
    ///
    /// - Parameters:
    ///   - tls: The listener's TLS; `nil` for a plaintext one.
    ///   - idleTimeout: How long a connection may have no stream before it is drained; `nil` never.
    ///   - gracePeriod: How long a draining connection may take to finish its checks.
    ///   - keepalive: When to ping a silent client and how long to wait for it; `nil` never pings.
    static func bind(
        _ listener: ListenerConfiguration, group: any EventLoopGroup, endpoint: DirectCheckEndpoint,
        tls: ListenerTLS? = nil, maxConcurrentStreams: Int, idleTimeout: Duration?, gracePeriod: Duration,
        keepalive: DirectConnectionHandler.Keepalive? = nil
    ) async throws -> DirectCheckServer {
        let connections = Connections()
        let callers = GRPCServerService.callers(of: listener)
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        if case .tcp = listener.address {
            bootstrap = bootstrap.childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        }
        bootstrap = bootstrap.childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let caller = try tls?.configure(channel) ?? ConnectionCaller(unverified: callers)
                let connection = DirectConnectionHandler(
                    idleTimeout: idleTimeout.map(TimeAmount.init), gracePeriod: TimeAmount(gracePeriod),
                    keepalive: keepalive)
                var connectionSettings = NIOHTTP2Handler.ConnectionConfiguration()
                connectionSettings.initialSettings = [
                    HTTP2Setting(parameter: .maxConcurrentStreams, value: maxConcurrentStreams)
                ]
                connectionSettings.targetWindowSize = 1 << 20
                _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
                    mode: .server, connectionConfiguration: connectionSettings,
                    streamConfiguration: NIOHTTP2Handler.StreamConfiguration(),
                    streamDelegate: connection.streamDelegate
                ) { stream in
                    stream.eventLoop.makeCompletedFuture {
                        try stream.pipeline.syncOperations.addHandler(
                            CheckStreamHandler(endpoint: endpoint, caller: caller))
                    }
                }
                try channel.pipeline.syncOperations.addHandler(connection)
                connections.track(channel)
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
        let server = DirectCheckServer(channel: channel, connections: connections)
        // However the listener closes, its connections drain.
        channel.closeFuture.whenComplete { _ in server.beginGracefulShutdown() }
        return server
    }

    /// Serves until ``beginGracefulShutdown()`` and every connection has drained; if the task is
    /// cancelled, closes every connection at once.
    func serve() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { waiter in self.connections.resumeWhenStopped(waiter) }
        } onCancel: {
            self.channel.close(promise: nil)
            for connection in self.connections.stopAccepting() { connection.close(promise: nil) }
        }
    }

    /// Stops accepting connections and drains the open ones (GOAWAY, PING, final GOAWAY).
    func beginGracefulShutdown() {
        self.channel.close(promise: nil)
        for connection in self.connections.stopAccepting() {
            connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    /// The open connections of one listener, and the listener's lifecycle; exists before the
    /// listener is bound, so that no connection it accepts goes untracked.
    private final class Connections: Sendable {
        /// The listener's lifecycle.
        ///
        /// `serving` → `draining` (``DirectCheckServer/beginGracefulShutdown()``, the listener
        /// closed, or the serving task cancelled) → `stopped` (the last connection closed).
        /// `waiter` is ``DirectCheckServer/serve()``, waiting for `stopped`.
        private enum State {
            /// Accepting connections; `connections` are open.
            case serving(connections: [ObjectIdentifier: any Channel], waiter: CheckedContinuation<Void, Never>?)
            /// The listener is closed and every connection in `connections` is draining.
            case draining(connections: [ObjectIdentifier: any Channel], waiter: CheckedContinuation<Void, Never>?)
            /// The listener and every connection are closed.
            case stopped
        }

        private let state = Mutex(State.serving(connections: [:], waiter: nil))

        /// Resumes `waiter` once every connection has closed after shutdown began.
        func resumeWhenStopped(_ waiter: CheckedContinuation<Void, Never>) {
            let isStopped = self.state.withLock { state -> Bool in
                switch state {
                case .serving(let connections, let previous):
                    precondition(previous == nil, "serve() may be called only once")
                    state = .serving(connections: connections, waiter: waiter)
                    return false
                case .draining(let connections, let previous):
                    precondition(previous == nil, "serve() may be called only once")
                    state = .draining(connections: connections, waiter: waiter)
                    return false
                case .stopped:
                    return true
                }
            }
            if isStopped { waiter.resume() }
        }

        /// Moves to `draining`; returns the connections to drain (none if draining had begun).
        func stopAccepting() -> [any Channel] {
            let (connections, waiter) = self.state.withLock {
                state -> ([any Channel], CheckedContinuation<Void, Never>?) in
                guard case .serving(let connections, let waiter) = state else { return ([], nil) }
                if connections.isEmpty {
                    state = .stopped
                    return ([], waiter)
                }
                state = .draining(connections: connections, waiter: waiter)
                return (Array(connections.values), nil)
            }
            waiter?.resume()
            return connections
        }

        /// Tracks a new connection until it closes; closes it at once if shutdown has begun.
        func track(_ connection: any Channel) {
            let id = ObjectIdentifier(connection)
            let isServing = self.state.withLock { state -> Bool in
                switch state {
                case .serving(var connections, let waiter):
                    connections[id] = connection
                    state = .serving(connections: connections, waiter: waiter)
                    return true
                case .draining(var connections, let waiter):
                    connections[id] = connection
                    state = .draining(connections: connections, waiter: waiter)
                    return false
                case .stopped:
                    return false
                }
            }
            if !isServing {
                // Accepted while the listener was closing, before any stream: the client sees a
                // refused connection and sends its checks elsewhere.
                connection.close(promise: nil)
            }
            connection.closeFuture.whenComplete { _ in self.untrack(id) }
        }

        private func untrack(_ id: ObjectIdentifier) {
            let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                switch state {
                case .serving(var connections, let waiter):
                    connections[id] = nil
                    state = .serving(connections: connections, waiter: waiter)
                    return nil
                case .draining(var connections, let waiter):
                    connections[id] = nil
                    if connections.isEmpty {
                        state = .stopped
                        return waiter
                    }
                    state = .draining(connections: connections, waiter: waiter)
                    return nil
                case .stopped:
                    return nil
                }
            }
            waiter?.resume()
        }
    }
}
