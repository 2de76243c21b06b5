import GatehouseCore
import GatehouseFrontDoor
import NIOCore
import NIOHTTP1

/// What every connection of the HTTP door answers with.
struct HTTPAuthzEndpoint: Sendable {
    /// The one check pipeline (shared with the gRPC door: the same cache and decision log).
    let pipeline: CheckPipeline
    /// The configured path prefixes.
    let routes: [PathPrefixRoute]
}

/// One HTTP/1.1 connection or one HTTP/2 stream of the HTTP door: each request Envoy forwards is one check.
///
/// On HTTP/1.1, behind NIO's server pipeline with pipelining assistance, so requests reach it one at
/// a time and a quiescing connection closes once its request in flight is answered; on HTTP/2,
/// behind swift-nio-http2's translation of the stream into HTTP/1's parts. A cache hit
/// or a denial before any policy is answered on the event loop; a check that needs verification
/// runs as a task whose answer comes back to the event loop. The request body, which Envoy sends
/// only with `with_request_body`, is not read.
final class HTTPAuthzHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let endpoint: HTTPAuthzEndpoint
    private let caller: ConnectionCaller
    /// The head of the request being read, until its end arrives.
    private var head: HTTPRequestHead?
    /// The verification and evaluation of the request being decided, cancelled if the connection closes.
    private var deciding: Task<Void, Never>?

    init(endpoint: HTTPAuthzEndpoint, caller: ConnectionCaller) {
        self.endpoint = endpoint
        self.caller = caller
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            self.check(head, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.deciding?.cancel()
        self.deciding = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // An idle connection (no request for the idle timeout) is closed; Envoy opens another when it needs one.
        if event is IdleStateHandler.IdleStateEvent, self.deciding == nil {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func check(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let pipeline = self.endpoint.pipeline
        let started = pipeline.startTime
        // An HTTP/2 stream ends with its answer and the connection stays; HTTP/1's rules otherwise.
        let keepAlive = head.version.major >= 2 || head.isKeepAlive
        switch self.caller.admit(at: pipeline.clock()) {
        case .refused(let detail):
            let request = AuthzRequest(
                httpAuthz: head, routes: self.endpoint.routes, trustsForwardedIdentity: false,
                receivedAt: pipeline.clock(), paths: pipeline.paths)
            let check = pipeline.callerNotAllowed(request, detail: detail, started: started)
            self.answer(check, version: head.version, keepAlive: keepAlive, context: context)
        case .admitted(let facts):
            let request = AuthzRequest(
                httpAuthz: head, routes: self.endpoint.routes, trustsForwardedIdentity: facts.trustsForwardedIdentity,
                receivedAt: pipeline.clock(), paths: pipeline.paths)
            switch pipeline.prepare(request, caller: facts, started: started) {
            case .decided(let check):
                self.answer(check, version: head.version, keepAlive: keepAlive, context: context)
            case .pending(let pending):
                let promise = context.eventLoop.makePromise(of: CheckPipeline.FinishedCheck.self)
                // The pipeline's verification is async (key sets, certificate chains) and this
                // runs on the event loop with no task to be its parent: the task is the
                // request's, cancelled with the connection (`channelInactive`).
                self.deciding = Task { promise.succeed(await pending.finish()) }
                promise.futureResult.assumeIsolated().whenSuccess { check in
                    self.deciding = nil
                    self.answer(check, version: head.version, keepAlive: keepAlive, context: context)
                }
            }
        }
    }

    private func answer(
        _ check: CheckPipeline.FinishedCheck, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext
    ) {
        guard context.channel.isActive else { return }
        let answer = HTTPAuthzAnswer(
            check.decision, decisionID: check.decisionID, version: version, keepAlive: keepAlive,
            metadata: self.endpoint.pipeline.metadata)
        context.write(self.wrapOutboundOut(.head(answer.head)), promise: nil)
        if !answer.body.isEmpty {
            context.write(
                self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: answer.body)))),
                promise: nil)
        }
        let written = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
