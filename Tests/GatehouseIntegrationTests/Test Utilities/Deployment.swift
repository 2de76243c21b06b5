import Foundation

/// An upstream, Gatehouse and Envoy started from the files in `deploy/`, on free ports.
final class Deployment: Sendable {
    let envoyPort: Int
    let server: GatehouseServer
    let upstream: ChildProcess
    let envoy: ChildProcess

    var gatehouse: ChildProcess { self.server.process }
    var certificates: URL { self.server.certificates }

    static let fixturePolicies = Provisioning.repositoryRoot.appendingPathComponent(
        "Tests/GatehouseIntegrationTests/Fixtures/policies")

    /// Starts an upstream, Gatehouse and Envoy for `deploy/envoy/<envoyConfig>`.
    ///
    /// - Parameters:
    ///   - policies: The policy directory; the e2e fixture by default.
    ///   - prepare: Runs with the fresh development certificates (CA, IdP key) before Gatehouse starts.
    static func start(
        envoyConfig: String, policies: URL? = nil, prepare: (URL) throws -> Void = { _ in }
    ) async throws -> Deployment {
        // Ports are found free, closed, then bound by the children; in between another process on
        // the machine (a parallel test's outgoing connection) may take one. A start that fails is
        // retried on fresh ports; a real failure fails every attempt and is reported.
        var attempt = 1
        while true {
            let directory = try Provisioning.temporaryDirectory(
                envoyConfig.replacingOccurrences(of: ".yaml", with: ""))
            let deployment = try Deployment(
                directory: directory, envoyConfig: envoyConfig, policies: policies ?? Self.fixturePolicies,
                prepare: prepare)
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

    private init(directory: URL, envoyConfig: String, policies: URL, prepare: (URL) throws -> Void) throws {
        let root = Provisioning.repositoryRoot
        let ports = try FreePort.next(5)
        self.envoyPort = ports[0]
        let upstreamPort = ports[3]
        let adminPort = ports[4]
        self.server = try GatehouseServer(
            directory: directory, policies: policies, ports: (ports[1], ports[2]), prepare: prepare)
        // The Envoy configuration is used as written; only addresses and the certificate directory change.
        let envoyText = try String(
            contentsOf: root.appendingPathComponent("deploy/envoy/\(envoyConfig)"), encoding: .utf8
        )
        .replacingOccurrences(of: "port_value: 10000", with: "port_value: \(self.envoyPort)")
        .replacingOccurrences(of: "port_value: 9901", with: "port_value: \(adminPort)")
        .replacingOccurrences(of: "port_value: 8080", with: "port_value: \(upstreamPort)")
        .replacingOccurrences(of: "port_value: 9191", with: "port_value: \(self.server.port)")
        .replacingOccurrences(of: "port_value: 9443", with: "port_value: \(self.server.tlsPort)")
        .replacingOccurrences(of: "/tmp/gatehouse.sock", with: self.server.socketPath)
        .replacingOccurrences(of: "certs-dev/", with: self.server.certificates.path + "/")
        let envoyFile = directory.appendingPathComponent("envoy.yaml")
        try Data(envoyText.utf8).write(to: envoyFile)
        let python = (try? Provisioning.python()) ?? "/usr/bin/python3"
        self.upstream = try ChildProcess(
            name: "upstream", executable: python,
            arguments: [
                root.appendingPathComponent("Tests/GatehouseIntegrationTests/Scripts/echo_upstream.py").path,
                String(upstreamPort),
            ],
            logFile: directory.appendingPathComponent("upstream.log"))
        self.envoy = try ChildProcess(
            name: "envoy", executable: try Provisioning.envoy(),
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
    @discardableResult
    func stop() async -> Int32 {
        let status = await self.server.process.terminate()
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
            let certs = self.server.certificates.path
            arguments += [
                "--cacert", "\(certs)/ca.pem", "--cert", "\(certs)/\(clientCertificate).pem",
                "--key", "\(certs)/\(clientCertificate)-dev-key.pem",
                "--resolve", "\(host):\(self.envoyPort):127.0.0.1", "https://\(host):\(self.envoyPort)\(path)",
            ]
        } else {
            arguments += ["-H", "host: \(host)", "http://127.0.0.1:\(self.envoyPort)\(path)"]
        }
        let result = ChildProcess.runToCompletion("/usr/bin/curl", arguments)
        guard result.status == 0 else {
            throw ChildProcessError(message: "curl \(arguments.joined(separator: " ")) failed: \(result.output)")
        }
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
