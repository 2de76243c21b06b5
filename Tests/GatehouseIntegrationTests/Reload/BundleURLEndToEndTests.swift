import EnvoyAuthAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GatehouseTestSupport
import SwiftProtobuf
import Testing

/// `bundles.url` through the real binaries: `gatehouse bundle build` makes the bundles, a
/// loopback HTTP server serves them, and `gatehouse serve` polls it.
@Suite("Bundle URL polling end to end", .bug(id: "12"), .timeLimit(.minutes(3)))
struct BundleURLEndToEndTests {
    /// Builds the fixture policies (with `/news/**` opened when `opened`) as `file`, revision `revision`.
    static func build(_ file: URL, revision: String, opened: Bool, in directory: URL) throws {
        let policies = directory.appendingPathComponent("src-\(revision)")
        try FileManager.default.copyItem(at: Provisioning.fixturePolicies, to: policies)
        if opened {
            let policy = policies.appendingPathComponent("e2e.yaml")
            let text = try String(contentsOf: policy, encoding: .utf8)
            try Data(text.replacingOccurrences(of: "paths: [/public/**]", with: "paths: [/public/**, /news/**]").utf8)
                .write(to: policy)
        }
        // Built beside, then renamed over: the HTTP server never serves half a file.
        let temporary = directory.appendingPathComponent("\(revision).tar.gz")
        let built = try ProcessRunner.run(
            Repository.gatehouse.path,
            ["bundle", "build", policies.path, "-o", temporary.path, "--revision", revision])
        guard built.status == 0 else { throw ChildProcessError(message: "bundle build failed: \(built.combined)") }
        guard rename(temporary.path, file.path) == 0 else { throw ChildProcessError(message: "rename failed") }
    }

    @Test("A new bundle at bundles.url is activated by the next poll; checks answer on its revision")
    func polling() async throws {
        try await withTemporaryDirectory("bundle-url") { directory in
            let www = directory.appendingPathComponent("www")
            try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
            let bundle = www.appendingPathComponent("bundle.tar.gz")
            try Self.build(bundle, revision: "v1", opened: false, in: directory)
            let ports = try FreePort.next(2)
            let http = try ChildProcess(
                name: "http.server", executable: try await Provisioning.python(),
                arguments: [
                    "-u", "-m", "http.server", String(ports[0]), "--bind", "127.0.0.1", "--directory", www.path,
                ],
                logFile: directory.appendingPathComponent("http.log"))
            let configuration = """
                grpc:
                  listeners: [{ address: 127.0.0.1:\(ports[1]) }]
                bundles:
                  url: http://127.0.0.1:\(ports[0])/bundle.tar.gz
                  pollInterval: 1s
                  store: store
                audit: { store: audit/decisions.db, key: audit/key.pem }
                admin: { listen: "off" }
                log: { level: debug }
                envoy: { metadata: full }  # the checks read policy_revision, which lean metadata leaves out
                """
            let file = directory.appendingPathComponent("gatehouse.yaml")
            try Data(configuration.utf8).write(to: file)
            try await http.waitForLog("Serving HTTP")  // -u: unbuffered, so the line reaches the log at once
            let server = try ChildProcess(
                name: "gatehouse", executable: Repository.gatehouse.path, arguments: ["serve", "--config", file.path],
                logFile: directory.appendingPathComponent("gatehouse.log"))
            do {
                try await server.waitForLog("gatehouse.address=127.0.0.1:\(ports[1])")
                try await GatehouseClient.with(port: ports[1]) { client in
                    let first = try await ReloadEndToEndTests.check(client, "/news/today")
                    #expect(first.revision == "v1")
                    try Self.build(bundle, revision: "v2", opened: true, in: directory)
                    let second = try await ReloadEndToEndTests.checkUntil(client, "/news/today", "v2 is active") {
                        $0.revision == "v2"
                    }
                    #expect(second.reason != first.reason)
                }
                // The reloader activates the revision, keeps the bundle, then logs: a check can
                // answer on v2 before the line is written, so wait for it (fails after 30 s).
                try await server.waitForLog("gatehouse.reload.trigger=poll")
                #expect(await server.terminate() == 0)
                await http.terminate()
            } catch {
                await server.terminate()
                await http.terminate()
                throw error
            }
        }
    }
}
