import EnvoyAuthAPI
import Foundation
import GRPCCore
import GatehouseCore
import SwiftProtobuf
import Testing

@Suite("Authorization service")
struct AuthorizationServiceTests {
    static let policy = """
        kind: Policy
        name: registry
        select: { hosts: [registry.gov.example] }
        authentication:
          jwt:
            - { issuer: https://idp.example, jwks: { url: "https://idp.example/jwks" } }
        rules:
          - { name: public, action: allow, methods: [GET], paths: [/public/**] }
          - name: tenants
            action: allow
            paths: [/tenants/*]
            headers: { x-tenant: { present: true } }
            sourceCidrs: [10.0.0.0/8]
          - { name: no-admin, action: deny, paths: [/admin/**] }
          - { name: any-method-probe, action: allow, paths: [/probe] }
        response:
          allow:
            headers:
              - { name: x-policy, value: registry }
              - { name: x-tenant-seen, value: "${request.host}", action: addIfAbsent }
            removeHeaders: [x-debug]
            setQueryParameters: [{ name: via, value: gatehouse }]
            removeQueryParameters: [token]
          forbidden: { body: "no", headers: [{ name: content-type, value: text/plain }] }
        """

    @Test("An allow is OK with header and query mutations and the decision in dynamic metadata")
    func allow() async throws {
        let response = try await InProcessServer.with(policy: Self.policy, metadata: .full) { authorization, _ in
            try await authorization.check(
                InProcessServer.request(path: "/tenants/7?token=x", headers: ["x-tenant": "7"]))
        }
        #expect(response.status.code == 0)
        let ok = try #require(response.allowed)
        #expect(ok.headers.map(\.header.key) == ["x-policy", "x-tenant-seen"])
        #expect(ok.headers[0].appendAction == .overwriteIfExistsOrAdd)
        #expect(ok.headers[1].appendAction == .addIfAbsent)
        #expect(ok.headers[1].header.value == "registry.gov.example")
        #expect(ok.headersToRemove == ["x-debug"])
        #expect(ok.queryParametersToSet.map(\.key) == ["via"])
        #expect(ok.queryParametersToRemove == ["token"])
        let metadata = response.dynamicMetadata.fields
        #expect(metadata["decision"]?.stringValue == "allow")
        #expect(metadata["rule"]?.stringValue == "tenants")
        #expect(metadata["policy"]?.stringValue == "registry")
        #expect(metadata["decision_id"]?.stringValue.count == 32)
        #expect(metadata["policy_revision"]?.stringValue.isEmpty == false)
    }

    @Test("By default the dynamic metadata is lean: the decision id and the reason, nothing else")
    func leanMetadata() async throws {
        let (allowed, denied) = try await InProcessServer.with(policy: Self.policy) { authorization, _ in
            (
                try await authorization.check(
                    InProcessServer.request(path: "/tenants/7?token=x", headers: ["x-tenant": "7"])),
                try await authorization.check(InProcessServer.request(path: "/admin/users"))
            )
        }
        #expect(allowed.status.code == 0 && denied.status.code == 7)
        for (response, reason) in [(allowed, "allowed"), (denied, "denied_by_rule")] {
            let metadata = response.dynamicMetadata.fields
            #expect(Set(metadata.keys) == ["decision_id", "reason"])
            #expect(metadata["decision_id"]?.stringValue.count == 32)
            #expect(metadata["reason"]?.stringValue == reason)
        }
    }

    @Test("Every response carries a different decision id")
    func uniqueDecisionIDs() async throws {
        let ids = try await InProcessServer.with(policy: Self.policy) { authorization, _ in
            var ids: [String] = []
            for _ in 0..<50 {
                let response = try await authorization.check(InProcessServer.request(path: "/public/a"))
                ids.append(response.dynamicMetadata.fields["decision_id"]?.stringValue ?? "")
            }
            return ids
        }
        #expect(Set(ids).count == 50)
    }

    @Test("A deny is PERMISSION_DENIED with the policy's denied response")
    func forbidden() async throws {
        let response = try await InProcessServer.with(policy: Self.policy, metadata: .full) { authorization, _ in
            try await authorization.check(InProcessServer.request(path: "/admin/users"))
        }
        #expect(response.status.code == 7)
        #expect(response.status.message == "denied_by_rule")
        let denied = try #require(response.denied)
        #expect(denied.status.code == .forbidden)
        #expect(denied.body == "no")
        #expect(denied.headers.map(\.header.key) == ["content-type"])
        #expect(response.dynamicMetadata.fields["rule"]?.stringValue == "no-admin")
    }

