import Crypto
import Foundation
import GatehouseTestSupport
import SwiftASN1
import Testing
import X509

/// Envoy 1.40 calling Gatehouse over mTLS (`deploy/envoy/front-proxy-mtls.yaml` and
/// `deploy/gatehouse.yaml`, as written) with an Envoy certificate Gatehouse must not accept:
/// the handshake is refused and Envoy, with `failure_mode_allow: false`, answers 403; and with a
/// valid but unpinned one, which must be denied even with `failure_mode_allow: true`.
@Suite("Envoy → Gatehouse mTLS through a real Envoy", .serialized)
struct ListenerMutualTLSEndToEndTests {
    /// The development CA of the run, as an authority that issues and revokes.
    static func developmentCA(in certificates: URL) throws -> TestPKI.Authority {
        let certificate = try Certificate(
            pemEncoded: try String(contentsOf: certificates.appendingPathComponent("ca.pem"), encoding: .utf8))
        let key = try P256.Signing.PrivateKey(
            pemRepresentation: try String(
                contentsOf: certificates.appendingPathComponent("ca-dev-key.pem"), encoding: .utf8))
        return TestPKI.Authority(certificate: certificate, key: key)
    }

    /// Replaces Envoy's certificate and key (`envoy.pem`, `envoy-dev-key.pem`) with one issued
    /// by the development CA as `configure` describes: by default what `gatehouse certs dev`
    /// issues for the front Envoy (its SPIFFE ID, `*.gov.example` for its callers), valid now.
    static func replaceEnvoyCertificate(in certificates: URL, _ configure: (inout TestPKI.Leaf) -> Void) throws {
        var leaf = TestPKI.Leaf()
        leaf.subject = TestPKI.name("envoy-front")
        leaf.uris = ["spiffe://gov.example/envoy/front"]
        leaf.dnsNames = ["localhost", "*.gov.example", "gov.example"]
        leaf.extendedKeyUsage = [.clientAuth, .serverAuth]
        leaf.notBefore = Date() - 3600
        leaf.notAfter = Date() + TestPKI.day
        configure(&leaf)
        let certificate = try TestPKI.issue(leaf, by: try Self.developmentCA(in: certificates))
        try Data(try TestPKI.pem([certificate]).utf8).write(to: certificates.appendingPathComponent("envoy.pem"))
        try Data(leaf.key.pemRepresentation.utf8).write(to: certificates.appendingPathComponent("envoy-dev-key.pem"))
    }

