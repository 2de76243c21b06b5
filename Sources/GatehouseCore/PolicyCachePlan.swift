/// How a policy's decisions may be cached, as its `cache` section says.
package struct PolicyCacheSettings: Sendable, Hashable {
    /// Whether decisions under the policy are cached at all.
    package var isEnabled: Bool
    /// How long a decision may be served; `nil` takes the server's default.
    package var timeToLive: Duration?

    /// - Parameters:
    ///   - isEnabled: Default `true`: the server-wide switch decides.
    ///   - timeToLive: Default `nil`: the server-wide TTL.
    package init(isEnabled: Bool = true, timeToLive: Duration? = nil) {
        self.isEnabled = isEnabled
        self.timeToLive = timeToLive
    }
}

/// What the decision cache keys one policy's decisions on: exactly the request attributes the
/// compiled policy reads, in a fixed order.
///
/// Identity attributes (claims, issuer, subject, SPIFFE ID, X-Road client) are not read from
/// the request here: the authenticator adds the raw credentials instead
/// (``Authenticator/addCredentials(of:policyIndex:caller:to:)``), so the key holds a digest of
/// the token and certificate, never their claims. A policy that reads the request id
/// (`${request.id}` in a header) decides differently for every request and is never cached.
package struct PolicyCachePlan: Sendable {
    /// The request-side attributes the policy reads, sorted.
    package let attributes: [RequestAttribute]
    /// Whether a decision may be reused: the policy allows it and reads nothing unique per request.
    package let isCacheable: Bool
    /// The policy's own cache settings.
    package let settings: PolicyCacheSettings

    /// The plan for `policy`.
    package init(_ policy: CompiledPolicy) {
        let read = policy.attributes
        self.attributes = read.filter(\.isRequestSide).sorted()
        self.isCacheable = policy.cache.isEnabled && !read.contains(.requestID)
        self.settings = policy.cache
    }

    /// Adds the values of ``attributes`` in `request` to `key`.
    package func addAttributes(of request: AuthzRequest, to key: inout some CacheKeyBuilder) {
        for attribute in self.attributes {
            switch attribute {
            case .method: key.add(request.method.rawValue)
            case .path: key.add(request.path)
            case .host: key.add(request.host)
            case .header(let name): key.add(request.headers[name])
            case .contextExtension(let name): key.add(request.contextExtensions[name])
            case .property(let entity, let path): key.add(request.properties.value(of: entity, at: path))
            case .sourceAddress:
                switch request.source.address {
                case nil: key.add(UInt64(0))
                case .v4(let address):
                    key.add(UInt64(4))
                    key.add(UInt64(address))
                case .v6(let high, let low):
                    key.add(UInt64(6))
                    key.add(high)
                    key.add(low)
                }
            case .peerIdentity, .tokenIssuer, .tokenSubject, .tokenClaim, .authenticated, .subject, .requestID:
                // Identity comes from the credentials the authenticator adds; request.id is never cached.
                break
            }
        }
    }
}

extension RequestAttribute {
    /// Whether the attribute is read from the request itself rather than from the verified identity.
    package var isRequestSide: Bool {
        switch self {
        case .method, .path, .host, .header, .sourceAddress, .contextExtension, .requestID, .property: return true
        case .peerIdentity, .tokenIssuer, .tokenSubject, .tokenClaim, .authenticated, .subject: return false
        }
    }
}
