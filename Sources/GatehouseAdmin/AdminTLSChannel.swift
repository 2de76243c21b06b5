import HummingbirdCore
import Logging
import NIOCore

/// TLS in front of the admin API's HTTP/1.1 (``AdminListenerTLS``, the same as the AuthZEN
/// listener's).
///
/// HummingbirdTLS shares one context between connections and hands the request no verified
/// peer, so the admin listener wraps the HTTP/1 channel itself.
struct AdminTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let tls: AdminListenerTLS

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try self.tls.configure(channel)
        }.flatMap {
            self.base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await self.base.handle(value: value, logger: logger)
    }
}
