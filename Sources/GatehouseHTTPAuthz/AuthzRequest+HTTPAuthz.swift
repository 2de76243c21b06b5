package import GatehouseCore
package import NIOHTTP1

/// The request Envoy sends in HTTP mode → Gatehouse's `AuthzRequest`: the only place the HTTP
/// door reads a request, the counterpart of the gRPC door's `AuthzRequest+CheckRequest.swift`.
extension AuthzRequest {
    /// Whether `name` (lower case) is a header Envoy's HTTP client sets on the authorization
    /// request itself (hop-by-hop, the body length of the check, Envoy's own timeout hint), not
    /// taken from the original request. A `switch`, not a `Set`: no hash of every name a request.
    static func isAuthorizationCallHeader(_ name: String) -> Bool {
        switch name {
        case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade", "content-length",
            "x-envoy-expected-rq-timeout-ms":
            return true
        default:
            return false
        }
    }

    /// `name` with ASCII upper-case letters lowered: `name` itself (no copy) when it has none, as
    /// Envoy sends every name. On `String` rather than Core's generic `ASCII.lowercased`, which
    /// is not specialized across the module boundary and cost 4.6 % of an HTTP-mode check.
    static func lowercasedName(_ name: String) -> String {
        guard name.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) else { return name }
        return String(decoding: name.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// Builds the normalized request from what Envoy forwarded in HTTP mode.
    ///
    /// - The method is the original request's; the path is the original path and query after
    ///   the route's `path_prefix` (``PathPrefixRoute``), whose context extensions select the
    ///   policy as a gRPC route's `context_extensions` would.
    /// - `Host` is the original authority; `x-forwarded-proto`, when let through, is the scheme;
    ///   the last `x-forwarded-for` address, when let through, is the source address (what
    ///   Envoy reports as `source.address` in gRPC mode, with `use_remote_address`).
    /// - On a listener trusted for forwarded identities, `x-forwarded-client-cert` stands for
    ///   gRPC mode's peer certificate: its `Cert` becomes `source.certificate` (verified by the
    ///   identity layer like any forwarded certificate), or, without one, its URI, DNS or
    ///   subject becomes `source.principal`. Elsewhere the header is only a header.
    ///
    /// - Parameters:
    ///   - head: The authorization request's head.
    ///   - routes: The configured path prefixes.
    ///   - trustsForwardedIdentity: Whether the listener is trusted for forwarded identities.
    ///   - receivedAt: Gatehouse's clock when the request arrived: "now" for credential validity
    ///     (HTTP mode carries no request time).
    ///   - paths: How the path is normalized (the server's `paths` settings).
    package init(
        httpAuthz head: HTTPRequestHead, routes: [PathPrefixRoute], trustsForwardedIdentity: Bool,
        receivedAt: UnixTime, paths: PathNormalizer.Configuration = .defaults
    ) {
        let (route, path) = routes.route(of: Substring(head.uri))
        var headers: [(String, String)] = []
        headers.reserveCapacity(head.headers.count)
        var host = ""
        var scheme = ""
        var forwardedFor: String? = nil
        var clientCertificate: String? = nil
        for (name, value) in head.headers {
            let name = Self.lowercasedName(name)
            if Self.isAuthorizationCallHeader(name) { continue }
            switch name {
            case "host": host = value
            case "x-forwarded-proto": scheme = value
            case "x-forwarded-for": forwardedFor = value
            case "x-forwarded-client-cert": clientCertificate = value
            default: break
            }
            headers.append((name, value))
        }
        var source = Peer()
        if let last = forwardedFor?.split(separator: ",").last {
            source.address = IPAddress(String(last.filter { $0 != " " }))
        }
        if trustsForwardedIdentity, let forwarded = clientCertificate.flatMap(ForwardedClientCertificate.init(header:))
        {
            // The certificate alone, as gRPC mode's `source.certificate`: the identity layer
            // derives every name from it after verifying it. A name alone is believed only here.
            if let certificate = forwarded.certificate {
                source.certificate = certificate
            } else {
                source.principal = forwarded.principal
            }
        }
        self.init(
            method: head.method.rawValue,
            path: String(path),
            host: host,
            scheme: scheme,
            headers: headers,
            source: source,
            protocolName: "",
            contextExtensions: route?.contextExtensions ?? [:],
            time: receivedAt,
            isHTTP: true,
            paths: paths
        )
    }
}