    /// Adds `tls.crls` to the mTLS listener of the run's `gatehouse.yaml` (written beside `certs/`).
    static func addRevocationList(_ crl: [UInt8], in certificates: URL) throws {
        let crlFile = certificates.appendingPathComponent("envoy-ca.crl")
        try Data(TestPKI.pem(crl, label: "X509 CRL").utf8).write(to: crlFile)
        let configuration = certificates.deletingLastPathComponent().appendingPathComponent("gatehouse.yaml")
        let text = try String(contentsOf: configuration, encoding: .utf8)
        let line = try #require(
            text.components(separatedBy: "\n").first { $0.contains("clientCA:") }, "the sample has an mTLS listener")
        let indent = String(line.prefix { $0 == " " })
        try Data(text.replacingOccurrences(of: line, with: "\(line)\n\(indent)crls: [\(crlFile.path)]").utf8)
            .write(to: configuration)
    }

    /// One request through Envoy from the civil registry's certificate, and Gatehouse's log after the stop.
    static func request(_ deployment: Deployment) async throws -> (status: Int, gatehouseLog: String, envoyLog: String)
    {
        let response = try deployment.request("/public/about", clientCertificate: "civil-registry")
        await deployment.stop()
        return (response.status, deployment.gatehouse.log, deployment.envoy.log)
    }

    @Test("A revoked Envoy certificate is refused at the handshake; Envoy answers 403", .bug(id: "11"))
    func revokedEnvoy() async throws {
        let (status, log, _) = try await Deployment.with(envoyConfig: "front-proxy-mtls.yaml") { certificates in
            let ca = try Self.developmentCA(in: certificates)
            let envoy = try Certificate(
                pemEncoded: try String(contentsOf: certificates.appendingPathComponent("envoy.pem"), encoding: .utf8))
            let crl = try TestPKI.crl(
                by: ca, revoking: [envoy.serialNumber], thisUpdate: Date() - TestPKI.day,
                nextUpdate: Date() + TestPKI.day)
            try Self.addRevocationList(crl, in: certificates)
        } _: { deployment in
            try await Self.request(deployment)
        }
        #expect(status == 403, "\(log)")
        #expect(log.contains("gatehouse.reason=certificate_revoked"), "\(log)")
    }

    @Test("A CA certificate as Envoy's client certificate is refused; Envoy answers 403", .bug(id: "11"))
    func caLeafEnvoy() async throws {
        let (status, log, _) = try await Deployment.with(envoyConfig: "front-proxy-mtls.yaml") { certificates in
            try Self.replaceEnvoyCertificate(in: certificates) { leaf in
                leaf.isCA = true
                leaf.keyUsage = KeyUsage(digitalSignature: true, keyCertSign: true)
            }
        } _: { deployment in
            try await Self.request(deployment)
        }
        #expect(status == 403, "\(log)")
        #expect(log.contains("gatehouse.reason=certificate_is_ca"), "\(log)")
    }

    @Test(
        "An Envoy that passes TLS but is not pinned is denied (caller_not_allowed), even with failure_mode_allow: true",
        .bug(id: "11"))
    func unpinnedEnvoyWithFailureModeAllow() async throws {
        let (status, gatehouseLog, envoyLog) = try await Deployment.with(
            envoyConfig: "front-proxy-mtls.yaml",
            prepare: { certificates in
                try Self.replaceEnvoyCertificate(in: certificates) { $0.uris = ["spiffe://gov.example/envoy/other"] }
            },
            // A check Envoy gives up on would be allowed here (failure_mode_allow), so the check
            // timeout is raised: a fresh-clone CI run on a loaded machine got 200 that way while
            // Gatehouse had denied. The test is about the answer, not its latency.
            envoyReplacements: [
                ("failure_mode_allow: false", "failure_mode_allow: true"), ("timeout: 0.5s", "timeout: 10s"),
                ("connect_timeout: 1s", "connect_timeout: 10s"),
            ]
        ) { deployment in
            try await Self.request(deployment)
        }
        #expect(status == 403, "\(gatehouseLog)")
        #expect(envoyLog.contains("reason=caller_not_allowed"), "\(envoyLog)")
        #expect(!gatehouseLog.contains("client certificate refused"), "the unpinned Envoy's chain is valid")
    }

    @Test(
        "Every connection Envoy opens is verified, resumed TLS sessions included: each check on a new connection is allowed",
        .bug(id: "11"))
    func resumedSessions() async throws {
        // One check per connection: Envoy resumes its TLS session on every connection after the
        // first, which BoringSSL completes without the verification callback. Each check pays a
        // handshake, so the check and connect timeouts are raised: a fresh-clone CI run on a stalled
        // machine saw Gatehouse allow the fourth check after Envoy's 0.5 s had passed (UAEX, 403).
        let (statuses, gatehouseLog, envoyLog) = try await Deployment.with(
            envoyConfig: "front-proxy-mtls.yaml",
            envoyReplacements: [
                ("timeout: 0.5s", "timeout: 10s"), ("connect_timeout: 1s", "connect_timeout: 10s"),
                (
                    "        explicit_http_config:",
                    "        common_http_protocol_options: { max_requests_per_connection: 1 }\n"
                        + "        explicit_http_config:"
                ),
            ]
        ) { deployment in
            var statuses: [Int] = []
            for _ in 0..<5 {
                statuses.append(try deployment.request("/public/about", clientCertificate: "civil-registry").status)
            }
            await deployment.stop()
            return (statuses, deployment.gatehouse.log, deployment.envoy.log)
        }
        #expect(statuses == [200, 200, 200, 200, 200], "Envoy:\n\(envoyLog)\nGatehouse:\n\(gatehouseLog)")
        #expect(!gatehouseLog.contains("caller_not_allowed"), "\(gatehouseLog)")
    }
}
