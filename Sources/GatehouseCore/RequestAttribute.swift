/// A request attribute that a compiled policy reads.
///
/// The compiler records the set for the whole tree; it is exactly what a cached decision
/// depends on, so it becomes the decision cache's key.
package enum RequestAttribute: Hashable, Comparable, Sendable, CustomStringConvertible {
    case method
    case path
    case host
    case header(String)
    case sourceAddress
    /// The verified peer identity: SPIFFE ID and X-Road client.
    case peerIdentity
    case tokenIssuer
    case tokenSubject
    case tokenClaim(String)
    /// Whether any credential was verified.
    case authenticated
    /// The subject used in headers and logs (token, else peer).
    case subject
    case contextExtension(String)
    case requestID
    /// An AuthZEN entity's property at a path (its parts, outermost first).
    case property(PropertyEntity, [String])

    package var description: String {
        switch self {
        case .method: return "request.method"
        case .path: return "request.path"
        case .host: return "request.host"
        case .header(let name): return "request.headers[\(name)]"
        case .sourceAddress: return "source.address"
        case .peerIdentity: return "source.identity"
        case .tokenIssuer: return "jwt.iss"
        case .tokenSubject: return "jwt.sub"
        case .tokenClaim(let path): return "jwt.claims.\(path)"
        case .authenticated: return "identity.authenticated"
        case .subject: return "identity.subject"
        case .contextExtension(let key): return "context_extensions[\(key)]"
        case .requestID: return "request.id"
        case .property(let entity, let path):
            return "\(entity.rawValue).properties.\(path.joined(separator: "."))"
        }
    }

    package static func < (lhs: RequestAttribute, rhs: RequestAttribute) -> Bool {
        lhs.description < rhs.description
    }
}
