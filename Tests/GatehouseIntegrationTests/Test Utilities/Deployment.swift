import Foundation

/// An upstream, Gatehouse and Envoy started from the files in `deploy/`, on free ports.
///
/// The Envoy configuration and Gatehouse's sample configuration are used as written; only
/// ports, the Unix socket path, and the certificate and policy directories are rewritten.
final class Deployment: @unchecked Sendable {
    // @unchecked: the mutable `gatehouse` handle is replaced only by the single test that owns
    // this deployment, between requests.
    let directory: URL
    let envoyPort: Int
    let gatehousePort: Int
    let gatehouseTLSPort: Int
    let socketPath: String
    let certificates: URL
    let policies: URL
    let upstream: ChildProcess
    private(set) var gatehouse: ChildProcess
    let envoy: ChildProcess
    private var restarts = 0

    /// Starts everything for `deploy/envoy/<envoyConfig>`.
    ///
    /// - Parameter policies: The policy directory; the e2e fixture by default.
    static func start(envoyConfig: String, policies: URL? = nil) async throws -> Deployment {
        let directory = try Provisioning.temporaryDirectory(envoyConfig.replacingOccurrences(of: ".yaml", with: ""))
        let deployment = try Deployment(directory: directory, envoyConfig: envoyConfig, policies: policies ?? Self.fixturePolicies)
        do {
            try await deployment.upstream.waitForLog("echo upstream listening")
            try await deployment.waitUntilGatehouseServes()
            try await deployment.envoy.waitForLog("starting main dispatch loop")
        } catch {
            await deployment.stop()
            throw error
        }
        return deployment
    }

    static let fixturePolicies = Provisioning.repositoryRoot.appendingPathComponent("Tests/GatehouseIntegrationTests/Fixtures/policies")

    private init(directory: URL, envoyConfig: String, policies: URL) throws {
        let root = Provisioning.repositoryRoot
        self.directory = directory
        self.policies = policies
        let ports = try FreePort.next(5)
        self.envoyPort = ports[0]
        self.gatehousePort = ports[1]
        self.gatehouseTLSPort = ports[2]
        let upstreamPort = ports[3]
        let adminPort = ports[4]
        self.socketPath = directory.appendingPathComponent("gatehouse.sock").path
        self.certificates = directory.appendingPathComponent("certs")
        let certs = ChildProcess.runToCompletion(Provisioning.gatehouse, ["certs", "dev", "--out", self.certificates.path])
        guard certs.status == 0 else { throw ChildProcessError(message: "gatehouse certs dev failed: \(certs.output)") }

        let gatehouseConfig = try String(contentsOf: root.appendingPathComponent("deploy/gatehouse.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "127.0.0.1:9191", with: "127.0.0.1:\(self.gatehousePort)")
            .replacingOccurrences(of: "127.0.0.1:9443", with: "127.0.0.1:\(self.gatehouseTLSPort)")
            .replacingOccurrences(of: "unix:/tmp/gatehouse.sock", with: "unix:\(self.socketPath)")
            .replacingOccurrences(of: "../certs-dev/", with: self.certificates.path + "/")
            .replacingOccurrences(of: "policies: ../policies", with: "policies: \(policies.path)")
            .replacingOccurrences(of: "level: info", with: "level: debug")
        try Data(gatehouseConfig.utf8).write(to: directory.appendingPathComponent("gatehouse.yaml"))

        let envoyText = try String(contentsOf: root.appendingPathComponent("deploy/envoy/\(envoyConfig)"), encoding: .utf8)
            .replacingOccurrences(of: "port_value: 10000", with: "port_value: \(self.envoyPort)")
            .replacingOccurrences(of: "port_value: 9901", with: "port_value: \(adminPort)")
            .replacingOccurrences(of: "port_value: 8080", with: "port_value: \(upstreamPort)")
            .replacingOccurrences(of: "port_value: 9191", with: "port_value: \(self.gatehousePort)")
            .replacingOccurrences(of: "port_value: 9443", with: "port_value: \(self.gatehouseTLSPort)")
            .replacingOccurrences(of: "/tmp/gatehouse.sock", with: self.socketPath)
            .replacingOccurrences(of: "certs-dev/", with: self.certificates.path + "/")
        let envoyFile = directory.appendingPathComponent("envoy.yaml")
        try Data(envoyText.utf8).write(to: envoyFile)

        let python = (try? Provisioning.python()) ?? "/usr/bin/python3"
        self.upstream = try ChildProcess(
            name: "upstream", executable: python,
            arguments: [root.appendingPathComponent("Tests/GatehouseIntegrationTests/Scripts/echo_upstream.py").path, String(upstreamPort)],
            logFile: directory.appendingPathComponent("upstream.log"))
        self.gatehouse = try Self.startGatehouse(directory: directory, generation: 0)
        self.envoy = try ChildProcess(
            name: "envoy", executable: try Provisioning.envoy(),
            arguments: [
                "-c", envoyFile.path, "--base-id", String(Int.random(in: 1_000...60_000)), "-l", "info",
                "--concurrency", "1", "--disable-hot-restart",
            ],
            logFile: directory.appendingPathComponent("envoy.log"))
    }

    private static func startGatehouse(directory: URL, generation: Int) throws -> ChildProcess {
        try ChildProcess(
            name: "gatehouse", executable: Provisioning.gatehouse,
            arguments: ["serve", "--config", directory.appendingPathComponent("gatehouse.yaml").path],
            logFile: directory.appendingPathComponent("gatehouse-\(generation).log"))
    }

    /// Kills Gatehouse with SIGKILL, as a crash would.
    func killGatehouse() async {
        await self.gatehouse.kill()
    }

    /// Starts Gatehouse again on the same listeners and waits until it serves.
    func restartGatehouse() async throws {
        self.restarts += 1
        self.gatehouse = try Self.startGatehouse(directory: self.directory, generation: self.restarts)
        try await self.waitUntilGatehouseServes()
    }

    /// Waits until every listener of the sample configuration is bound.
    func waitUntilGatehouseServes() async throws {
        for address in ["127.0.0.1:\(self.gatehousePort)", "127.0.0.1:\(self.gatehouseTLSPort)", "unix:\(self.socketPath)"] {
            try await self.gatehouse.waitForLog("gatehouse.address=\(address)")
        }
    }

    /// Stops everything; Gatehouse with SIGTERM, so its exit status shows a graceful shutdown.
    @discardableResult
    func stop() async -> Int32 {
        let status = await self.gatehouse.terminate()
        await self.envoy.terminate()
        await self.upstream.terminate()
        return status
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
            let certs = self.certificates.path
            arguments += [
                "--cacert", "\(certs)/ca.pem", "--cert", "\(certs)/\(clientCertificate).pem",
                "--key", "\(certs)/\(clientCertificate)-dev-key.pem",
                "--resolve", "\(host):\(self.envoyPort):127.0.0.1", "https://\(host):\(self.envoyPort)\(path)",
            ]
        } else {
            arguments += ["-H", "host: \(host)", "http://127.0.0.1:\(self.envoyPort)\(path)"]
        }
        let result = ChildProcess.runToCompletion("/usr/bin/curl", arguments)
        guard result.status == 0 else { throw ChildProcessError(message: "curl \(arguments.joined(separator: " ")) failed: \(result.output)") }
        return HTTPResponse(parsing: result.output)
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
