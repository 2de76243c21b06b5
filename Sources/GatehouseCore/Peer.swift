/// One end of the connection, as Envoy describes it (`AttributeContext.Peer`).
///
/// These are the facts Envoy reports, not verified identities: the identity layer verifies
/// the certificate and fills ``Identity/peer``, which is what policies match on.
package struct Peer: Sendable, Equatable {
    // `labels` is declared first so that the memberwise initializer, `init(labels:address:…)`,
    // differs from the labelled one below, which delegates to it: assigned member by member, the
    // peer was copied whole and destroyed at the end of the initializer, twice on every check.

    /// Envoy's labels for the peer.
    package var labels: [String: String]
    /// The socket address, when it is an IP address.
    package var address: IPAddress?
    /// The socket port.
    package var port: UInt32?
    /// Envoy's `principal`: the URI or DNS SAN (or subject) of the TLS peer, if any.
    package var principal: String?
    /// The URL-encoded PEM of the peer certificate, when Envoy forwards it.
    package var certificate: String?
    /// Envoy's `service` name for the peer.
    package var service: String?
}

extension Peer {
    package init(
        address: IPAddress? = nil,
        port: UInt32? = nil,
        principal: String? = nil,
        certificate: String? = nil,
        service: String? = nil,
        labels: [String: String] = [:]
    ) {
        self.init(
            labels: labels, address: address, port: port, principal: principal, certificate: certificate,
            service: service)
    }
}
