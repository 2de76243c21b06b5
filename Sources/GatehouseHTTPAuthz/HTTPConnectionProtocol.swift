import NIOCore
import NIOHTTP1
import NIOHTTP2

/// The first handler of every HTTP-door connection: reads until it knows whether the client speaks
/// HTTP/1.1 or HTTP/2 with prior knowledge (h2c, or h2 over TLS without ALPN), then sets up the
/// pipeline for that protocol behind itself, hands over what it read and leaves.
///
/// Envoy's `http_service` speaks HTTP/1.1 unless its cluster has `http2_protocol_options`; then it
/// opens with HTTP/2's connection preface (RFC 9113 §3.4) and no upgrade dance, on plaintext and on
/// TLS alike. One listener serves both, so switching only takes a change in Envoy's cluster.
final class HTTPConnectionProtocolDetector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Sets the pipeline up for one protocol; called once, on the event loop, before the bytes read so far are handed on.
    typealias Configure = (ChannelPipeline.SynchronousOperations, HTTPConnectionProtocol) throws -> Void

    private let configure: Configure
    private var received: ByteBuffer?

    init(configure: @escaping Configure) {
        self.configure = configure
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        if var received = self.received {
            received.writeBuffer(&bytes)
            self.received = received
        } else {
            self.received = bytes
        }
        guard let received = self.received, let detected = HTTPConnectionProtocol.detect(received.readableBytesView)
        else { return }
        self.received = nil
        do {
            try self.configure(context.pipeline.syncOperations, detected)
        } catch {
            context.fireErrorCaught(error)
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(self.wrapInboundOut(received))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A connection told to quiesce before its first request has nothing to finish.
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// The protocol one connection of the HTTP door speaks.
package enum HTTPConnectionProtocol: Sendable {
    case http1
    /// HTTP/2 from its first byte: h2c (prior knowledge) on plaintext and Unix sockets, or over TLS.
    case http2

    /// HTTP/2's client connection preface.
    private static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// HTTP/2 once the whole preface has arrived, HTTP/1.1 at the first byte that differs from it,
    /// `nil` while what arrived is a part of it.
    package static func detect(_ bytes: some Collection<UInt8>) -> Self? {
        let count = min(bytes.count, Self.preface.count)
        if !zip(bytes.prefix(count), Self.preface).allSatisfy({ $0 == $1 }) { return .http1 }
        return count == Self.preface.count ? .http2 : nil
    }
}
