/// Where an issuer's verification keys come from: a file loaded once, or a URL refreshed in the background.
///
/// Verification reads ``current`` on every token; only a token naming a key id that the
/// current set lacks calls ``keysAfterUnknownKeyID(_:)``, which may re-fetch (rate-limited per
/// issuer) and returns the set to verify with.
package protocol KeySetProvider: Sendable {
    /// The keys to verify with now; `nil` until the first successful load.
    var current: KeySet? { get }

    /// The keys after a token named `keyID`, which ``current`` does not hold: re-fetched when
    /// the source is remote and the rate limit allows, else ``current`` unchanged.
    func keysAfterUnknownKeyID(_ keyID: String) async -> KeySet?
}

/// Keys loaded once, from a JWKS file or a shared-secret file.
package struct StaticKeySet: KeySetProvider {
    package let current: KeySet?

    package init(_ keys: KeySet) {
        self.current = keys
    }

    package func keysAfterUnknownKeyID(_ keyID: String) async -> KeySet? { self.current }
}
