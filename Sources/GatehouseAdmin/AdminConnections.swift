package import GatehouseCore
import NIOCore
import Synchronization

/// The verified client certificate of each open mTLS connection, so that a request can find the
/// peer its connection's handshake verified.
///
/// The TLS handshake records the peer before any request can arrive on the connection, and the
/// entry goes when the connection closes (its identity cannot be reused while it is open).
package final class AdminConnections: Sendable {
    private let peers = Mutex<[ObjectIdentifier: PeerIdentity]>([:])

    package init() {}

    /// Keeps `peer` for `channel`'s requests until the channel closes.
    func record(_ peer: PeerIdentity, for channel: any Channel) {
        let key = ObjectIdentifier(channel)
        self.peers.withLock { $0[key] = peer }
        channel.closeFuture.whenComplete { _ in self.peers.withLock { _ = $0.removeValue(forKey: key) } }
    }

    /// The verified peer of the connection `key` names, if its handshake verified one.
    func peer(of key: ObjectIdentifier) -> PeerIdentity? {
        self.peers.withLock { $0[key] }
    }

    /// How many connections carry a verified peer now.
    package var count: Int { self.peers.withLock { $0.count } }
}
