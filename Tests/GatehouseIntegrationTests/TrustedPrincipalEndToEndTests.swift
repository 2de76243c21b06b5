import Foundation
import GatehouseTestSupport
import Testing

/// Envoy's `source.principal` believed over a trusted Unix socket (issue #11 item 5), through
/// Envoy 1.40 running `deploy/envoy/sidecar-uds.yaml` and Gatehouse running
/// `deploy/gatehouse.yaml` as written: the sidecar verifies a mesh caller's client certificate and
/// forwards only its principal; the policy (`trustEnvoyPrincipal: true`) decides on its SPIFFE ID.
@Suite("Envoy's principal over a trusted Unix socket, end to end", .serialized, .timeLimit(.minutes(3)))
struct TrustedPrincipalEndToEndTests {
    @Test("A sidecar's principal is believed over the trusted socket: allowed and denied as the policy says")
    func sidecarPrincipal() async throws {
        try await Deployment.with(envoyConfig: "sidecar-uds.yaml") { sidecar in
            let allowed = try sidecar.request(
                "/records/1", host: "mesh.gov.example", clientCertificate: "civil-registry")
            #expect(allowed.status == 200, "\(allowed.body)")
            #expect(
                allowed.upstreamHeader("x-gatehouse-caller") == "spiffe://gov.example/ns/civil-registry/sa/api",
                "\(allowed.body)")

            let otherCaller = try sidecar.request(
                "/records/1", host: "mesh.gov.example", clientCertificate: "hospital-emr")
            #expect(otherCaller.status == 403, "\(otherCaller.body)")

            let otherPath = try sidecar.request("/admin", host: "mesh.gov.example", clientCertificate: "civil-registry")
            #expect(otherPath.status == 403)

            await sidecar.stop()
            #expect(
                sidecar.gatehouse.log.contains("source.principal=spiffe://gov.example/ns/hospital/sa/emr"),
                "Envoy forwarded the principal over the socket")
        }
    }
}
