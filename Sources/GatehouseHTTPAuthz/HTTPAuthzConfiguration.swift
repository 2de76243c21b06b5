package import GatehouseFrontDoor

/// The HTTP side of `gatehouse serve`: Envoy's ext_authz filter in HTTP mode (`http_service`).
///
/// Envoy forwards the request's method, `path_prefix` + the original path and query, `Host`,
/// `Authorization` and the headers its `allowed_headers` lets through; what gRPC mode carries
/// besides (`context_extensions`, the peer certificate, `source.principal`) is recovered from the
/// path prefix (``routes``) and from `x-forwarded-client-cert` on listeners trusted for
/// forwarded identities (``ForwardedClientCertificate``).
package struct HTTPAuthzConfiguration: Sendable, Hashable {
    /// The listeners; each serves the same door. None turns HTTP mode off.
    package var listeners: [ListenerConfiguration]
    /// The path prefixes Envoy's routes put in front of the request path (`http_service.path_prefix`,
    /// overridden per route), each naming the context extensions a gRPC route would send.
    package var routes: [PathPrefixRoute]
    /// How long a connection may carry no request before it is closed; `nil` keeps it open.
    package var idleTimeout: Duration?

    package init(
        listeners: [ListenerConfiguration] = [],
        routes: [PathPrefixRoute] = [],
        idleTimeout: Duration? = .seconds(300)
    ) {
        self.listeners = listeners
        self.routes = routes
        self.idleTimeout = idleTimeout
    }

    /// HTTP mode off: no listener.
    package static var defaults: Self { Self() }
}

/// One `path_prefix` an Envoy route sends its authorization requests with, and the context
/// extensions it stands for.
///
/// Envoy's HTTP mode has no `context_extensions`; a route that needs its own policy overrides
/// `http_service` with its own `path_prefix` instead, and Gatehouse strips the prefix and selects
/// the policy with these extensions, exactly as the gRPC route's `context_extensions` would.
package struct PathPrefixRoute: Sendable, Hashable {
    /// The prefix, starting with `/` and without a trailing `/` (`/ext-authz/civil-registry`).
    package var prefix: String
    /// The context extensions of requests under it (`building_block: civil-registry`).
    package var contextExtensions: [String: String]

    package init(prefix: String, contextExtensions: [String: String]) {
        self.prefix = prefix
        self.contextExtensions = contextExtensions
    }

    /// Whether `prefix` is one Envoy can send: starts with `/`, does not end with `/`, has no
    /// query, no dot segment and no `%`.
    package static func isValid(prefix: String) -> Bool {
        guard prefix.hasPrefix("/"), prefix.count > 1, !prefix.hasSuffix("/") else { return false }
        guard !prefix.contains("?"), !prefix.contains("%"), !prefix.contains("#") else { return false }
        return !prefix.split(separator: "/").contains { $0 == "." || $0 == ".." }
    }
}

extension [PathPrefixRoute] {
    /// The route of `path` (the longest prefix it starts with, on a segment boundary) and the
    /// original path after it; no route and `path` itself when none matches.
    package func route(of path: Substring) -> (route: PathPrefixRoute?, path: Substring) {
        var best: PathPrefixRoute? = nil
        for route in self where path.hasPrefix(route.prefix) {
            let rest = path.dropFirst(route.prefix.count)
            // Envoy sends prefix + the original path, which starts with `/`.
            guard rest.first == "/" else { continue }
            if route.prefix.count > best?.prefix.count ?? 0 { best = route }
        }
        guard let best else { return (nil, path) }
        return (best, path.dropFirst(best.prefix.count))
    }
}
