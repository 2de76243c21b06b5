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
        self.init(CheckRequestFields(check), receivedAt: receivedAt, paths: paths)
    }

    /// Builds the normalized request from the encoded `CheckRequest` when
    /// ``CheckRequestFields/init(encoded:)`` can read it; `nil` when swift-protobuf must.
    package init?(
        encodedCheck bytes: UnsafeRawBufferPointer, receivedAt: UnixTime,
        paths: PathNormalizer.Configuration = .defaults
    ) {
        guard let fields = CheckRequestFields(encoded: bytes) else { return nil }
        self.init(fields, receivedAt: receivedAt, paths: paths)
    }

    /// The one mapping from what a `CheckRequest` says to the request model, whichever decoder read it.
    init(_ fields: consuming CheckRequestFields, receivedAt: UnixTime, paths: PathNormalizer.Configuration) {
        self.init(
            method: fields.method,
            path: fields.isHTTP ? fields.path : "",
            host: fields.host,
            scheme: fields.scheme,
            headers: fields.headers,
            source: fields.source,
            destination: fields.destination,
            protocolName: fields.protocolName,
            contextExtensions: fields.contextExtensions,
            time: fields.time ?? receivedAt,
            isHTTP: fields.isHTTP,
            paths: paths
        )
    }
}

/// What Gatehouse reads of a `CheckRequest`: read from swift-protobuf's message, or straight from
/// the encoded bytes by ``init(encoded:)`` (CheckRequestFields+Wire.swift).
struct CheckRequestFields {
    /// Whether `attributes.request.http` was sent (Envoy's HTTP filter, not its network filter).
    var isHTTP = false
    var method = ""
    var path = ""
    var host = ""
    var scheme = ""
    var protocolName = ""
    var headers = HTTPHeaders()
    var source = Peer()
    var destination = Peer()
    var contextExtensions: [String: String] = [:]
    /// `attributes.request.time`, when sent.
    var time: UnixTime?

    init() {}

    init(_ check: Envoy_Service_Auth_V3_CheckRequest) {
        let attributes = check.attributes
        let http = attributes.request.http
        self.isHTTP = attributes.hasRequest && attributes.request.hasHTTP
        if http.hasHeaderMap {
            self.headers = HTTPHeaders(
                http.headerMap.headers.lazy.map { header in
                    (header.key, Self.headerValue(header.value, raw: header.rawValue))
                })
        } else {
            // Envoy's names are lower-case already: the map's table becomes the headers' own.
            self.headers = HTTPHeaders(singleValued: http.headers)
        }
        if attributes.request.hasTime {
            self.time = Self.time(seconds: attributes.request.time.seconds, nanos: attributes.request.time.nanos)
        }
        self.method = http.method
        self.path = http.path
        self.host = http.host
        self.scheme = http.scheme
        self.protocolName = http.protocol
        self.source = Peer(attributes.source, hasValue: attributes.hasSource)
        self.destination = Peer(attributes.destination, hasValue: attributes.hasDestination)
        self.contextExtensions = attributes.contextExtensions
    }

    /// A `header_map` entry's value: its `raw_value` decoded as UTF-8 with replacement when set,
    /// else its `value`.
    static func headerValue(_ value: String, raw: some Collection<UInt8>) -> String {
        raw.isEmpty ? value : String(decoding: raw, as: UTF8.self)
    }

    /// `request.time` as Gatehouse's time.
    static func time(seconds: Int64, nanos: Int32) -> UnixTime {
        UnixTime(seconds: seconds, nanoseconds: nanos)
    }
}

extension Peer {
    init(_ peer: Envoy_Service_Auth_V3_AttributeContext.Peer, hasValue: Bool) {
        guard hasValue else {
            self.init()
            return
        }
        var socketAddress: String? = nil
        var port: UInt32? = nil
        if case .socketAddress(let socket)? = peer.address.address {
            socketAddress = socket.address
            if case .portValue(let value)? = socket.portSpecifier { port = value }
        }
        self.init(
            envoySocketAddress: socketAddress, port: port, principal: peer.principal, certificate: peer.certificate,
            service: peer.service, labels: peer.labels)
    }

    /// The one mapping from Envoy's peer fields, whichever decoder read them: empty strings are
    /// absent, and `socketAddress` is `nil` when the address is not a socket address.
    init(
        envoySocketAddress socketAddress: String?, port: UInt32?, principal: String, certificate: String,
        service: String, labels: [String: String]
    ) {
        self.init(
            address: socketAddress.flatMap { IPAddress($0) },
            port: port,
            principal: principal.isEmpty ? nil : principal,
            certificate: certificate.isEmpty ? nil : certificate,
            service: service.isEmpty ? nil : service,
            labels: labels
        )
    }
}
