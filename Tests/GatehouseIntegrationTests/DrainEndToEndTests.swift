import Foundation
import GatehouseTestSupport
import Testing

/// SIGTERM to one of two Gatehouse replicas behind a real Envoy, under load: the replica drains
/// (GOAWAY, PING, final GOAWAY, checks in flight finished) and Envoy sends new checks to the
/// other one, so no request fails.
@Suite("Drain through a real Envoy", .serialized, .timeLimit(.minutes(3)))
struct DrainEndToEndTests {
    /// The fixture policy's answer to `/records/secret`: a 403 with this body.
    static let denialBody = #"{"error":"secrets are never served"}"#

    @Test("SIGTERM to one replica under load fails no request: every request gets the policy's answer")
    func sigtermUnderLoad() async throws {
        try await Replicas.with { replicas in
            let requests = 3_000
            let load = try replicas.startLoad(requests: requests, parallel: 32, path: "/records/secret")
            // SIGTERM once the load is well under way, so that checks are in flight on both replicas.
            try await load.waitForLines(requests / 5)
            let status = await replicas.first.process.terminate(timeout: .seconds(15))
            #expect(status == 0, "The replica exits cleanly after draining:\n\(replicas.first.process.log)")
            let answers = try await load.results(expected: requests)
            let expected = "403 \(Self.denialBody.utf8.count)"
            let failed = answers.filter { $0 != expected }
            #expect(answers.count == requests)
            // Envoy's access log says why a request failed (`ext_authz_error` after a timeout or a
            // reset, a connection failure...): the policy's own denials are `ext_authz_denied`.
            // Its counters for the gatehouse cluster tell a timeout from a reset or a refused retry.
            let envoyFailures = replicas.envoy.log.split(separator: "\n").filter {
                $0.hasPrefix("/records/secret") && !$0.contains(" ext_authz_denied ")
            }
            let counters =
                failed.isEmpty ? "" : replicas.envoyStats(matching: "cluster\\.gatehouse\\.upstream_(rq|cx)_")
            let replicaLog = replicas.first.process.log.split(separator: "\n").suffix(15).joined(separator: "\n")
            #expect(
                failed.isEmpty,
                """
                \(failed.count) of \(requests) requests did not get the policy's answer; Envoy's access log for \
                them (first 20): \(envoyFailures.prefix(20).joined(separator: "\n"))
                Envoy's counters (non-zero): \(counters)
                The stopped replica's last log lines: \(replicaLog)
                """)
        }
    }
}

/// Two `gatehouse serve` replicas and an Envoy in front of them (`deploy/envoy/front-proxy-replicas.yaml`).
struct Replicas: Sendable {
    let first: GatehouseServer
    let second: GatehouseServer
    let envoy: ChildProcess
    let envoyPort: Int
    let envoyAdminPort: Int
    let directory: URL

    /// Starts both replicas and Envoy, runs `body`, and stops everything, whether `body` throws or not.
    ///
    /// Scoped like ``Deployment/with(envoyConfig:policies:prepare:envoyReplacements:_:)``: the
    /// stop is awaited before this returns, so no process outlives the test, and the replicas'
    /// temporary directory is removed after it.
    ///
    /// - Parameter body: The test, given the running replicas.
    /// - Returns: What `body` returns.
    /// - Throws: What starting the replicas throws, or what `body` throws (after the stop).
    static func with<Result>(_ body: (Replicas) async throws -> Result) async throws -> Result {
        try await withTemporaryDirectory("e2e-replicas") { directory in
            let ports = try FreePort.next(6)
            let first = try await GatehouseServer(
                directory: try Self.subdirectory("first", of: directory), policies: Provisioning.fixturePolicies,
                ports: (ports[0], ports[1]))
            let second = try await GatehouseServer(
                directory: try Self.subdirectory("second", of: directory), policies: Provisioning.fixturePolicies,
                ports: (ports[2], ports[3]))
            let envoyText = try String(
                contentsOf: Repository.deploy.appendingPathComponent("envoy/front-proxy-replicas.yaml"), encoding: .utf8
            )
            .replacingOccurrences(of: "port_value: 10000", with: "port_value: \(ports[4])")
            .replacingOccurrences(of: "port_value: 9901", with: "port_value: \(ports[5])")
            .replacingOccurrences(of: "port_value: 9191", with: "port_value: \(first.port)")
            .replacingOccurrences(of: "port_value: 9192", with: "port_value: \(second.port)")
            let envoyFile = directory.appendingPathComponent("envoy.yaml")
            try Data(envoyText.utf8).write(to: envoyFile)
            let envoy = try ChildProcess(
                name: "envoy", executable: try await Provisioning.envoy(),
                arguments: [
                    "-c", envoyFile.path, "--base-id", String(Int.random(in: 1_000...60_000)), "-l", "warning",
                    "--concurrency", "1", "--disable-hot-restart",
                ],
                logFile: directory.appendingPathComponent("envoy.log"))
            let replicas = Replicas(
                first: first, second: second, envoy: envoy, envoyPort: ports[4], envoyAdminPort: ports[5],
                directory: directory)
            let result: Result
            do {
                try await first.waitUntilServing()
                try await second.waitUntilServing()
                try await replicas.waitUntilEnvoyServes()
                result = try await body(replicas)
            } catch {
                await replicas.stop()
                throw error
            }
            await replicas.stop()
            return result
        }
    }

