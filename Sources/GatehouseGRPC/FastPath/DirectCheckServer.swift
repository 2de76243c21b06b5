import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP2
import NIOPosix
import Synchronization

/// A plaintext listener that serves Envoy's Check (and health Check) straight on SwiftNIO's
/// HTTP/2, one ``CheckStreamHandler`` per stream.
///
/// Graceful shutdown: the listening socket closes at once; checks in flight finish (up to the
/// grace period), then the connections close.
final class DirectCheckServer: Sendable {
    /// The listening channel.
    let channel: any Channel
    private let tracker: Tracker

    private init(channel: any Channel, tracker: Tracker) {
        self.channel = channel
        self.tracker = tracker
    }

    /// Binds `listener` on `group`.
    static func bind(
        _ listener: ListenerConfiguration, group: any EventLoopGroup, endpoint: DirectCheckEndpoint,
        maxConcurrentStreams: Int
    ) async throws -> DirectCheckServer {
        let settings = [HTTP2Setting(parameter: .maxConcurrentStreams, value: maxConcurrentStreams)]
        let tracker = Tracker()
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        if case .tcp = listener.address {
            bootstrap = bootstrap.childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        }
        bootstrap = bootstrap.childChannelInitializer { channel in
            tracker.track(channel)
            return channel.configureHTTP2Pipeline(
                mode: .server, initialLocalSettings: settings, targetWindowSize: 1 << 20,
                inboundStreamInitializer: { stream in
                    stream.eventLoop.makeCompletedFuture {
                        let handler = CheckStreamHandler(endpoint: endpoint) { opened in
                            tracker.streams.add(opened ? 1 : -1, ordering: .relaxed)
                        }
                        try stream.pipeline.syncOperations.addHandler(handler)
                    }
                }
            ).map { _ in }
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
        return DirectCheckServer(channel: channel, tracker: tracker)
    }

    /// Serves until ``beginGracefulShutdown()``, then waits for checks in flight (at most
    /// `gracePeriod`) and closes every connection.
    func serve(gracePeriod: Duration) async throws {
        try await self.channel.closeFuture.get()
        let deadline = ContinuousClock.now + gracePeriod
        while self.tracker.streams.load(ordering: .relaxed) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for connection in self.tracker.connections.withLockedValue({ Array($0.values) }) {
            try? await connection.close()
        }
    }

    /// Stops accepting connections.
    func beginGracefulShutdown() {
        self.channel.close(promise: nil)
    }

    /// The open connections and streams of one listener.
    private final class Tracker: Sendable {
        let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
        let streams = Atomic<Int>(0)

        func track(_ connection: any Channel) {
            let id = ObjectIdentifier(connection)
            self.connections.withLockedValue { $0[id] = connection }
            connection.closeFuture.whenComplete { _ in
                self.connections.withLockedValue { $0[id] = nil }
            }
        }
    }
}
