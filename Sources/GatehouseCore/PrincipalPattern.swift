/// A pattern over verified peer identities: SPIFFE IDs and X-Road clients.
///
/// A rule's `spiffeIds`, `xroadClients` and `groups` compile to sets of these; a group
/// flattens to the patterns of its members.
package enum PrincipalPattern: Sendable, Hashable, CustomStringConvertible {
    /// A SPIFFE ID, exact or, when written with a trailing `*`, by prefix (`spiffe://gov.example/ns/health/*`).
    case spiffe(prefix: String, isWildcard: Bool)
    /// An X-Road client; `nil` parts are `*` and match any value. Three parts match members, four subsystems.
    case xroad([String?])

    /// Parses a SPIFFE ID pattern; `nil` unless it starts with `spiffe://`, has a trust domain and
    /// at most one `*`, at the end, right after a `/` (so `spiffe://gov.example*` cannot reach
    /// into `spiffe://gov.example.evil`).
    package static func spiffe(_ text: String) -> PrincipalPattern? {
        guard text.hasPrefix("spiffe://"), text.count > "spiffe://".count else { return nil }
        let isWildcard = text.hasSuffix("*")
        let prefix = isWildcard ? String(text.dropLast()) : text
        guard !prefix.contains("*"), !isWildcard || prefix.hasSuffix("/") else { return nil }
        let trustDomain = prefix.dropFirst("spiffe://".count).prefix { $0 != "/" }
        guard !trustDomain.isEmpty, prefix.dropFirst("spiffe://".count).contains("/") || !isWildcard else { return nil }
        return .spiffe(prefix: prefix, isWildcard: isWildcard)
    }

    /// Parses `INSTANCE/CLASS/CODE[/SUBSYSTEM]` with `*` allowed for whole parts.
    package static func xroad(_ text: String) -> PrincipalPattern? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3 || parts.count == 4, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        guard parts.allSatisfy({ $0 == "*" || !$0.contains("*") }) else { return nil }
        return .xroad(parts.map { $0 == "*" ? nil : String($0) })
    }

    /// Whether the verified peer identity matches.
    package func matches(_ peer: PeerIdentity) -> Bool {
        switch self {
        case .spiffe(let prefix, let isWildcard):
            guard let id = peer.spiffeID else { return false }
            return isWildcard ? ASCII.hasPrefix(id, prefix) : ASCII.equal(id, prefix)
        case .xroad(let parts):
            guard let client = peer.xroadClient else { return false }
            let clientParts = client.parts
            guard clientParts.count == parts.count else { return false }
            return zip(parts, clientParts).allSatisfy { pattern, value in pattern.map { ASCII.equal($0, value) } ?? true
            }
        }
    }

    package var description: String {
        switch self {
        case .spiffe(let prefix, let isWildcard): return isWildcard ? prefix + "*" : prefix
        case .xroad(let parts): return parts.map { $0 ?? "*" }.joined(separator: "/")
        }
    }
}