    @Test("A missing credential is UNAUTHENTICATED with 401 and WWW-Authenticate")
    func unauthenticated() async throws {
        let response = try await InProcessServer.with(policy: Self.policy) { authorization, _ in
            try await authorization.check(InProcessServer.request(path: "/tenants/7"))
        }
        #expect(response.status.code == 16)
        let denied = try #require(response.denied)
        #expect(denied.status.code == .unauthorized)
        #expect(
            denied.headers.first { $0.header.key == "www-authenticate" }?.header.value == #"Bearer realm="registry""#)
    }

    @Test("An ambiguous path is denied with 400 before any rule")
    func ambiguousPath() async throws {
        let response = try await InProcessServer.with(policy: Self.policy) { authorization, _ in
            try await authorization.check(InProcessServer.request(path: "/public/..%2Fadmin"))
        }
        #expect(response.denied?.status.code == .badRequest)
        #expect(response.dynamicMetadata.fields["reason"]?.stringValue == "ambiguous_path")
    }

    @Test("An error while resolving the identity denies with internal_error, never allows")
    func internalErrorFailsClosed() async throws {
        struct Broken: Authenticator {
            struct Failure: Error {}
            func identity(for request: AuthzRequest, policyIndex: Int, caller: CallerFacts) async throws -> Identity {
                throw Failure()
            }
            func addCredentials(
                of request: AuthzRequest, policyIndex: Int, caller: CallerFacts, to key: inout some CacheKeyBuilder
            ) {}
        }
        let response = try await InProcessServer.with(policy: Self.policy, authenticator: Broken()) {
            authorization, _ in
            try await authorization.check(InProcessServer.request(path: "/public/a"))
        }
        #expect(response.status.code != 0)
        #expect(response.allowed == nil)
        #expect(response.dynamicMetadata.fields["reason"]?.stringValue == "internal_error")
    }

    @Test("Before a policy is active every check is denied with 503 policy_not_loaded")
    func noPolicy() async throws {
        let response = try await InProcessServer.with(policy: nil) { authorization, _ in
            try await authorization.check(InProcessServer.request(path: "/public/a"))
        }
        #expect(response.status.code == 14)
        #expect(response.denied?.status.code == .serviceUnavailable)
        #expect(response.dynamicMetadata.fields["reason"]?.stringValue == "policy_not_loaded")
    }

    @Test("An empty CheckRequest and one without HTTP attributes are decided on source and destination alone")
    func networkLevelCheck() async throws {
        let (empty, network) = try await InProcessServer.with(policy: Self.policy) { authorization, _ in
            var network = Envoy_Service_Auth_V3_CheckRequest()
            network.attributes.source.address.socketAddress.address = "10.9.9.9"
            return (
                try await authorization.check(Envoy_Service_Auth_V3_CheckRequest()),
                try await authorization.check(network)
            )
        }
        #expect(empty.dynamicMetadata.fields["reason"]?.stringValue == "no_policy")
        #expect(network.allowed == nil)
        #expect(network.status.code != 0)
    }

    @Test("Raw header_map entries are used, repeats kept, when Envoy encodes raw headers")
    func rawHeaders() async throws {
        let response = try await InProcessServer.with(policy: Self.policy) { authorization, _ in
            var request = InProcessServer.request(path: "/tenants/7")
            var map = Envoy_Config_Core_V3_HeaderMap()
            for (name, value) in [("x-tenant", "a"), ("x-tenant", "b")] {
                var header = Envoy_Config_Core_V3_HeaderValue()
                header.key = name
                header.rawValue = Data(value.utf8)
                map.headers.append(header)
            }
            request.attributes.request.http.headerMap = map
            return try await authorization.check(request)
        }
        #expect(response.status.code == 0, "x-tenant is present in the raw header map")
    }
}

extension Envoy_Service_Auth_V3_CheckResponse {
    /// The OK response, if the oneof holds one.
    var allowed: Envoy_Service_Auth_V3_OkHttpResponse? {
        if case .okResponse(let response)? = self.httpResponse { return response }
        return nil
    }

    /// The denied response, if the oneof holds one.
    var denied: Envoy_Service_Auth_V3_DeniedHttpResponse? {
        if case .deniedResponse(let response)? = self.httpResponse { return response }
        return nil
    }
}
