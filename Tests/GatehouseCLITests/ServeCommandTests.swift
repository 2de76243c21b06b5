import Foundation
import GatehouseTestSupport
import Testing

@Suite("gatehouse serve --check-config and gatehouse certs dev", .timeLimit(.minutes(2)))
struct ServeCommandTests {
    @Test("--check-config accepts the sample configuration")
    func sampleIsValid() throws {
        let output = try GatehouseProcess.run(["serve", "--config", "deploy/gatehouse.yaml", "--check-config"])
        #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
        #expect(
            output.stdout.contains(
                "configuration is valid: 127.0.0.1:9191 (plaintext), unix:/tmp/gatehouse.sock (plaintext), 127.0.0.1:9443 (mTLS)"
            ))
        #expect(output.stdout.contains("policies: 4"))
    }

    @Test("A bad configuration lists every problem with file:line:col and exits 2")
    func everyProblemListed() throws {
        let configuration = """
            policies: ../policies
            grpc:
              maxConcurrentStreams: 0
              keepaliveTime: soon
              listenres: []
              listeners:
                - address: not-an-address
                - address: 127.0.0.1:9999
                  tls: { certificate: missing.pem, key: missing-key.pem }
            log: { level: chatty }
            cache: { enabled: maybe, maxEntries: -1, ttl: 0s, evict: lru }
            """
        let output = try GatehouseProcess.withDirectory(["conf/gatehouse.yaml": configuration]) { directory in
            try GatehouseProcess.run([
                "serve", "--config", directory.appendingPathComponent("conf/gatehouse.yaml").path, "--check-config",
            ])
        }
        #expect(output.status == 2)
        for fragment in [
            "gatehouse.yaml:3:25: grpc.maxConcurrentStreams: '0' is not a whole number from 1 to 1000000.",
            "gatehouse.yaml:4:18: grpc.keepaliveTime: 'soon' is not a duration",
            "gatehouse.yaml:5:3: grpc has no key 'listenres'",
            "gatehouse.yaml:7:16: grpc.listeners[0].address: 'not-an-address' is not an address",
            "gatehouse.yaml:10:15: log.level: 'chatty' is not a log level",
            "gatehouse.yaml:11:19: cache.enabled: 'maybe' is not a switch",
            "gatehouse.yaml:11:38: cache.maxEntries: '-1' is not a whole number",
            "gatehouse.yaml:11:47: cache.ttl: '0s' is not a duration from 1s",
            "gatehouse.yaml:11:51: cache has no key 'evict'",
            "policies: the directory",
            "tls.certificate: the file",
        ] {
            #expect(output.stderr.contains(fragment), "missing '\(fragment)' in:\n\(output.stderr)")
        }
    }

    @Test("grpc.transport, removed with grpc-swift's server, fails at its position saying what to do")
    func transport() throws {
        let output = try GatehouseProcess.withDirectory(["gatehouse.yaml": "grpc: { transport: grpc-swift }\n"]) {
            directory in
            try GatehouseProcess.run([
                "serve", "--config", directory.appendingPathComponent("gatehouse.yaml").path, "--check-config",
            ])
        }
        #expect(output.status == 2)
        #expect(
            output.stderr.contains(
                "gatehouse.yaml:1:9: grpc.transport: this setting was removed: every listener is served by the direct transport"
            ),
            "\(output.stderr)")
    }

    @Test("Flags override GATEHOUSE_* variables, which override the file")
    func precedence() throws {
        let output = try GatehouseProcess.run(
            ["serve", "--config", "deploy/gatehouse.yaml", "--listen", "127.0.0.1:7001", "--check-config"],
            environment: ["GATEHOUSE_LISTEN": "127.0.0.1:7002,unix:/tmp/x.sock"])
        #expect(
            output.stdout.contains("configuration is valid: 127.0.0.1:7001 (plaintext)\n"),
            "\(output.stdout)\(output.stderr)")
        let fromEnvironment = try GatehouseProcess.run(
            ["serve", "--config", "deploy/gatehouse.yaml", "--check-config"],
            environment: ["GATEHOUSE_LISTEN": "127.0.0.1:7002,unix:/tmp/x.sock"])
        #expect(
            fromEnvironment.stdout.contains(
                "configuration is valid: 127.0.0.1:7002 (plaintext), unix:/tmp/x.sock (plaintext)"))
    }

    @Test("A policy directory that does not compile stops serve with exit 2 and its diagnostics")
    func brokenPolicies() throws {
        let output = try GatehouseProcess.withDirectory([
            "p.yaml": "kind: Policy\nname: p\nrules: [{ name: r, action: maybe }]\n"
        ]) { directory in
            // Its decision log and key in the temporary directory, not the checkout's .gatehouse/.
            try GatehouseProcess.run(
                ["serve", "--policies", directory.path, "--listen", "127.0.0.1:0", "--admin-listen", "off"],
                environment: [
                    "GATEHOUSE_AUDIT_STORE": directory.appendingPathComponent("decisions.db").path,
                    "GATEHOUSE_AUDIT_KEY": directory.appendingPathComponent("audit-key.pem").path,
                ])
        }
        #expect(output.status == 2)
        #expect(output.stdout.contains("policy_invalid_value"))
    }

    @Test("certs dev writes a CA, server, Envoy and caller certificates, keys readable by the owner only")
    func developmentCertificates() throws {
        try GatehouseProcess.withDirectory([:]) { directory in
            let output = try GatehouseProcess.run(["certs", "dev", "--out", directory.path])
            #expect(output.status == 0)
            for name in ["ca", "gatehouse", "envoy", "civil-registry", "xroad-civil-registry"] {
                let certificate = try String(
                    contentsOf: directory.appendingPathComponent("\(name).pem"), encoding: .utf8)
                #expect(certificate.hasPrefix("-----BEGIN CERTIFICATE-----"))
                let key = directory.appendingPathComponent("\(name)-dev-key.pem").path
                let permissions = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
                #expect(permissions == 0o600)
            }
        }
    }
}
