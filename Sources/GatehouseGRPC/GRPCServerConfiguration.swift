package import GatehouseFrontDoor
import NIOCore

/// The gRPC side of `gatehouse serve`: where to listen and how.
package struct GRPCServerConfiguration: Sendable, Hashable {
    /// The listeners; each serves the same services.
    package var listeners: [ListenerConfiguration]
    /// Concurrent streams per HTTP/2 connection; Envoy multiplexes all checks over few connections.
    package var maxConcurrentStreams: Int
    /// The largest CheckRequest accepted, in bytes; larger ones fail with RESOURCE_EXHAUSTED.
    package var maxRequestBytes: Int
    /// How long a connection may be silent (nothing read) before the server pings it; zero never pings.
    package var keepaliveTime: Duration
    /// How long after its ping a silent connection may stay silent before the server closes it (GOAWAY first).
    package var keepaliveTimeout: Duration
    /// How long graceful shutdown waits for in-flight checks before the process exits anyway.
    ///
    /// On shutdown each connection gets GOAWAY and its checks in flight finish; a connection
    /// still open this long after its GOAWAY is closed, cutting off what it still carries.
    package var shutdownGracePeriod: Duration
    /// How long a connection may carry no call before the server closes it (with GOAWAY, so no
    /// call is cut off); `nil` keeps idle connections open.
    package var idleTimeout: Duration?
    /// Event-loop threads for all listeners; `nil` runs one per core (``resolvedEventLoopThreads``).
    package var eventLoopThreads: Int?

    /// The event-loop threads to run: as configured, else one per core.
    ///
    /// Measured through Envoy on 2 cores (`deploy/bench/load.sh`): two threads served 9,043
    /// checks/s against 8,571 with one (66 against 58 µs of CPU per check), and twice the direct
    /// h2load throughput.
    package var resolvedEventLoopThreads: Int {
        self.eventLoopThreads ?? System.coreCount
    }

    package init(
        listeners: [ListenerConfiguration] = [ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 9191))],
        maxConcurrentStreams: Int = 4096,
        maxRequestBytes: Int = 4 * 1024 * 1024,
        keepaliveTime: Duration = .seconds(30),
        keepaliveTimeout: Duration = .seconds(10),
        shutdownGracePeriod: Duration = .seconds(10),
        idleTimeout: Duration? = .seconds(300),
        eventLoopThreads: Int? = nil
    ) {
        self.listeners = listeners
        self.maxConcurrentStreams = maxConcurrentStreams
        self.maxRequestBytes = maxRequestBytes
        self.keepaliveTime = keepaliveTime
        self.keepaliveTimeout = keepaliveTimeout
        self.shutdownGracePeriod = shutdownGracePeriod
        self.idleTimeout = idleTimeout
        self.eventLoopThreads = eventLoopThreads
    }

    /// One plaintext listener on `127.0.0.1:9191`, the port OPA-Envoy users know.
    package static var defaults: Self { Self() }
}
