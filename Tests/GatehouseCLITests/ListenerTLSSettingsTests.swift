import Foundation
import GatehouseCLI
import GatehouseGRPC
import GatehouseTestSupport
import Testing
import X509

/// `grpc.listeners[].tls` with client certificates: `clientCA`, `crls`, `trustDomain` and
/// `allowedClients` read into the listener, the bundle and CRL files loaded when read, and every
/// problem reported at its `file:line:col`.
@Suite("mTLS listener settings", .timeLimit(.minutes(1)))
struct ListenerTLSSettingsTests {
    /// A folder with a CA bundle, its CRL, a client certificate and stand-ins for the server's files.
    struct Folder {
        let path: String

        init() throws {
            self.path = NSTemporaryDirectory() + "gatehouse-listener-settings-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true)
            let root = try TestPKI.root()
            try self.write("ca.pem", try TestPKI.pem([root.certificate]))
            try self.write("ca.crl", TestPKI.pem(try TestPKI.crl(by: root, revoking: []), label: "X509 CRL"))
            try self.write("client.pem", try TestPKI.pem([try TestPKI.issue(by: root)]))
            try self.write("server.pem", "stands in: the configuration does not parse it")
            try self.write("server-key.pem", "stands in")
        }

        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: self.path + "/" + name))
        }

        /// `gatehouse.yaml` in the folder with one listener whose `tls` mapping is `tls`, as lines.
        func configuration(tls: [String]) throws -> String {
            let lines =
                ["grpc:", "  listeners:", "    - address: 127.0.0.1:9443", "      tls:"] + tls.map { "        " + $0 }
            try self.write("gatehouse.yaml", lines.joined(separator: "\n") + "\n")
            return self.path + "/gatehouse.yaml"
        }

        func remove() { try? FileManager.default.removeItem(atPath: self.path) }
    }

    static let server = ["certificate: server.pem", "key: server-key.pem"]

    @Test("clientCA, crls, trustDomain and allowedClients make an mTLS listener; paths are relative to the file")
    func reads() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let file = try folder.configuration(
            tls: Self.server + [
                "clientCA: ca.pem", "crls: [ca.crl]", "trustDomain: gov.example",
                "allowedClients: { spiffeIds: [spiffe://gov.example/envoy/front], subjects: ['CN=envoy,O=Gov'] }",
            ])
        let configuration = try ServeSettingsTests.load(file: file)
        let expected = ClientCertificateSettings(
            clientCA: folder.path + "/ca.pem", crls: [folder.path + "/ca.crl"], trustDomain: "gov.example",
            allowedClients: CallerPolicy(spiffeIDs: ["spiffe://gov.example/envoy/front"], subjects: ["CN=envoy,O=Gov"]))
        #expect(
            configuration.grpc.listeners == [
                ListenerConfiguration(
                    address: .tcp(host: "127.0.0.1", port: 9443),
                    security: .mutualTLS(
                        certificateChain: folder.path + "/server.pem", privateKey: folder.path + "/server-key.pem",
                        clients: expected))
            ])
    }

    @Test("crls, trustDomain and allowedClients need clientCA")
    func needClientCA() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let file = try folder.configuration(
            tls: Self.server + ["crls: [ca.crl]", "trustDomain: gov.example", "allowedClients: { subjects: [CN=a] }"])
        #expect(
            ServeSettingsTests.problems(file: file) == [
                "\(file):7:15: grpc.listeners[0].tls.crls needs clientCA (mTLS).",
                "\(file):8:22: grpc.listeners[0].tls.trustDomain needs clientCA (mTLS).",
                "\(file):9:25: grpc.listeners[0].tls.allowedClients needs clientCA (mTLS).",
            ])
    }

    @Test("A trust domain with a scheme is refused at its position")
    func badTrustDomain() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let file = try folder.configuration(
            tls: Self.server + ["clientCA: ca.pem", "trustDomain: spiffe://gov.example"])
        let problems = ServeSettingsTests.problems(file: file)
        #expect(problems.count == 1)
        #expect(
            problems.first?.hasPrefix("\(file):8:22: grpc.listeners[0].tls.trustDomain: 'spiffe://gov.example'") == true
        )
    }

    @Test("A bundle holding a client certificate, a CRL that is not one, and a missing CRL are named at their lines")
    func badFiles() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let leafBundle = try folder.configuration(tls: Self.server + ["clientCA: client.pem"])
        let leafProblems = ServeSettingsTests.problems(file: leafBundle)
        #expect(leafProblems.count == 1)
        #expect(leafProblems.first?.hasPrefix("\(leafBundle):7:19: grpc.listeners[0].tls.clientCA: ") == true)
        #expect(leafProblems.first?.contains("not a CA certificate") == true, "\(leafProblems)")

        let notCRL = try folder.configuration(
            tls: Self.server + ["clientCA: ca.pem", "crls: [client.pem, missing.crl]"])
        let crlProblems = ServeSettingsTests.problems(file: notCRL)
        #expect(crlProblems.count == 1, "the first bad file is reported: \(crlProblems)")
        #expect(crlProblems.first?.hasPrefix("\(notCRL):8:16: grpc.listeners[0].tls.crls: ") == true, "\(crlProblems)")

        let missing = try folder.configuration(tls: Self.server + ["clientCA: ca.pem", "crls: [ca.crl, missing.crl]"])
        let missingProblems = ServeSettingsTests.problems(file: missing)
        #expect(missingProblems.first?.hasPrefix("\(missing):8:24: grpc.listeners[0].tls.crls: ") == true)
        #expect(missingProblems.first?.contains("missing.crl") == true, "\(missingProblems)")
    }
}
