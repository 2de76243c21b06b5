import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A loopback HTTP/1.1 server whose answers the test sets per path, counting requests.
final class LoopbackHTTPServer: Sendable {
    /// One canned answer.
    struct Answer: Sendable {
        var status: HTTPResponseStatus = .ok
        var body: String
        var cacheControl: String?
    }

    /// The answers and counts, shared with the connection handlers.
    final class State: Sendable {
        let answers = Mutex<[String: Answer]>([:])
        let counts = Mutex<[String: Int]>([:])
    }

    private let state = State()
    private let channel: any Channel
    /// The port it listens on (127.0.0.1).
    let port: Int

    init() async throws {
        let state = self.state
        self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(Handler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.port = self.channel.localAddress?.port ?? 0
    }

    /// The base URL, e.g. `http://127.0.0.1:4711`.
    var baseURL: String { "http://127.0.0.1:\(self.port)" }

    /// Sets what `path` answers.
    func answer(_ path: String, _ answer: Answer) {
        self.state.answers.withLock { $0[path] = answer }
    }

    /// How many requests `path` received.
    func requests(to path: String) -> Int {
        self.state.counts.withLock { $0[path, default: 0] }
    }

    /// Stops listening: later fetches fail to connect.
    func stop() async throws {
        try await self.channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let state: State
        var path = ""

        init(state: State) { self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head):
                self.path = head.uri
                self.state.counts.withLock { $0[head.uri, default: 0] += 1 }
            case .body: break
            case .end:
                let answer =
                    self.state.answers.withLock { $0[self.path] } ?? Answer(status: .notFound, body: "not found")
                var headers = HTTPHeaders([("content-type", "application/json"), ("connection", "close")])
                headers.add(name: "content-length", value: String(answer.body.utf8.count))
                if let cacheControl = answer.cacheControl { headers.add(name: "cache-control", value: cacheControl) }
                context.write(
                    self.wrapOutboundOut(
                        .head(HTTPResponseHead(version: .http1_1, status: answer.status, headers: headers))),
                    promise: nil)
                context.write(
                    self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: answer.body)))), promise: nil)
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                    loopBound.value.close(promise: nil)
                }
            }
        }
    }
}
