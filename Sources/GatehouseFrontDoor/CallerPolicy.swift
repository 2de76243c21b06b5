package import GatehouseCore

/// Which clients may call a front door (gRPC Check, HTTP mode) through one listener: any, or only named Envoys.
///
/// On an mTLS listener the handshake already verified the client's chain (``ListenerPeerVerifier``);
/// pinning narrows that to the Envoys named by SPIFFE ID or by subject (RFC 4514 text as the
/// verifier renders it, e.g. `CN=envoy-front,O=Gatehouse dev`). It is evaluated per check: a
/// caller it does not admit gets a denying `CheckResponse` (`caller_not_allowed`), never a gRPC
/// error, so that Envoy denies it even with `failure_mode_allow: true`.
package struct CallerPolicy: Sendable, Hashable {
    /// SPIFFE IDs allowed to call.
    package var spiffeIDs: [String]
    /// Certificate subjects allowed to call.
    package var subjects: [String]
    /// Whether the listener is trusted for forwarded identities (``ListenerConfiguration/trustsForwardedIdentity``);
    /// every admitted caller's facts say so.
    package var trustsForwardedIdentity: Bool

    package init(spiffeIDs: [String] = [], subjects: [String] = [], trustsForwardedIdentity: Bool = false) {
        self.spiffeIDs = spiffeIDs
        self.subjects = subjects
        self.trustsForwardedIdentity = trustsForwardedIdentity
    }

    /// Any caller the listener accepts.
    package static let anyCaller = CallerPolicy()

    /// Whether only named clients may call.
    package var isPinned: Bool { !self.spiffeIDs.isEmpty || !self.subjects.isEmpty }

    /// What a check from `peer` knows about its caller, or `nil` when this policy does not admit it.
    ///
    /// - Parameter peer: The client the listener verified during the handshake; `nil` when it
    ///   asked for no certificate (a pinned policy then admits no one).
    /// - Returns: The caller facts: pinned when the policy names the peer, with the peer either way.
    package func admit(_ peer: ListenerPeer?) -> CallerFacts? {
        let trusted = self.trustsForwardedIdentity
        guard self.isPinned else {
            return CallerFacts(isPinnedMutualTLS: false, trustsForwardedIdentity: trusted, listenerPeer: peer)
        }
        guard let peer, self.names(peer.identity) else { return nil }
        return CallerFacts(isPinnedMutualTLS: true, trustsForwardedIdentity: trusted, listenerPeer: peer)
    }

    private func names(_ identity: PeerIdentity) -> Bool {
        if let spiffeID = identity.spiffeID, self.spiffeIDs.contains(spiffeID) { return true }
        if let subject = identity.subject, self.subjects.contains(subject) { return true }
        return false
    }
}