    private static func subdirectory(_ name: String, of directory: URL) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Waits until a request through Envoy gets the policy's answer (Envoy's listener is up and
    /// both replicas are reachable), trying for at most ten seconds.
    private func waitUntilEnvoyServes() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let result = try await ProcessRunner.run(
                "/usr/bin/curl",
                [
                    "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", "--max-time", "2", "-H",
                    "host: civil-registry.gov.example", "http://127.0.0.1:\(self.envoyPort)/records/secret",
                ])
            if result.stdout == "403 \(DrainEndToEndTests.denialBody.utf8.count)" { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ChildProcessError(message: "Envoy did not answer through the replicas:\n\(self.envoy.log)")
    }

    /// Envoy's non-zero counters whose names match `pattern` (a regular expression), one per line;
    /// for failure messages, so an error reading them is part of the text.
    func envoyStats(matching pattern: String) -> String {
        do {
            let result = try ProcessRunner.run(
                "/usr/bin/curl",
                ["-s", "--max-time", "5", "http://127.0.0.1:\(self.envoyAdminPort)/stats?usedonly&filter=\(pattern)"],
                timeout: .seconds(10))
            return result.stdout.split(separator: "\n").filter { !$0.hasSuffix(": 0") }.joined(separator: "\n")
        } catch {
            return "(could not read Envoy's stats: \(error))"
        }
    }

    /// Starts `requests` GETs of `path?i=N` through Envoy, `parallel` at a time, with curl.
    func startLoad(requests: Int, parallel: Int, path: String) throws -> Load {
        let urls = self.directory.appendingPathComponent("urls.txt")
        var text = ""
        for index in 0..<requests {
            text += "url = \"http://127.0.0.1:\(self.envoyPort)\(path)?i=\(index)\"\noutput = \"/dev/null\"\n"
        }
        try Data(text.utf8).write(to: urls)
        let process = try ChildProcess(
            name: "curl", executable: "/usr/bin/curl",
            arguments: [
                "-s", "--no-progress-meter", "--parallel", "--parallel-max", String(parallel), "--max-time", "10", "-H",
                "host: civil-registry.gov.example", "-w", "%{http_code} %{size_download}\\n", "--config", urls.path,
            ],
            logFile: self.directory.appendingPathComponent("answers.txt"))
        return Load(process: process)
    }

    func stop() async {
        await self.envoy.terminate()
        await self.first.process.terminate()
        await self.second.process.terminate()
    }
}

/// A running curl: one `STATUS BYTES` line per finished request.
struct Load: Sendable {
    let process: ChildProcess

    var lines: [String] { self.process.log.split(separator: "\n").map(String.init) }

    /// Waits until `count` requests have finished (polling: curl is another process).
    func waitForLines(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while self.lines.count < count, ContinuousClock.now < deadline, self.process.isRunning {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Every request's `STATUS BYTES`, once curl has finished.
    func results(expected: Int) async throws -> [String] {
        try await self.waitForLines(expected)
        _ = await self.process.terminate(timeout: .seconds(30))
        return self.lines
    }
}
