import EnvoyAuthAPI
import Foundation
import GatehouseCore
import GatehouseGRPC
import GatehouseTestSupport
import SwiftProtobuf
import Testing

/// Our generated types against Envoy's own generated code (PyPI xds-protos), both directions.
@Suite("Wire compatibility with Envoy's generated code", .timeLimit(.minutes(2)))
struct WireCompatibilityTests {
    private static let script = Provisioning.script("wire_compat.py")

    @Test("A CheckRequest serialized by xds-protos decodes field for field, with nothing unknown")
    func decodesEnvoyRequest() async throws {
        let output = try await ProcessRunner.run(try await Provisioning.python(), [Self.script, "request"])
        try #require(output.status == 0, "\(output.combined)")
        let bytes = try #require(Data(base64Encoded: output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let check = try Envoy_Service_Auth_V3_CheckRequest(serializedBytes: bytes)
        let attributes = check.attributes
        #expect(attributes.source.address.socketAddress.address == "10.1.2.3")
        #expect(attributes.source.address.socketAddress.portValue == 40123)
        #expect(attributes.source.labels == ["team": "registry"])
        #expect(attributes.source.principal == "spiffe://gov.example/ns/civil-registry/sa/api")
        #expect(attributes.source.certificate.hasPrefix("-----BEGIN%20CERTIFICATE"))
        #expect(attributes.destination.address.pipe.path == "/tmp/app.sock")
        #expect(attributes.request.time.seconds == 1_790_000_000)
        let http = attributes.request.http
        #expect(http.method == "POST")
        #expect(http.headers["x-request-id"] == "req-42")
        #expect(http.headerMap.headers.first?.rawValue == Data("gov".utf8))
        #expect(http.path == "/births/1987-0042?view=full")
        #expect(http.protocol == "HTTP/2")
        #expect(http.size == 12)
        #expect(http.rawBody == Data(#"{"a": 1}"#.utf8))
        #expect(attributes.contextExtensions == ["building_block": "civil-registry"])
        #expect(
            attributes.metadataContext.filterMetadata["envoy.filters.http.jwt_authn"]?.fields["sub"]?.stringValue
                == "alice")
        #expect(attributes.routeMetadataContext.filterMetadata["route"]?.fields["name"]?.stringValue == "births")
        #expect(attributes.tlsSession.sni == "civil-registry.gov.example")
        #expect(check.unknownFields.data.isEmpty)
        #expect(attributes.unknownFields.data.isEmpty)
        #expect(http.unknownFields.data.isEmpty)

        let request = AuthzRequest(check, receivedAt: UnixTime(seconds: 42))
        #expect(request.method.rawValue == "POST")
        #expect(request.path == "/births/1987-0042")
        #expect(request.query.first("view") == "full")
        #expect(request.source.address == IPAddress("10.1.2.3"))
        #expect(request.headers["x-tenant"] == ["gov"], "header_map wins over the headers map when present")
        #expect(request.time == UnixTime(seconds: 1_790_000_000, nanoseconds: 123))
    }

    @Test("Our CheckResponses decode in xds-protos with the fields Envoy applies", arguments: [true, false])
    func encodesForEnvoy(allow: Bool) async throws {
        let decision =
            allow
            ? Decision(
                outcome: .allow, status: 200, reason: .allowed, policy: "p", rule: "r",
                headersToSet: [HeaderMutation(name: "x-subject", value: "alice", action: .addIfAbsent)],
                headersToRemove: ["authorization"],
                queryParametersToSet: [QueryParameterMutation(name: "via", value: "gatehouse")],
                queryParametersToRemove: ["token"], subject: "alice", policyRevision: "rev1")
            : Decision(
                outcome: .deny, status: 401, reason: .missingCredentials, policy: "p",
                headersToSet: [
                    HeaderMutation(name: "www-authenticate", value: #"Bearer realm="p""#, action: .overwrite)
                ],
                body: "no", policyRevision: "rev1")
        let response = Envoy_Service_Auth_V3_CheckResponse(decision, decisionID: "0123456789abcdef0123456789abcdef")
        let encoded = try response.serializedBytes() as Data
        let output = try await ProcessRunner.run(
            try await Provisioning.python(), [Self.script, "response"], input: encoded.base64EncodedString())
        try #require(output.status == 0, "\(output.combined)")
        let json = output.stdout
        #expect(json.contains("unknown_bytes=0"))
        #expect(json.contains(#""decision_id": "0123456789abcdef0123456789abcdef""#))
        if allow {
            #expect(json.contains(#""append_action": "ADD_IF_ABSENT""#))
            #expect(json.contains(#""headers_to_remove": ["#))
            #expect(json.contains(#""query_parameters_to_remove": ["#))
            #expect(!json.contains("denied_response"))
        } else {
            #expect(json.contains(#""code": 16"#))
            #expect(json.contains(#""code": "Unauthorized""#))
            #expect(json.contains(#""body": "no""#))
        }
    }
}
