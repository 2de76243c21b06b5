import GatehouseCore
import HTTPTypes
import NIOCore
import NIOHTTP1

/// One HTTP/1.1 connection of the AuthZEN listener, behind NIO's server pipeline with pipelining
/// assistance (requests reach it one at a time).
///
/// The head is judged at once (``AdminAPI/startAuthZEN(_:)``: 404, 405, metadata, 401/403); an
/// admitted call's body is gathered up to ``AdminAPI/maxEvaluationBytes`` (a larger one is 413 and
/// the connection closes without reading the rest), then answered by
/// ``AdminAPI/finishAuthZEN(_:_:body:)``: on the event loop when every evaluation is
/// decided at once, else from a task whose answer comes back to the event loop.
///
/// A slow client cannot hold the connection: a request whose head and body do not arrive within
/// the request timeout is answered 408 and the connection closed; a connection that sends
/// nothing for the idle timeout is closed (unless its answer is being decided).
final class AuthZENHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// What every connection of a listener shares.
    struct Endpoint: Sendable {
        let api: AdminAPI
        let idleTimeout: Duration
        let requestTimeout: Duration
    }

    /// The request being read, from its head to its end.
    private struct Reading {
        var call: AuthZENCall
        var admission: AuthZENAdmission
        /// The body so far: the first part as it came, the others appended to it; `nil` before any.
        var body: ByteBuffer?
    }

    /// Where the connection is in its current request.
    private enum State {
        /// Between requests.
        case idle
        /// An admitted call's body arriving.
        case reading(Reading, HTTPRequestHead)
        /// The answer is known from the head; its body is read and dropped.
        case discarding(AdminReply, HTTPRequestHead)
        /// The answer is being decided or written; the rest of the request, if any, is dropped.
        case answering
        /// Answered before its body was read (413): the rest of the body is dropped, and the
        /// connection closes when it ends (or at the request timeout).
        case draining
    }

    private let endpoint: Endpoint
    /// The client certificate the connection's handshake verified, looked up once, at the first
    /// request (the handshake records it before any request can arrive), not at every request
    /// under the listener's shared lock.
    private var peer: PeerIdentity??
    private var state = State.idle
    /// The request timeout of the request being read.
    private var deadline: Scheduled<Void>?
    /// The evaluation being decided, cancelled if the connection closes.
    private var deciding: Task<Void, Never>?

    init(endpoint: Endpoint) {
        self.endpoint = endpoint
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.begin(head, context: context)
        case .body(let part):
            guard case .reading(var reading, let head) = self.state else { return }
            let received = reading.body?.readableBytes ?? 0
            guard received + part.readableBytes <= AdminAPI.maxEvaluationBytes else {
                self.finish(reading, head: head, body: .tooLarge, context: context)
                return
            }
            // Take the buffer out of the state so that appending does not copy it.
            self.state = .answering
            if var body = reading.body {
                reading.body = nil
                body.writeImmutableBuffer(part)
                reading.body = body
            } else {
                // The first part is kept as it came (most bodies arrive in one): no copy.
                reading.body = part
            }
            self.state = .reading(reading, head)
        case .end:
            self.deadline?.cancel()
            self.deadline = nil
            switch self.state {
            case .reading(let reading, let head):
                self.finish(reading, head: head, body: .bytes(reading.body ?? ByteBuffer()), context: context)
            case .discarding(let reply, let head):
                self.write(reply, head: head, context: context)
            case .draining:
                context.close(promise: nil)
            case .idle, .answering:
                break
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.deadline?.cancel()
        self.deciding?.cancel()
        self.deciding = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Nothing received for the idle timeout: between requests or in the middle of one, the
        // connection goes; one whose answer is being decided stays until it is written.
        if event is IdleStateHandler.IdleStateEvent {
            if case .answering = self.state { return }
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A request's head: answered from it, or admitted to read its body.
    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let api = self.endpoint.api
        let path = head.uri.firstIndex(of: "?").map { String(head.uri[..<$0]) } ?? head.uri
        let call = AuthZENCall(
            // NIO's parser accepts only token methods, which HTTPTypes accepts too; the fallback is unreachable.
            method: HTTPRequest.Method(head.method.rawValue) ?? .connect, path: path,
            authority: head.headers.first(name: "host"), scheme: api.scheme,
            authorization: head.headers.first(name: "authorization"),
            requestID: head.headers.first(name: "x-request-id"),
            peer: self.connectionPeer(context: context), receivedAt: api.clock())
        let timeout = TimeAmount(self.endpoint.requestTimeout)
        self.deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.timedOut(context: context)
        }
        switch api.startAuthZEN(call) {
        case .answered(let reply):
            self.state = .discarding(reply, head)
        case .readBody(let admission):
            let reading = Reading(call: call, admission: admission, body: nil)
            let length = head.headers.first(name: "content-length").flatMap { Int($0) }
            if let length, length > AdminAPI.maxEvaluationBytes {
                self.finish(reading, head: head, body: .tooLarge, context: context)
                return
            }
            // A client that waits for leave to send its body (curl does past 1 MiB) gets it now, once admitted.
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(
                    self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))),
                    promise: nil)
            }
            self.state = .reading(reading, head)
        }
    }

    /// The connection's verified client certificate, if any: looked up at its first request and kept.
    private func connectionPeer(context: ChannelHandlerContext) -> PeerIdentity? {
        if let peer = self.peer { return peer }
        let peer = self.endpoint.api.connections.peer(of: ObjectIdentifier(context.channel))
        self.peer = .some(peer)
        return peer
    }

    /// The request did not arrive within the request timeout: 408, and the connection closes.
    private func timedOut(context: ChannelHandlerContext) {
        self.deadline = nil
        switch self.state {
        case .reading(_, let head), .discarding(_, let head):
            self.state = .answering
            let reply = AdminResponse.json(
                AdminDTO.Error(
                    error: "request_timeout",
                    message:
                        "The request did not arrive within \(self.endpoint.requestTimeout); send the whole request at once."
                ), status: .requestTimeout)
            self.write(reply, head: head, then: .close, context: context)
        case .draining:
            context.close(promise: nil)
        case .idle, .answering:
            break
        }
    }

    /// Answers an admitted call: now, or once the pipeline has decided. A body too large is
    /// answered 413 at once; the rest of it is dropped and the connection closes when it ends.
    private func finish(_ reading: Reading, head: HTTPRequestHead, body: AuthZENBody, context: ChannelHandlerContext) {
        self.state = .answering
        let step = self.endpoint.api.finishAuthZEN(reading.call, reading.admission, body: body)
        let afterwards: Afterwards
        if case .tooLarge = body { afterwards = .drain } else { afterwards = .keepAlive }
        switch step {
        case .answered(let reply):
            self.write(reply, head: head, then: afterwards, context: context)
        case .pending(let wait):
            let promise = context.eventLoop.makePromise(of: AdminReply.self)
            // The pipeline's verification is async (key sets, certificate chains) and this runs on
            // the event loop with no task to be its parent: the task is the request's, cancelled
            // with the connection (`channelInactive`).
            self.deciding = Task { promise.succeed(await wait()) }
            promise.futureResult.assumeIsolated().whenSuccess { reply in
                self.deciding = nil
                self.write(reply, head: head, then: afterwards, context: context)
            }
        }
    }

    /// What happens to the connection once an answer is written.
    private enum Afterwards {
        /// It stays open if the request allows keep-alive.
        case keepAlive
        /// It closes once the answer is written (408).
        case close
        /// It closes when the request's dropped body ends (413): `connection: close` is announced.
        case drain
    }

    /// Writes `reply` as the answer to `head`.
    private func write(
        _ reply: AdminReply, head: HTTPRequestHead, then afterwards: Afterwards = .keepAlive,
        context: ChannelHandlerContext
    ) {
        guard context.channel.isActive else { return }
        let keepAlive = head.isKeepAlive && afterwards == .keepAlive
        var headers = NIOHTTP1.HTTPHeaders()
        for field in reply.headers { headers.add(name: field.name.rawName, value: field.value) }
        headers.add(name: "content-length", value: String(reply.body.readableBytes))
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        } else if head.version.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        let status = HTTPResponseStatus(statusCode: reply.status.code, reasonPhrase: reply.status.reasonPhrase)
        context.write(
            self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
            promise: nil)
        if reply.body.readableBytes > 0 {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(reply.body))), promise: nil)
        }
        let written = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
        switch afterwards {
        case .drain:
            self.state = .draining
        case .close, .keepAlive:
            self.state = keepAlive ? .idle : .answering
            if !keepAlive { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
        }
    }
}
