import Foundation
import GatehouseTestSupport

/// An upstream, Gatehouse and Envoy started from the files in `deploy/`, on free ports.
///
/// Tests get one through ``with(envoyConfig:policies:prepare:envoyReplacements:_:)``, which stops
/// every process before it returns, as `withGRPCServer` does for a server:
///
/// ```swift
/// try await Deployment.with(envoyConfig: "front-proxy.yaml") { deployment in
///     #expect(try deployment.request("/public/a").status == 200)
/// }
/// ```
final class Deployment: Sendable {
    let envoyPort: Int
    /// Envoy's admin listener (`/stats`, `/clusters`).
    let envoyAdminPort: Int
    let server: GatehouseServer
    let upstream: ChildProcess
    let envoy: ChildProcess

    var gatehouse: ChildProcess { self.server.process }
    var certificates: URL { self.server.certificates }

    /// Starts an upstream, Gatehouse and Envoy for `deploy/envoy/<envoyConfig>`, runs `body` with
    /// them, and stops all three, whether `body` returns or throws.
    ///
    /// The stop is awaited before this returns, so no process outlives the test that started it.
    /// `body` may call ``stop()`` itself to read exit statuses and final logs; stopping again is harmless.
    /// The deployment's files (configurations, certificates, logs) live in a temporary directory
    /// removed after the stop; `GATEHOUSE_KEEP_TEMP=1` keeps it when `body` throws
    /// (``withTemporaryDirectory(_:isolation:_:)``).
    ///
    /// - Parameters:
    ///   - envoyConfig: The file in `deploy/envoy/` Envoy runs with.
    ///   - policies: The policy directory; the e2e fixture by default.
    ///   - prepare: Runs with the fresh development certificates (CA, IdP key) before Gatehouse starts.
    ///   - envoyReplacements: Further (text, replacement) edits of the Envoy file, for a test that
    ///     needs one setting changed (such as `failure_mode_allow`).
    ///   - envoyMetadata: Gatehouse's `envoy.metadata`: `lean` (the default) gives Envoy's access
    ///     log `decision_id`, `reason` and `reason_detail`; a test that reads `rule`, `decision` or
    ///     `revision` from it says `full`.
    ///   - body: The test, given the running deployment.
    /// - Returns: What `body` returns.
    /// - Throws: What starting the deployment throws, or what `body` throws (after the stop).
    static func with<Result>(
        envoyConfig: String,
        policies: URL? = nil,
        prepare: (URL) async throws -> Void = { _ in },
        envoyReplacements: [(String, String)] = [],
        envoyMetadata: String = "lean",
        _ body: (Deployment) async throws -> Result
    ) async throws -> Result {
        try await withTemporaryDirectory("e2e-" + envoyConfig.replacingOccurrences(of: ".yaml", with: "")) {
            directory in
            let deployment = try await Self.start(
                in: directory, envoyConfig: envoyConfig, policies: policies, prepare: prepare,
                envoyReplacements: envoyReplacements, envoyMetadata: envoyMetadata)
            let result: Result
            do {
                result = try await body(deployment)
            } catch {
                await deployment.stop()
                throw error
            }
            await deployment.stop()
            return result
        }
    }

