import Foundation
import GatehouseTestSupport

/// The built `gatehouse serve`, run with `deploy/gatehouse.yaml` on free ports.
///
/// The sample configuration is used as written; only its addresses, the certificate and
/// policy directories and the log level are rewritten. Its three listeners (plaintext TCP,
/// Unix socket, mTLS pinned to the front Envoy's SPIFFE ID) are all started.
final class GatehouseServer: @unchecked Sendable {
    // @unchecked: `process` is replaced only by `restart()`, called by the one test that owns the server.
    let directory: URL
    let port: Int
    let tlsPort: Int
    let socketPath: String
    /// The HTTP ext_authz door's Unix socket (`httpAuthz.listeners`, trusted for forwarded identities).
    let httpSocketPath: String
    let certificates: URL
    private(set) var process: ChildProcess
    private var generation = 0

    /// - Parameters:
    ///   - adminPort: The admin API's port; 0 (any free one) unless a test calls it.
    ///   - adminTokens: `admin.tokens` as YAML flow text; none by default.
    ///   - adminMoreSettings: More `admin.*` keys (YAML lines indented under `admin:`, e.g. `tls: {…}`).
    ///   - moreSettings: Top-level YAML lines appended to the configuration (e.g. an `authzen:` section).
    ///   - envoyMetadata: `envoy.metadata` (the sample's `lean`, `full` or a list): a test that
    ///     reads more than `decision_id`, `reason` and `reason_detail` from answers says `full`.
    ///   - prepare: Runs with the fresh certificate directory before Gatehouse starts,
    ///     e.g. to make a policy directory trust that CA and identity provider.
    init(
        directory: URL, policies: URL, ports: (Int, Int), adminPort: Int = 0, adminTokens: String = "[]",
        adminMoreSettings: [String] = [], moreSettings: [String] = [], envoyMetadata: String = "lean",
        prepare: (URL) async throws -> Void = { _ in }
    ) async throws {
        self.directory = directory
        (self.port, self.tlsPort) = ports
        self.socketPath = directory.appendingPathComponent("gatehouse.sock").path
        self.httpSocketPath = directory.appendingPathComponent("gatehouse-http.sock").path
        self.certificates = directory.appendingPathComponent("certs")
        // Awaited on a thread of its own: many suites start servers at once, and a synchronous wait
        // here held both cooperative threads of a 2-core machine (gdb), starving every gRPC test.
        let certs = try await ProcessRunner.run(
            Repository.gatehouse.path, ["certs", "dev", "--out", self.certificates.path])
        guard certs.status == 0 else {
            throw ChildProcessError(message: "gatehouse certs dev failed: \(certs.combined)")
        }
        let configuration =
            try String(
                contentsOf: Repository.deploy.appendingPathComponent("gatehouse.yaml"), encoding: .utf8
            )
            .replacingOccurrences(of: "127.0.0.1:9191", with: "127.0.0.1:\(self.port)")
            .replacingOccurrences(of: "127.0.0.1:9443", with: "127.0.0.1:\(self.tlsPort)")
            .replacingOccurrences(of: "unix:/tmp/gatehouse.sock", with: "unix:\(self.socketPath)")
            .replacingOccurrences(of: "unix:/tmp/gatehouse-http.sock", with: "unix:\(self.httpSocketPath)")
            .replacingOccurrences(of: "../certs-dev/", with: self.certificates.path + "/")
            .replacingOccurrences(of: "policies: ../policies", with: "policies: \(policies.path)")
            .replacingOccurrences(of: "level: info", with: "level: debug")
            .replacingOccurrences(of: "metadata: lean", with: "metadata: \(envoyMetadata)")
            .replacingOccurrences(of: "listen: 127.0.0.1:8181", with: "listen: 127.0.0.1:\(adminPort)")
            .replacingOccurrences(
                of: "tokens: []", with: (["tokens: \(adminTokens)"] + adminMoreSettings).joined(separator: "\n  "))
            + moreSettings.map { "\n" + $0 }.joined()
        try Data(configuration.utf8).write(to: directory.appendingPathComponent("gatehouse.yaml"))
        try await prepare(self.certificates)
        self.process = try Self.spawn(directory, generation: 0)
    }

    /// Starts a server on fresh ports, runs `body` with it, and stops it with SIGTERM, whether
    /// `body` returns or throws.
    ///
    /// The stop is awaited before this returns. `body` may terminate the process itself to check
    /// its exit status; terminating again is harmless. The server's files live in a temporary
    /// directory removed after the stop (``withTemporaryDirectory(_:isolation:_:)``).
    ///
    /// - Parameters:
    ///   - policies: The policy directory; the e2e fixture by default.
    ///   - envoyMetadata: `envoy.metadata`; the default's `lean` unless the test reads more.
    ///   - body: The test, given the serving server.
    /// - Returns: What `body` returns.
    /// - Throws: What starting the server throws, or what `body` throws (after the stop).
    static func with<Result>(
        policies: URL = Provisioning.fixturePolicies, envoyMetadata: String = "lean",
        _ body: (GatehouseServer) async throws -> Result
    ) async throws -> Result {
        try await withTemporaryDirectory("e2e-server") { directory in
            let ports = try FreePort.next(2)
            let server = try await GatehouseServer(
                directory: directory, policies: policies, ports: (ports[0], ports[1]), envoyMetadata: envoyMetadata)
            let result: Result
            do {
                try await server.waitUntilServing()
                result = try await body(server)
            } catch {
                await server.process.terminate()
                throw error
            }
            await server.process.terminate()
            return result
        }
    }

    private static func spawn(_ directory: URL, generation: Int) throws -> ChildProcess {
        try ChildProcess(
            name: "gatehouse", executable: Repository.gatehouse.path,
            arguments: ["serve", "--config", directory.appendingPathComponent("gatehouse.yaml").path],
            logFile: directory.appendingPathComponent("gatehouse-\(generation).log"))
    }

    /// Waits until every listener is bound.
    func waitUntilServing() async throws {
        for address in [
            "127.0.0.1:\(self.port)", "127.0.0.1:\(self.tlsPort)", "unix:\(self.socketPath)",
            "unix:\(self.httpSocketPath)",
        ] {
            try await self.process.waitForLog("gatehouse.address=\(address)")
        }
    }

    /// Starts the server again (after a kill) and waits until it serves.
    func restart() async throws {
        self.generation += 1
        self.process = try Self.spawn(self.directory, generation: self.generation)
        try await self.waitUntilServing()
    }
}
