/// The normalized request that every decision is made on.
///
/// Built once per check from whatever the front door received (Envoy's `CheckRequest`,
/// an HTTP evaluation call, the `gatehouse check` flags). The initializer normalizes
/// everything the decision tree compares, so evaluation itself parses nothing:
/// the host is lower-cased with its port removed, the path normalized by
/// ``PathNormalizer``, the query decoded, header names lower-cased.
package struct AuthzRequest: Sendable, Equatable {
    /// Who connected.
    package var source: Peer
    /// Where the connection arrived.
    package var destination: Peer
    /// The HTTP method.
    package var method: HTTPMethod
    /// `http` or `https`.
    package var scheme: String
    /// The `:authority` lower-cased and without a port; empty when none was sent.
    package var host: String
    /// The port from the `:authority`, if one was given.
    package var hostPort: UInt32?
    /// The path exactly as received, query included.
    package var rawPath: String
    /// The normalized path; when ``pathProblem`` is set this is the raw path and must not be trusted.
    package var path: String
    /// Why the path could not be normalized; such a request is always denied.
    package var pathProblem: PathProblem?
    /// The decoded query parameters.
    package var query: QueryParameters
    /// The request headers (pseudo-headers excluded).
    package var headers: HTTPHeaders
    /// `HTTP/1.1`, `HTTP/2`, `HTTP/3`, or empty when Envoy checks a connection, not a request.
    package var protocolName: String
    /// The `context_extensions` the Envoy route set, e.g. `building_block: civil-registry`.
    package var contextExtensions: [String: String]
    /// When the request arrived.
    package var time: UnixTime
    /// The request id: Envoy's `x-request-id` header.
    package var id: String?
    /// Whether the request carries HTTP attributes at all; `false` for Envoy's network-level filter.
    package var isHTTP: Bool
    /// The AuthZEN entities' `properties`; none for a check from Envoy.
    package var properties = EntityProperties()

    /// Splits `Host:port` (or `[v6]:port`) and lower-cases the host.
    private static func splitAuthority(_ authority: String) -> (String, UInt32?) {
        var host = Substring(authority)
        var port: UInt32? = nil
        if let colon = host.lastIndex(of: ":"), !host[colon...].contains("]"),
            host.first == "[" || host.firstIndex(of: ":") == colon
        {
            port = UInt32(host[host.index(after: colon)...])
            host = host[..<colon]
        }
        if host.hasSuffix(".") { host = host.dropLast() }
        return (ASCII.lowercased(host), port)
    }
}

extension AuthzRequest {
    /// Builds and normalizes a request.
    ///
    /// - Parameters:
    ///   - method: The method token, e.g. `GET`.
    ///   - path: The raw `:path`, query included.
    ///   - host: The raw `:authority`, port allowed.
    ///   - headers: Header name/value pairs; names in any case.
    ///   - paths: How the path is normalized; by default a dot segment or an encoded dot refuses it.
    package init(
        method: String = "GET",
        path: String = "/",
        host: String = "",
        scheme: String = "http",
        headers: [(String, String)] = [],
        source: Peer = Peer(),
        destination: Peer = Peer(),
        protocolName: String = "HTTP/1.1",
        contextExtensions: [String: String] = [:],
        time: UnixTime = UnixTime(seconds: 0),
        id: String? = nil,
        isHTTP: Bool = true,
        paths: PathNormalizer.Configuration = .defaults
    ) {
        self.init(
            method: method, path: path, host: host, scheme: scheme, headers: HTTPHeaders(headers), source: source,
            destination: destination, protocolName: protocolName, contextExtensions: contextExtensions, time: time,
            id: id, isHTTP: isHTTP, paths: paths)
    }

    /// Builds and normalizes a request whose headers are already collected (names lower-cased).
    ///
    /// It delegates to the memberwise initializer, which builds the value in one step: assigned
    /// member by member, the request was copied whole and destroyed at the end of the initializer
    /// (every header, peer and string retained and released once more) on every check.
    package init(
        method: String,
        path: String,
        host: String,
        scheme: String,
        headers: HTTPHeaders,
        source: Peer,
        destination: Peer,
        protocolName: String,
        contextExtensions: [String: String],
        time: UnixTime,
        id: String? = nil,
        isHTTP: Bool,
        paths: PathNormalizer.Configuration
    ) {
        let (normalizedHost, hostPort) = Self.splitAuthority(host)
        let normalizedPath: String
        let query: QueryParameters
        let pathProblem: PathProblem?
        switch PathNormalizer.normalize(path, dotSegments: paths.dotSegments) {
        case .success(let normalized):
            normalizedPath = normalized.path
            query = QueryParameters(parsing: normalized.query)
            pathProblem = nil
        case .failure(let problem):
            normalizedPath = path
            query = QueryParameters()
            pathProblem = problem
        }
        self.init(
            source: source, destination: destination, method: HTTPMethod(method), scheme: scheme,
            host: normalizedHost, hostPort: hostPort, rawPath: path, path: normalizedPath, pathProblem: pathProblem,
            query: query, headers: headers, protocolName: protocolName, contextExtensions: contextExtensions,
            time: time, id: id ?? headers.first("x-request-id"), isHTTP: isHTTP)
    }
}
