package import EnvoyAuthAPI
package import GatehouseCore
import SwiftProtobuf

/// Envoy's `CheckRequest` → Gatehouse's `AuthzRequest`: the only place the request side of
/// Envoy's API is read (compare Envoy's `check_request_utils` and opa-envoy-plugin's `request.go`).
extension AuthzRequest {
    /// Builds the normalized request from what Envoy sent.
    ///
    /// Headers come from `header_map` when Envoy encodes raw headers (repeats kept, raw bytes
    /// decoded as UTF-8 with replacement), else from the `headers` map. A request without
    /// HTTP attributes (Envoy's network filter) has an empty method and path, so only rules
    /// without method or path conditions can match it.
    ///
    /// - Parameters:
    ///   - receivedAt: Gatehouse's own clock when the check arrived. Envoy's `request.time` is
    ///     "now" for token and certificate validity; when it is absent the receipt time is used
    ///     instead. It has no default: a forgotten one would be the epoch, at which every expired
    ///     credential is still valid.
    ///   - paths: How the path is normalized: the server's `paths` settings. A forgotten one
    ///     refuses dot segments, the safe reading when Envoy may not have normalized the path.
    package init(
        _ check: Envoy_Service_Auth_V3_CheckRequest, receivedAt: UnixTime,
        paths: PathNormalizer.Configuration = .defaults
    ) {
        let attributes = check.attributes
        let http = attributes.request.http
        let isHTTP = attributes.hasRequest && attributes.request.hasHTTP
        let headers: HTTPHeaders
        if http.hasHeaderMap {
            headers = HTTPHeaders(
                http.headerMap.headers.lazy.map { header in
                    (
                        header.key,
                        header.rawValue.isEmpty ? header.value : String(decoding: header.rawValue, as: UTF8.self)
                    )
                })
        } else {
            // Envoy's names are lower-case already: the map's table becomes the headers' own.
            headers = HTTPHeaders(singleValued: http.headers)
        }
        let time =
            attributes.request.hasTime
            ? UnixTime(seconds: attributes.request.time.seconds, nanoseconds: attributes.request.time.nanos)
            : receivedAt
        self.init(
            method: http.method,
            path: isHTTP ? http.path : "",
            host: http.host,
            scheme: http.scheme,
            headers: headers,
            source: Peer(attributes.source, hasValue: attributes.hasSource),
            destination: Peer(attributes.destination, hasValue: attributes.hasDestination),
            protocolName: http.protocol,
            contextExtensions: attributes.contextExtensions,
            time: time,
            isHTTP: isHTTP,
            paths: paths
        )
    }
}

extension Peer {
    init(_ peer: Envoy_Service_Auth_V3_AttributeContext.Peer, hasValue: Bool) {
        guard hasValue else {
            self.init()
            return
        }
        var address: IPAddress? = nil
        var port: UInt32? = nil
        if case .socketAddress(let socket)? = peer.address.address {
            address = IPAddress(socket.address)
            if case .portValue(let value)? = socket.portSpecifier { port = value }
        }
        self.init(
            address: address,
            port: port,
            principal: peer.principal.isEmpty ? nil : peer.principal,
            certificate: peer.certificate.isEmpty ? nil : peer.certificate,
            service: peer.service.isEmpty ? nil : peer.service,
            labels: peer.labels
        )
    }
}
