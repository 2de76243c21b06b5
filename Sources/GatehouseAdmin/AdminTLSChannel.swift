import GatehouseCore
import GatehouseTLS
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// TLS in front of the admin API's HTTP/1.1, verifying client certificates like every other
/// mTLS listener: each connection gets a TLS context of its own (no session resumption skips
/// verification) and its chain goes through the listener's ``ListenerPeerVerifier`` during the
/// handshake (``HandshakeVerification``). The verified peer is kept in ``AdminConnections`` for
/// the connection's requests.
///
/// HummingbirdTLS shares one context between connections and hands the request no verified
/// peer, so the admin listener wraps the HTTP/1 channel itself.
struct AdminTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let configuration: TLSConfiguration
    /// `nil` on a TLS listener that asks for no client certificate (bearer tokens only).
    let handshake: HandshakeVerification?
    /// The context of a listener that verifies no client certificate, shared by its connections.
    let sharedContext: NIOSSLContext
    let connections: AdminConnections

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let handler: NIOSSLServerHandler
            if let handshake = self.handshake {
                let connections = self.connections
                handler = try handshake.serverHandler(configuration: self.configuration) { peer in
                    connections.record(peer.identity, for: channel)
                }
            } else {
                handler = NIOSSLServerHandler(context: self.sharedContext)
            }
            try channel.pipeline.syncOperations.addHandler(handler)
        }.flatMap {
            self.base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await self.base.handle(value: value, logger: logger)
    }
}
