import Foundation
import GatehouseAdmin
import GatehouseCLI
import GatehouseTestSupport
import Testing

@Suite("admin.* settings", .bug(id: "12"), .timeLimit(.minutes(2)))
struct AdminSettingsTests {
    static let hash = String(repeating: "ab", count: 32)

    @Test("admin.listen defaults to 127.0.0.1:8181; the variable, the flag and off override it")
    func listen() throws {
        #expect(try ServeSettingsTests.load().admin.listen == AdminSettings.Address(host: "127.0.0.1", port: 8181))
        let variable = try ServeSettingsTests.load(environment: ["GATEHOUSE_ADMIN_LISTEN": "0.0.0.0:9000"])
        #expect(variable.admin.listen == AdminSettings.Address(host: "0.0.0.0", port: 9000))
        let flag = try ServeSettingsTests.load(
            environment: ["GATEHOUSE_ADMIN_LISTEN": "0.0.0.0:9000"], flags: ["--admin-listen": ["[::1]:8182"]])
        #expect(flag.admin.listen == AdminSettings.Address(host: "::1", port: 8182))
        #expect(try ServeSettingsTests.load(flags: ["--admin-listen": ["off"]]).admin.listen == nil)
        #expect(
            ServeSettingsTests.problems(environment: ["GATEHOUSE_ADMIN_LISTEN": "8181"]) == [
                "GATEHOUSE_ADMIN_LISTEN: '8181' is not an address (HOST:PORT or [V6]:PORT) or off."
            ])
    }

    @Test("admin.listen may not take a gRPC listener's address")
    func collision() {
        #expect(
            ServeSettingsTests.problems(flags: ["--listen": ["127.0.0.1:9300"], "--admin-listen": ["127.0.0.1:9300"]])
                == [
                    "admin.listen: '127.0.0.1:9300' is also a gRPC listener's address; give the admin API a port of its own."
                ])
    }

    @Test("admin.tokens and admin.clients read from the file, each with its role")
    func access() throws {
        let yaml = """
            admin:
              tokens:
                - {name: ops, sha256: \(Self.hash.uppercased()), role: admin}
                - {name: scraper, sha256: \(Self.hash), role: metrics}
              clients:
                - {spiffe: spiffe://gov.example/ops, role: admin}
                - {subject: "CN=audit,O=Gov", role: auditor}
              tls:
                certificate: cert.pem
                key: key.pem
                clientCA: ca.pem
            """
        let problems = try ServeSettingsTests.withFile(yaml) { ServeSettingsTests.problems(file: $0) }
        // The files do not exist; only they are reported, with the clients and tokens accepted.
        #expect(problems.allSatisfy { $0.contains("admin.tls") }, "\(problems)")
        #expect(problems.contains { $0.contains("admin.tls.clientCA") })
        #expect(problems.contains { $0.contains("admin.tls.certificate: the file") })
        // Without the TLS files (and so without clients), the tokens load.
        let tokensOnly = yaml.components(separatedBy: "\n  clients:")[0]
        let configuration = try ServeSettingsTests.withFile(tokensOnly) { try ServeSettingsTests.load(file: $0) }
        #expect(configuration.admin.tokens.map(\.name) == ["ops", "scraper"])
        #expect(configuration.admin.tokens.map(\.role) == [.admin, .metrics])
        #expect(configuration.admin.tokens.first?.digest == [UInt8](repeating: 0xab, count: 32))
    }

    @Test("A bad token entry is reported at its line: a hash that is not 64 hex digits, an unknown role, a missing key")
    func badTokens() throws {
        let yaml = """
            admin:
              tokens:
                - {name: ops, sha256: abc, role: admin}
                - {name: ops, sha256: \(Self.hash), role: root}
                - {name: ops, role: admin}
            """
        let problems = try ServeSettingsTests.withFile(yaml) { file in
            ServeSettingsTests.problems(file: file).map { $0.replacingOccurrences(of: file, with: "FILE") }
        }
        #expect(
            problems == [
                "FILE:3:27: admin.tokens[0].sha256: 'abc' is not a SHA-256 as 64 hex digits (gatehouse admin hash-token prints it).",
                "FILE:4:99: admin.tokens[1].role: 'root' is not a role (metrics, evaluator, auditor, admin).",
                "FILE:5:7: admin.tokens[2] needs 'name', 'sha256' and 'role'.",
            ])
    }

    @Test("admin.clients without admin.tls.clientCA is refused: no certificate could ever be verified")
    func clientsNeedClientCA() throws {
        let yaml = """
            admin:
              clients:
                - {spiffe: spiffe://gov.example/ops, role: admin}
            """
        let problems = try ServeSettingsTests.withFile(yaml) { ServeSettingsTests.problems(file: $0) }
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("admin.clients: client certificates are mapped to roles") == true)
    }
}
