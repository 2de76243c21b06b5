package import GatehouseCore
import GatehouseFrontDoor
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
    /// The random bits of the decision ids of this handler's checks.
    private var decisionIDs: DecisionIDEntropy

    /// - Parameter idsAtOnce: How many checks' decision id bits one `getrandom` fetches: many on
    ///   an HTTP/1.1 connection, which carries request after request; one on an HTTP/2 stream.
    init(endpoint: HTTPAuthzEndpoint, caller: ConnectionCaller, idsAtOnce: Int) {
        self.endpoint = endpoint
        self.caller = caller
        self.decisionIDs = DecisionIDEntropy(idsAtOnce: idsAtOnce)
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
        // One reading of the clock: the caller's admission, the request's time and its decision id's.
        let now = pipeline.clock()
        switch self.caller.admit(at: now) {
        case .refused(let detail):
            let request = AuthzRequest(
                httpAuthz: head, routes: self.endpoint.routes, trustsForwardedIdentity: false,
                receivedAt: now, paths: pipeline.paths)
            let check = pipeline.callerNotAllowed(request, detail: detail, started: started)
            self.answer(check, version: head.version, keepAlive: keepAlive, context: context)
        case .admitted(let facts):
            let request = AuthzRequest(
                httpAuthz: head, routes: self.endpoint.routes, trustsForwardedIdentity: facts.trustsForwardedIdentity,
                receivedAt: now, paths: pipeline.paths)
            let decisionID = self.decisionIDs.next(at: now)
            switch pipeline.prepare(request, caller: facts, started: started, decisionID: decisionID) {
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
        if keepAlive {
            // No promise: nothing waits for the write.
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }
}

/// The random bits of decision ids, fetched for many ids with one `getentropy` call where
/// `DecisionID.make()` makes two calls an id (each a system call; 1.6 % of an HTTP-mode check).
///
/// Each id has the shape of every decision id (``DecisionID/make(at:entropy:)``: the time's
/// milliseconds and 80 random bits from the kernel's CSPRNG). Bound to one handler, hence to its
/// event loop; never shared between threads.
package struct DecisionIDEntropy {
    /// Two random words an id; `next` is the index of the next unused pair's first word.
    private var words: [UInt64]
    private var next: Int

    /// The most ids one refill fetches: `getentropy` gives at most 256 bytes a call.
    package static let maxIDsAtOnce = 16

    /// - Parameter idsAtOnce: How many ids' bits one refill fetches (1 to ``maxIDsAtOnce``).
    package init(idsAtOnce: Int) {
        self.words = [UInt64](repeating: 0, count: 2 * min(max(1, idsAtOnce), Self.maxIDsAtOnce))
        self.next = self.words.count
    }

    /// A new decision id for a check at `time`.
    package mutating func next(at time: UnixTime) -> String {
        if self.next == self.words.count {
            self.words.withUnsafeMutableBytes { Self.fill($0) }
            self.next = 0
        }
        defer { self.next += 2 }
        return DecisionID.make(at: time, entropy: (self.words[self.next], self.words[self.next + 1]))
    }

    /// Fills `bytes` (at most 256) from the system's CSPRNG (`getentropy`: `getrandom` on
    /// Linux); from the standard library's generator if the call fails.
    static func fill(_ bytes: UnsafeMutableRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        if getentropy(base, bytes.count) != 0 {
            var generator = SystemRandomNumberGenerator()
            for index in 0..<bytes.count { bytes[index] = generator.next() }
        }
    }
}
