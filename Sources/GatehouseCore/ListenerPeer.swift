/// The client at the other end of a TLS listener's connection (Envoy), verified during the handshake.
///
/// A transport asks a ``ListenerPeerVerifier`` about the certificates the client presented and
/// keeps what it answers for the life of the connection; every check on that connection carries
/// it in ``CallerFacts/listenerPeer``. It is the client of the ext_authz call, not the end user
/// whose request Envoy asks about.
package struct ListenerPeer: Sendable, Hashable {
    /// The verified path, DER-encoded, leaf first and trust anchor last: the certificates the
    /// verifier chained, not necessarily all the client sent.
    package var certificateChain: [[UInt8]]
    /// What the leaf names: its SPIFFE ID, its subject (RFC 4514 text), serial number and `notAfter`.
    package var identity: PeerIdentity

    package init(certificateChain: [[UInt8]], identity: PeerIdentity) {
        self.certificateChain = certificateChain
        self.identity = identity
    }
}