    /// Starts an upstream, Gatehouse and Envoy with their files under `root`, and waits until all
    /// three serve.
    private static func start(
        in root: URL, envoyConfig: String, policies: URL?, prepare: (URL) async throws -> Void,
        envoyReplacements: [(String, String)], envoyMetadata: String
    ) async throws -> Deployment {
        // Ports are found free, closed, then bound by the children; in between another process on
        // the machine (a parallel test's outgoing connection) may take one. A start that fails is
        // retried on fresh ports; a real failure fails every attempt and is reported. Each attempt
        // has a folder of its own, so a failed one's logs stay beside the next one's.
        var attempt = 1
        while true {
            let directory = root.appendingPathComponent("attempt-\(attempt)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
            let deployment = try await Deployment(
                directory: directory, envoyConfig: envoyConfig, policies: policies ?? Provisioning.fixturePolicies,
                prepare: prepare, envoyReplacements: envoyReplacements, envoyMetadata: envoyMetadata)
            do {
                try await deployment.upstream.waitForLog("echo upstream listening")
                try await deployment.server.waitUntilServing()
                try await deployment.envoy.waitForLog("starting main dispatch loop")
                return deployment
            } catch {
                await deployment.stop()
                guard attempt < 3 else { throw error }
                attempt += 1
            }
        }
    }

    private init(
        directory: URL, envoyConfig: String, policies: URL, prepare: (URL) async throws -> Void,
        envoyReplacements: [(String, String)], envoyMetadata: String
    ) async throws {
        let ports = try FreePort.next(5)
        self.envoyPort = ports[0]
        let upstreamPort = ports[3]
        let adminPort = ports[4]
        self.envoyAdminPort = adminPort
        self.server = try await GatehouseServer(
            directory: directory, policies: policies, ports: (ports[1], ports[2]), envoyMetadata: envoyMetadata,
            prepare: prepare)
        // The Envoy configuration is used as written; only addresses and the certificate directory change.
        var envoyText = try String(
            contentsOf: Repository.deploy.appendingPathComponent("envoy/\(envoyConfig)"), encoding: .utf8
        )
        .replacingOccurrences(of: "port_value: 10000", with: "port_value: \(self.envoyPort)")
        .replacingOccurrences(of: "port_value: 9901", with: "port_value: \(adminPort)")
        .replacingOccurrences(of: "port_value: 8080", with: "port_value: \(upstreamPort)")
        .replacingOccurrences(of: "port_value: 9191", with: "port_value: \(self.server.port)")
        .replacingOccurrences(of: "port_value: 9443", with: "port_value: \(self.server.tlsPort)")
        .replacingOccurrences(of: "/tmp/gatehouse.sock", with: self.server.socketPath)
        .replacingOccurrences(of: "/tmp/gatehouse-http.sock", with: self.server.httpSocketPath)
        .replacingOccurrences(of: "certs-dev/", with: self.server.certificates.path + "/")
        for (text, replacement) in envoyReplacements {
            envoyText = envoyText.replacingOccurrences(of: text, with: replacement)
        }
        let envoyFile = directory.appendingPathComponent("envoy.yaml")
        try Data(envoyText.utf8).write(to: envoyFile)
        let python = (try? await Provisioning.python()) ?? "/usr/bin/python3"
        self.upstream = try ChildProcess(
            name: "upstream", executable: python,
            arguments: [Provisioning.script("echo_upstream.py"), String(upstreamPort)],
            logFile: directory.appendingPathComponent("upstream.log"))
        self.envoy = try ChildProcess(
            name: "envoy", executable: try await Provisioning.envoy(),
            arguments: [
                "-c", envoyFile.path, "--base-id", String(Int.random(in: 1_000...60_000)), "-l", "info",
                "--concurrency", "1", "--disable-hot-restart",
            ],
            logFile: directory.appendingPathComponent("envoy.log"))
    }

    /// Kills Gatehouse with SIGKILL, as a crash would.
    func killGatehouse() async {
        await self.server.process.kill()
    }

    /// Starts Gatehouse again on the same listeners and waits until it serves.
    func restartGatehouse() async throws {
        try await self.server.restart()
    }

    /// Stops everything; Gatehouse with SIGTERM, so its exit status shows a graceful shutdown.
    ///
    /// - Returns: Gatehouse's exit status; a second call returns the same without signalling again.
    @discardableResult
    func stop() async -> Int32 {
        let status = await self.server.process.terminate()
        await self.envoy.terminate()
        await self.upstream.terminate()
        return status
    }

    /// Envoy's counter `name` (such as `cluster.gatehouse_http.upstream_cx_http2_total`), from its admin listener.
    func envoyCounter(_ name: String) throws -> Int? {
        let result = try ProcessRunner.run(
            "/usr/bin/curl",
            ["-s", "--max-time", "5", "http://127.0.0.1:\(self.envoyAdminPort)/stats?filter=^\(name)$"],
            timeout: .seconds(10))
        return result.stdout.split(separator: "\n").lazy.compactMap { line -> Int? in
            guard line.hasPrefix(name + ": ") else { return nil }
            return Int(line.dropFirst(name.count + 2))
        }.first
    }

    /// Sends a request through Envoy with curl.
    func request(
        _ path: String,
        method: String = "GET",
        host: String = "civil-registry.gov.example",
        headers: [(String, String)] = [],
        clientCertificate: String? = nil
    ) throws -> HTTPResponse {
        var arguments = ["-s", "-S", "-i", "--max-time", "10", "-X", method]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        if let clientCertificate {
            let certs = self.server.certificates.path
            arguments += [
                "--cacert", "\(certs)/ca.pem", "--cert", "\(certs)/\(clientCertificate).pem",
                "--key", "\(certs)/\(clientCertificate)-dev-key.pem",
                "--resolve", "\(host):\(self.envoyPort):127.0.0.1", "https://\(host):\(self.envoyPort)\(path)",
            ]
        } else {
            arguments += ["-H", "host: \(host)", "http://127.0.0.1:\(self.envoyPort)\(path)"]
        }
        let result = try ProcessRunner.run("/usr/bin/curl", arguments, timeout: .seconds(30))
        guard result.status == 0 else {
            throw ChildProcessError(message: "curl \(arguments.joined(separator: " ")) failed: \(result.combined)")
        }
        return HTTPResponse(parsing: result.stdout)
    }
}

/// A response as curl printed it with `-i`.
struct HTTPResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: String

    init(parsing text: String) {
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        self.body = parts.dropFirst().joined(separator: "\r\n\r\n")
        let lines = head.components(separatedBy: "\r\n")
        self.status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        self.headers = lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }

    func header(_ name: String) -> String? { self.headers.first { $0.name == name }?.value }

    /// The headers the echo upstream received, when the request reached it.
    var upstreamHeaders: [(String, String)] {
        guard let data = self.body.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let pairs = object["headers"] as? [[String]]
        else { return [] }
        return pairs.compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
    }

    func upstreamHeader(_ name: String) -> String? { self.upstreamHeaders.first { $0.0 == name }?.1 }
}
