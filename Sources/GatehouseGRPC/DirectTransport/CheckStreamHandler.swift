import EnvoyAuthAPI
import GRPCCore
import GatehouseCore
import NIOCore
import NIOHPACK
import NIOHTTP2
import SwiftProtobuf

/// One HTTP/2 stream of the direct Check transport: reads a gRPC call, answers it.
///
/// `envoy.service.auth.v3.Authorization/Check`, `grpc.health.v1.Health/Check` and the
/// server-streaming `grpc.health.v1.Health/Watch` are served; anything else is answered
/// UNIMPLEMENTED. A check the cache can answer is answered here, on
/// the event loop, without a task or a thread hop; any other becomes a task whose response is
/// written back on the event loop. The task is cancelled when the stream is reset or closes, or
/// when the call's `grpc-timeout` passes (which answers DEADLINE_EXCEEDED). A check from a
/// caller the listener does not admit (an mTLS client outside `allowedClients`) is denied with
/// `caller_not_allowed` before any policy.
///
/// A Watch sends the current status at once and a new message whenever it changes. The status
/// is re-read on the event loop every `healthPollInterval` and sent only when it differs: it
/// changes when a revision's remote key sets first load (inside `GatehouseIdentity`'s key sources)
/// or a revision is activated, and neither tells anyone; a timer per Watch stream reading one
/// lock per second costs less than threading observers through both. A Watch for an unknown
/// service gets SERVICE_UNKNOWN and stays open, as the health protocol asks (the known services
/// never change, so nothing follows). Shutdown ends a Watch with OK trailers when draining
/// begins (or at once if it starts on a draining connection), so that the client watches
/// elsewhere; the grace period cuts nothing a Watch needs.
final class CheckStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private enum Method {
        case check
        case health
        case watch
    }

    /// Where the stream's one call stands.
    ///
    /// `idle` → `receiving` (headers routed) → `deciding` (a check the cache could not answer) or
    /// `watching` (a health Watch) → `finished`. Any state may go to `finished`: a response or
    /// refusal was written, or the stream closed.
    private enum State {
        /// No headers yet.
        case idle
        /// Headers accepted for `method`; `body` is the request as far as it has arrived.
        case receiving(Method, body: ByteBuffer?)
        /// The request is complete and `task` is deciding it.
        case deciding(Task<Void, Never>)
        /// A health Watch: the response headers and `status` are sent; `poll` re-reads it (`nil`
        /// for an unknown service, whose status never changes).
        case watching(status: Grpc_Health_V1_HealthCheckResponse.ServingStatus, poll: Scheduled<Void>?)
        /// Answered, refused or reset: whatever arrives now is ignored.
        case finished
    }

    private let endpoint: DirectCheckEndpoint
    private let caller: ConnectionCaller
    private var state = State.idle
    private var deadline: Scheduled<Void>?

    init(endpoint: DirectCheckEndpoint, caller: ConnectionCaller = .anyone) {
        self.endpoint = endpoint
        self.caller = caller
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.abandon()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.abandon()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // RST_STREAM from the client: nobody is waiting for the answer any more.
        if event is StreamClosedEvent { self.abandon() }
        // The server is draining: a Watch ends so that its client watches another server.
        if event is ChannelShouldQuiesceEvent, case .watching = self.state { self.endWatch(context) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .headers(let headers):
            switch self.state {
            case .idle:
                self.route(headers.headers, context: context)
                if headers.endStream { self.complete(context: context) }
            case .receiving where headers.endStream:
                // Trailers from the client end the request.
                self.complete(context: context)
            case .receiving, .deciding, .watching, .finished:
                break
            }
        case .data(let frame):
            guard case .byteBuffer(let bytes) = frame.data else { return }
            self.receive(bytes, context: context)
            if frame.endStream { self.complete(context: context) }
        default:
            break
        }
    }

    private func route(_ headers: HPACKHeaders, context: ChannelHandlerContext) {
        let contentType = headers.first(name: "content-type") ?? ""
        guard headers.first(name: ":method") == "POST", contentType.hasPrefix("application/grpc") else {
            self.fail(.invalidArgument, "A gRPC call is a POST with content-type application/grpc.", context)
            return
        }
        if let timeout = headers.first(name: "grpc-timeout") {
            guard let amount = GRPCMessageFraming.timeout(timeout) else {
                self.fail(.invalidArgument, "The grpc-timeout '\(timeout)' is not 1-8 digits and a unit.", context)
                return
            }
            self.deadline = context.eventLoop.assumeIsolated().scheduleTask(in: amount) {
                self.fail(.deadlineExceeded, "The call's grpc-timeout \(timeout) passed.", context)
            }
        }
        switch headers.first(name: ":path") {
        case "/envoy.service.auth.v3.Authorization/Check": self.state = .receiving(.check, body: nil)
        case "/grpc.health.v1.Health/Check": self.state = .receiving(.health, body: nil)
        case "/grpc.health.v1.Health/Watch": self.state = .receiving(.watch, body: nil)
        case let path: self.fail(.unimplemented, "Method not found: \(path ?? "")", context)
        }
    }

    /// Appends `bytes` to the request, refusing it as soon as its prefix shows it compressed or too large.
    private func receive(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        guard case .receiving(let method, let received) = self.state else { return }
        // Leave the state before appending, so that the buffer is not shared and grows in place.
        self.state = .finished
        var body = bytes
        if var received {
            received.writeImmutableBuffer(bytes)
            body = received
        }
        if let flag = body.getInteger(at: body.readerIndex, as: UInt8.self), flag != 0 {
            self.state = .receiving(method, body: nil)
            self.refuseCompressed(context)
            return
        }
        let announced = GRPCMessageFraming.announcedLength(of: body) ?? 0
        guard announced <= self.endpoint.maxRequestBytes, body.readableBytes <= self.endpoint.maxRequestBytes + 5
        else {
            self.state = .receiving(method, body: nil)
            self.fail(.resourceExhausted, "The request exceeds \(self.endpoint.maxRequestBytes) bytes.", context)
            return
        }
        self.state = .receiving(method, body: body)
    }

    private func complete(context: ChannelHandlerContext) {
        guard case .receiving(let method, let received) = self.state else { return }
        guard var body = received else {
            self.fail(.invalidArgument, "The request has no message.", context)
            return
        }
        let message: ByteBuffer
        do {
            message = try GRPCMessageFraming.message(in: &body)
        } catch GRPCMessageFraming.FramingError.compressed {
            self.refuseCompressed(context)
            return
        } catch {
            self.fail(.invalidArgument, "The request is not one gRPC message.", context)
            return
        }
        switch method {
        case .check: self.check(message, context: context)
        case .health: self.health(message, context: context)
        case .watch: self.watch(message, context: context)
        }
    }

    private func check(_ message: ByteBuffer, context: ChannelHandlerContext) {
        let service = self.endpoint.service
        let started = service.pipeline.startTime
        let receivedAt = service.clock()
        guard let request = Self.request(message, receivedAt: receivedAt, paths: service.pipeline.paths) else {
            self.fail(.invalidArgument, "The CheckRequest cannot be decoded.", context)
            return
        }
        let caller: CallerFacts
        switch self.caller.admit(at: receivedAt) {
        case .admitted(let facts):
            caller = facts
        case .refused(let detail):
            self.reply(service.pipeline.callerNotAllowed(request, detail: detail, started: started), context: context)
            return
        }
        switch service.pipeline.prepare(request, caller: caller, started: started) {
        case .decided(let check):
            self.reply(check, context: context)
        case .pending(let pending):
            let promise = context.eventLoop.makePromise(of: CheckPipeline.FinishedCheck.self)
            // An event-loop handler has no task to be the parent of this one. It is not left
            // behind: it is cancelled when the stream resets or closes or its deadline passes,
            // and the server drains every stream before it stops.
            let task = Task { promise.succeed(await pending.finish()) }
            self.state = .deciding(task)
            promise.futureResult.assumeIsolated().whenSuccess { check in
                self.reply(check, context: context)
            }
        }
    }

    /// Answers a check: its `CheckResponse` written straight into the frame (CheckResponse+Wire.swift).
    private func reply(_ check: borrowing CheckPipeline.FinishedCheck, context: ChannelHandlerContext) {
        let framed = Envoy_Service_Auth_V3_CheckResponse.framed(
            check.decision, decisionID: check.decisionID, metadata: self.endpoint.service.pipeline.metadata,
            allocator: context.channel.allocator)
        self.reply(framed: framed, context: context)
    }

    /// The request model of an encoded `CheckRequest`: read straight from the bytes when
    /// ``CheckRequestFields/init(encoded:)`` can, else decoded by swift-protobuf; `nil` when
    /// swift-protobuf refuses it.
    private static func request(
        _ message: ByteBuffer, receivedAt: UnixTime, paths: PathNormalizer.Configuration
    ) -> AuthzRequest? {
        let read = message.withUnsafeReadableBytes {
            AuthzRequest(encodedCheck: $0, receivedAt: receivedAt, paths: paths)
        }
        if let read { return read }
        guard let decoded = try? Envoy_Service_Auth_V3_CheckRequest(serializedBytes: Array(message.readableBytesView))
        else { return nil }
        return AuthzRequest(decoded, receivedAt: receivedAt, paths: paths)
    }

    private func health(_ message: ByteBuffer, context: ChannelHandlerContext) {
        guard let request = try? Grpc_Health_V1_HealthCheckRequest(serializedBytes: Array(message.readableBytesView))
        else {
            self.fail(.invalidArgument, "The HealthCheckRequest cannot be decoded.", context)
            return
        }
        guard HealthService.knownServices.contains(request.service) else {
            self.fail(.notFound, "Unknown service '\(request.service)'.", context)
            return
        }
        self.reply(HealthService.response(isServing: self.endpoint.isServing()), context: context)
    }

    private func watch(_ message: ByteBuffer, context: ChannelHandlerContext) {
        guard let request = try? Grpc_Health_V1_HealthCheckRequest(serializedBytes: Array(message.readableBytesView))
        else {
            self.fail(.invalidArgument, "The HealthCheckRequest cannot be decoded.", context)
            return
        }
        let isKnown = HealthService.knownServices.contains(request.service)
        let status = isKnown ? self.currentStatus : .serviceUnknown
        context.write(self.wrapOutboundOut(.headers(.init(headers: GRPCMessageFraming.responseHeaders))), promise: nil)
        self.state = .watching(status: status, poll: isKnown ? self.schedulePoll(context) : nil)
        self.send(status, context)
        if Self.isDraining(context) { self.endWatch(context) }
    }

    private var currentStatus: Grpc_Health_V1_HealthCheckResponse.ServingStatus {
        HealthService.response(isServing: self.endpoint.isServing()).status
    }

    private func schedulePoll(_ context: ChannelHandlerContext) -> Scheduled<Void> {
        context.eventLoop.assumeIsolated().scheduleTask(in: self.endpoint.healthPollInterval) {
            self.poll(context)
        }
    }

    /// Sends the status if it changed since the last message, and schedules the next look.
    private func poll(_ context: ChannelHandlerContext) {
        guard case .watching(let last, _) = self.state else { return }
        let status = self.currentStatus
        self.state = .watching(status: status, poll: self.schedulePoll(context))
        if status != last { self.send(status, context) }
    }

    private func send(_ status: Grpc_Health_V1_HealthCheckResponse.ServingStatus, _ context: ChannelHandlerContext) {
        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = status
        // A two-field message always encodes.
        guard let framed = try? GRPCMessageFraming.frame(response, allocator: context.channel.allocator) else { return }
        context.writeAndFlush(self.wrapOutboundOut(.data(.init(data: .byteBuffer(framed)))), promise: nil)
    }

    /// Ends a Watch with OK trailers.
    private func endWatch(_ context: ChannelHandlerContext) {
        guard self.finish() else { return }
        context.writeAndFlush(
            self.wrapOutboundOut(.headers(.init(headers: GRPCMessageFraming.trailers(.ok), endStream: true))),
            promise: nil)
    }

    /// Whether the stream's connection has begun draining (shutdown or idle timeout).
    private static func isDraining(_ context: ChannelHandlerContext) -> Bool {
        // The connection's channel runs on the stream's event loop, so its pipeline may be read here.
        guard let parent = context.channel.parent,
            let connection = try? parent.pipeline.syncOperations.handler(type: DirectConnectionHandler.self)
        else { return false }
        return connection.isDraining
    }

    private func reply(_ response: some SwiftProtobuf.Message, context: ChannelHandlerContext) {
        let framed: ByteBuffer
        do {
            framed = try GRPCMessageFraming.frame(response, allocator: context.channel.allocator)
        } catch {
            guard self.finish() else { return }
            self.writeTrailersOnly(.internalError, "The response cannot be encoded.", context)
            return
        }
        self.reply(framed: framed, context: context)
    }

    /// Sends one framed response message and the OK trailers.
    private func reply(framed: ByteBuffer, context: ChannelHandlerContext) {
        guard self.finish() else { return }
        context.write(self.wrapOutboundOut(.headers(.init(headers: GRPCMessageFraming.responseHeaders))), promise: nil)
        context.write(self.wrapOutboundOut(.data(.init(data: .byteBuffer(framed)))), promise: nil)
        context.writeAndFlush(
            self.wrapOutboundOut(.headers(.init(headers: GRPCMessageFraming.okTrailers, endStream: true))),
            promise: nil)
    }

    /// The gRPC protocol's answer to a compression the server does not support.
    private func refuseCompressed(_ context: ChannelHandlerContext) {
        self.fail(
            .unimplemented, "Compressed messages are not accepted; send them uncompressed (identity).", context,
            extraHeaders: [("grpc-accept-encoding", "identity")])
    }

    private func fail(
        _ status: Status.Code, _ message: String, _ context: ChannelHandlerContext,
        extraHeaders: [(String, String)] = []
    ) {
        // A Watch has sent its response headers; its status goes in trailers.
        let isWatching = if case .watching = self.state { true } else { false }
        guard self.finish() else { return }
        if isWatching {
            context.writeAndFlush(
                self.wrapOutboundOut(
                    .headers(.init(headers: GRPCMessageFraming.trailers(status, message: message), endStream: true))),
                promise: nil)
            return
        }
        self.writeTrailersOnly(status, message, context, extraHeaders: extraHeaders)
    }

    private func writeTrailersOnly(
        _ status: Status.Code, _ message: String, _ context: ChannelHandlerContext,
        extraHeaders: [(String, String)] = []
    ) {
        var headers = GRPCMessageFraming.trailersOnly(status, message: message)
        headers.add(contentsOf: extraHeaders)
        context.writeAndFlush(self.wrapOutboundOut(.headers(.init(headers: headers, endStream: true))), promise: nil)
    }

    /// Moves to `finished`, cancelling the pending work and the deadline; false if already there.
    private func finish() -> Bool {
        self.deadline?.cancel()
        self.deadline = nil
        switch self.state {
        case .finished:
            return false
        case .deciding(let task):
            task.cancel()
        case .watching(_, let poll):
            poll?.cancel()
        case .idle, .receiving:
            break
        }
        self.state = .finished
        return true
    }

    /// The stream is gone: cancels whatever is still pending for it.
    private func abandon() {
        _ = self.finish()
    }
}

/// What every stream of a direct Check listener shares.
struct DirectCheckEndpoint: Sendable {
    /// Decides checks (its cache is shared with every listener).
    let service: AuthorizationService
    /// Whether health answers SERVING.
    let isServing: @Sendable () -> Bool
    /// The largest CheckRequest accepted.
    let maxRequestBytes: Int
    /// How often a health Watch re-reads `isServing`.
    var healthPollInterval: TimeAmount = .seconds(1)
}
