import EnvoyAuthAPI
import GatehouseCore
import NIOCore
import NIOHPACK
import NIOHTTP2
import SwiftProtobuf

/// One HTTP/2 stream of the direct Check transport: reads a unary gRPC call, answers it.
///
/// `envoy.service.auth.v3.Authorization/Check` and `grpc.health.v1.Health/Check` are served;
/// anything else is answered UNIMPLEMENTED. A check the cache can answer is answered here, on
/// the event loop, without a task or a thread hop; any other becomes a task whose response is
/// written back on the event loop.
final class CheckStreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private enum Method {
        case check
        case health
    }

    private let endpoint: DirectCheckEndpoint
    private let onStream: @Sendable (_ opened: Bool) -> Void
    private var method: Method?
    private var body: ByteBuffer?
    private var finished = false

    /// - Parameter onStream: Told when the stream opens and closes, so that graceful shutdown
    ///   can wait for checks in flight.
    init(endpoint: DirectCheckEndpoint, onStream: @escaping @Sendable (_ opened: Bool) -> Void = { _ in }) {
        self.endpoint = endpoint
        self.onStream = onStream
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.onStream(true)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.onStream(false)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.finished else { return }
        switch self.unwrapInboundIn(data) {
        case .headers(let headers):
            if self.method == nil {
                self.route(headers.headers, context: context)
                if !self.finished, headers.endStream { self.complete(context: context) }
            } else if headers.endStream {
                // Trailers from the client end the request.
                self.complete(context: context)
            }
        case .data(let frame):
            guard case .byteBuffer(var bytes) = frame.data else { return }
            if self.body == nil {
                self.body = bytes
            } else {
                self.body!.writeBuffer(&bytes)
            }
            let announced = self.body.flatMap(GRPCMessageFraming.announcedLength(of:)) ?? 0
            if announced > self.endpoint.maxRequestBytes || self.body!.readableBytes > self.endpoint.maxRequestBytes + 5
            {
                self.fail(.resourceExhausted, "The request exceeds \(self.endpoint.maxRequestBytes) bytes.", context)
                return
            }
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
        switch headers.first(name: ":path") {
        case "/envoy.service.auth.v3.Authorization/Check": self.method = .check
        case "/grpc.health.v1.Health/Check": self.method = .health
        case let path: self.fail(.unimplemented, "Method not found: \(path ?? "")", context)
        }
    }

    private func complete(context: ChannelHandlerContext) {
        guard var body = self.body else {
            self.fail(.invalidArgument, "The request has no message.", context)
            return
        }
        self.body = nil
        let message: ByteBuffer
        do {
            message = try GRPCMessageFraming.message(in: &body)
        } catch {
            self.fail(.invalidArgument, "The request is not one uncompressed gRPC message.", context)
            return
        }
        switch self.method {
        case .check: self.check(message, context: context)
        case .health: self.health(message, context: context)
        case nil: self.fail(.invalidArgument, "The request has no headers.", context)
        }
    }

    private func check(_ message: ByteBuffer, context: ChannelHandlerContext) {
        let request: Envoy_Service_Auth_V3_CheckRequest
        do {
            request = try Envoy_Service_Auth_V3_CheckRequest(serializedBytes: Array(message.readableBytesView))
        } catch {
            self.fail(.invalidArgument, "The CheckRequest cannot be decoded.", context)
            return
        }
        switch self.endpoint.service.prepare(request, caller: CallerFacts()) {
        case .answered(let response):
            self.reply(response, context: context)
        case .pending(let pending):
            let promise = context.eventLoop.makePromise(of: Envoy_Service_Auth_V3_CheckResponse.self)
            promise.completeWithTask { await pending.response() }
            promise.futureResult.assumeIsolated().whenSuccess { response in
                self.reply(response, context: context)
            }
        }
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

    private func reply(_ response: some SwiftProtobuf.Message, context: ChannelHandlerContext) {
        guard !self.finished else { return }
        self.finished = true
        let framed: ByteBuffer
        do {
            framed = try GRPCMessageFraming.frame(response, allocator: context.channel.allocator)
        } catch {
            self.finished = false
            self.fail(.internalError, "The response cannot be encoded.", context)
            return
        }
        context.write(self.wrapOutboundOut(.headers(.init(headers: GRPCMessageFraming.responseHeaders))), promise: nil)
        context.write(self.wrapOutboundOut(.data(.init(data: .byteBuffer(framed)))), promise: nil)
        context.writeAndFlush(
            self.wrapOutboundOut(.headers(.init(headers: GRPCMessageFraming.trailers(.ok), endStream: true))),
            promise: nil)
    }

    private func fail(_ status: GRPCStatusCode, _ message: String, _ context: ChannelHandlerContext) {
        guard !self.finished else { return }
        self.finished = true
        self.body = nil
        let headers = GRPCMessageFraming.trailersOnly(status, message: message)
        context.writeAndFlush(self.wrapOutboundOut(.headers(.init(headers: headers, endStream: true))), promise: nil)
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
}
