import Foundation
import GatehouseTestSupport
import Testing

/// Envoy 1.40 in ext_authz HTTP mode (`deploy/envoy/front-proxy-http.yaml`) against Gatehouse's
/// HTTP door, and the same requests through gRPC mode (`front-proxy.yaml`).
@Suite("End to end through a real Envoy in HTTP mode", .serialized, .timeLimit(.minutes(5)))
struct HTTPModeEndToEndTests {
    /// The requests both modes must decide alike: (path, headers).
    static let requests: [(String, [(String, String)])] = [
        ("/records/42", [("x-clearance", "granted"), ("x-debug", "1")]),
        ("/records/42", [("x-clearance", "pending")]),
        ("/records/secret", [("x-clearance", "granted")]),
        ("/records/42", []),
        ("/records/42", [("x-clearance", "granted"), ("authorization", "Bearer opaque")]),
        ("/records/7", [("x-clearance", "granted"), ("x-shadow", "1")]),
        ("/public/about", []),
        ("/public/..%2Fsecret", []),
        ("/elsewhere", []),
    ]

    @Test("Allow with headers upstream and the credential removed, 403 with body, 401 with WWW-Authenticate")
    func enforcement() async throws {
        // The access log is read for the rule: the full metadata.
        try await Deployment.with(envoyConfig: "front-proxy-http.yaml", envoyMetadata: "full") { deployment in
            let allowed = try deployment.request(
                "/records/42",
                headers: [("x-clearance", "granted"), ("x-debug", "1"), ("authorization", "Basic c3RheTpvdXQ=")])
            #expect(allowed.status == 200, "\(allowed)\n\(deployment.gatehouse.log)")
            #expect(allowed.upstreamHeader("x-gatehouse-policy") == "e2e")
            #expect(allowed.upstreamHeader("x-gatehouse-building-block") == "civil-registry")
            #expect(allowed.upstreamHeader("x-gatehouse-request") == allowed.upstreamHeader("x-request-id"))
            #expect(allowed.upstreamHeader("x-debug") == nil, "removed through x-envoy-auth-headers-to-remove")
            #expect(allowed.upstreamHeader("authorization") == nil, "the credential header is removed")
            #expect(allowed.upstreamHeader("x-envoy-auth-headers-to-remove") == nil)

            let secret = try deployment.request("/records/secret", headers: [("x-clearance", "granted")])
            #expect(secret.status == 403)
            #expect(secret.body == #"{"error":"secrets are never served"}"#)
            #expect(secret.header("content-type") == "application/json")
            #expect(secret.header("x-gatehouse-decision-id") != nil)
            #expect(secret.header("x-gatehouse-metadata-reason") == nil, "a denial carries no decision metadata")

            let anonymous = try deployment.request("/records/42")
            #expect(anonymous.status == 401)
            #expect(anonymous.header("www-authenticate") == #"Bearer realm="e2e-civil-registry""#)

            #expect(await deployment.stop() == 0)
            let accessLog = deployment.envoy.log
            #expect(accessLog.contains("decision=allow reason=allowed rule=cleared-readers"), "\(accessLog)")
        }
    }

    @Test("The same requests get the same decisions through gRPC mode and HTTP mode, over HTTP/1.1 and h2c")
    func sameDecisions() async throws {
        let grpc = try await Self.answers(envoyConfig: "front-proxy.yaml")
        let http = try await Self.answers(envoyConfig: "front-proxy-http.yaml")
        let h2c = try await Self.answers(
            envoyConfig: "front-proxy-http.yaml", envoyReplacements: [Self.http2Cluster],
            protocolCounter: "cluster.gatehouse_http.upstream_cx_http2_total")
        #expect(grpc.count == Self.requests.count)
        for (index, (viaGRPC, viaHTTP)) in zip(grpc, http).enumerated() {
            #expect(viaGRPC == viaHTTP, "request \(index) \(Self.requests[index].0)")
        }
        for (index, (viaGRPC, viaH2C)) in zip(grpc, h2c).enumerated() {
            #expect(viaGRPC == viaH2C, "request \(index) \(Self.requests[index].0) over h2c")
        }
    }

    /// `front-proxy-http.yaml`'s Gatehouse cluster speaking HTTP/2 with prior knowledge (h2c), as
    /// deploy/README.md shows: the only change a user makes.
    static let http2Cluster = (
        "    # HTTP/1.1 (the cluster's default), over the Unix socket trusted for forwarded identities.\n",
        """
            typed_extension_protocol_options:
              envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
                "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
                explicit_http_config: { http2_protocol_options: {} }

        """
    )

    @Test("Gatehouse down: Envoy denies (failure_mode_allow: false), and allows again once it is back")
    func gatehouseDown() async throws {
        try await Deployment.with(envoyConfig: "front-proxy-http.yaml") { deployment in
            let headers = [("x-clearance", "granted")]
            #expect(try deployment.request("/records/42", headers: headers).status == 200)
            await deployment.killGatehouse()
            let denied = try deployment.request("/records/42", headers: headers)
            #expect(denied.status == 403, "\(denied)")
            #expect(denied.upstreamHeaders.isEmpty, "nothing reaches the upstream")
            try await deployment.restartGatehouse()
            try await poll(until: "Envoy reconnects to the restarted Gatehouse", every: .milliseconds(100)) {
                (try? deployment.request("/records/42", headers: headers).status) == 200
            }
        }
    }

    /// What Envoy's client sees of each of ``requests``: status, the decision-bearing headers, body, and
    /// the x-gatehouse- headers and removals the upstream received.
    ///
    /// - Parameter protocolCounter: An Envoy counter of the Gatehouse cluster's connections that must be
    ///   above zero afterwards (proof that Envoy spoke the protocol the test meant).
    static func answers(
        envoyConfig: String, envoyReplacements: [(String, String)] = [], protocolCounter: String? = nil
    ) async throws -> [String] {
        try await Deployment.with(envoyConfig: envoyConfig, envoyReplacements: envoyReplacements) { deployment in
            defer {
                if let protocolCounter {
                    let connections = try? deployment.envoyCounter(protocolCounter)
                    #expect((connections ?? 0) > 0, "\(protocolCounter) = \(connections.map(String.init) ?? "absent")")
                }
            }
            return try Self.requests.map { path, headers in
                let response = try deployment.request(path, headers: headers)
                let upstream = response.upstreamHeaders
                    .filter {
                        $0.0.hasPrefix("x-gatehouse-") && $0.0 != "x-gatehouse-request"
                            && !$0.0.hasPrefix("x-gatehouse-metadata-")
                    }
                    .map { "\($0.0)=\($0.1)" }.sorted()
                let debugRemoved = !headers.contains { $0.0 == "x-debug" } || response.upstreamHeader("x-debug") == nil
                return [
                    "\(response.status)", response.header("www-authenticate") ?? "-",
                    response.header("content-type") ?? "-", response.status == 200 ? "" : response.body,
                    upstream.joined(separator: ","), "x-debug removed: \(debugRemoved)",
                ].joined(separator: " | ")
            }
        }
    }
}
