import Foundation
import GatehouseTestSupport
import Testing

/// Issue #14 item 3: replicas behind one Envoy (`deploy/envoy/envoy-fleet.yaml`, its third
/// endpoint dropped). A replica `kill -9`ed under load costs at most the checks it had in flight
/// (Envoy's retries on `reset` aim at none), Envoy stops sending it checks (outlier detection,
/// gRPC health checking), and the replica restarted on its own store rejoins and verifies.
///
/// `deploy/bench/fleet-kill.sh` is the full run (three replicas, h2load, release build, figures).
@Suite("Fleet through a real Envoy", .bug(id: "14"), .serialized, .timeLimit(.minutes(3)))
struct FleetEndToEndTests {
    /// Checks that may be in flight at once: curl's parallelism, and so the most a kill can cut off.
    static let parallel = 16

    @Test(
        "kill -9 one of two replicas under load: no request fails beyond those in flight on it, it is ejected, restarted it rejoins, its log verifies"
    )
    func killOneReplicaUnderLoad() async throws {
        try await Fleet.with { fleet in
            let instances = try [fleet.first, fleet.second].map { try Fleet.instanceID(of: $0) }
            #expect(instances[0] != instances[1], "each replica signs its own tree: \(instances)")
            let victim = fleet.first
            let load = try fleet.startLoad(requests: 40_000, parallel: Self.parallel)
            try await load.waitForLines(300)

            let killedAt = ContinuousClock.now
            await victim.process.kill()
            let answeredAtKill = load.lines.count
            // Ejected: outlier detection or the health check marks the host; either keeps checks off it.
            try await fleet.waitForHost(victim.port, within: .seconds(10)) { !$0.isEmpty && $0 != "healthy" }
            let ejectedAfter = ContinuousClock.now - killedAt
            try await load.waitForLines(answeredAtKill + 300)

            let answeredAtRestart = load.lines.count
            let restartedAt = ContinuousClock.now
            try await victim.restart()
            let before = try await fleet.requestsTo(victim.port)
            try await fleet.waitForHost(victim.port, within: .seconds(15)) { $0 == "healthy" }
            // Rejoined: Envoy sends it checks again, not only its health checks.
            let deadline = ContinuousClock.now + .seconds(10)
            while try await fleet.requestsTo(victim.port) < before + 50, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            let rejoinedAfter = ContinuousClock.now - restartedAt
            let after = try await fleet.requestsTo(victim.port)
            #expect(after >= before + 50, "the restarted replica got \(after - before) checks from Envoy")

            _ = await load.process.terminate(timeout: .seconds(10))
            let answers = load.lines
            let expected = "403 \(DrainEndToEndTests.denialBody.utf8.count)"
            let failed = answers.filter { $0 != expected }
            let failedAt = answers.indices.filter { answers[$0] != expected }.map { "\($0):\(answers[$0])" }
            if !failed.isEmpty {
                // Envoy's side of the story: retries, ejections, health checks, timeouts.
                let stats = try await ProcessRunner.run(
                    "/usr/bin/curl",
                    [
                        "-s",
                        "http://127.0.0.1:\(fleet.adminPort)/stats?filter=cluster.gatehouse.(upstream_rq|outlier|health_check|upstream_cx)",
                    ])
                print(
                    stats.stdout.split(separator: "\n").filter { !$0.hasSuffix(": 0") && !$0.contains("No recorded") }
                        .joined(separator: "\n"))
            }
            print("killed at \(answeredAtKill), restarted at \(answeredAtRestart), failed at \(failedAt)")
            print(
                "fleet kill -9: \(answers.count) requests, \(failed.count) failed; ejected \(ejectedAfter) after the kill, rejoined \(rejoinedAfter) after the restart"
            )
            #expect(answers.count >= answeredAtKill + 400, "too little load to judge (\(answers.count) requests)")
            #expect(
                failed.count <= Self.parallel,
                "\(failed.count) of \(answers.count) requests failed, more than the \(Self.parallel) that can be in flight: \(Set(failed))"
            )

            let status = await victim.process.terminate()
            #expect(status == 0, "the restarted replica exits cleanly:\n\(victim.process.log)")
            let verify = try await DecisionLogReliabilityTests.verify(victim)
            #expect(verify.status == 0, "audit verify on the killed replica's store:\n\(verify.combined)")
        }
    }
}

/// Two `gatehouse serve` replicas, each with its own directory (decision log store, audit key,
/// instance id), behind an Envoy running `deploy/envoy/envoy-fleet.yaml`.
struct Fleet: Sendable {
    let first: GatehouseServer
    let second: GatehouseServer
    let envoy: ChildProcess
    let envoyPort: Int
    let adminPort: Int
    let directory: URL

    /// Starts both replicas and Envoy, runs `body`, and stops everything (awaited), whether
    /// `body` throws or not.
    static func with<Result>(_ body: (Fleet) async throws -> Result) async throws -> Result {
        try await withTemporaryDirectory("e2e-fleet") { directory in
            let ports = try FreePort.next(6)
            var servers: [GatehouseServer] = []
            for (index, name) in ["first", "second"].enumerated() {
                let home = directory.appendingPathComponent(name)
                try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
                servers.append(
                    try await GatehouseServer(
                        directory: home, policies: Provisioning.fixturePolicies,
                        ports: (ports[2 * index], ports[2 * index + 1])))
            }
            let source = try String(
                contentsOf: Repository.deploy.appendingPathComponent("envoy/envoy-fleet.yaml"), encoding: .utf8)
            let third = source.split(separator: "\n", omittingEmptySubsequences: false).filter {
                !$0.contains("port_value: 9193")
            }
            let envoyText = third.joined(separator: "\n")
                .replacingOccurrences(of: "port_value: 10000", with: "port_value: \(ports[4])")
                .replacingOccurrences(of: "port_value: 9901", with: "port_value: \(ports[5])")
                .replacingOccurrences(of: "port_value: 9191", with: "port_value: \(servers[0].port)")
                .replacingOccurrences(of: "port_value: 9192", with: "port_value: \(servers[1].port)")
            let envoyFile = directory.appendingPathComponent("envoy.yaml")
            try Data(envoyText.utf8).write(to: envoyFile)
            let envoy = try ChildProcess(
                name: "envoy", executable: try await Provisioning.envoy(),
                arguments: [
                    "-c", envoyFile.path, "--base-id", String(Int.random(in: 1_000...60_000)), "-l", "warning",
                    "--concurrency", "1", "--disable-hot-restart",
                ],
                logFile: directory.appendingPathComponent("envoy.log"))
            let fleet = Fleet(
                first: servers[0], second: servers[1], envoy: envoy, envoyPort: ports[4], adminPort: ports[5],
                directory: directory)
            let result: Result
            do {
                for server in servers { try await server.waitUntilServing() }
                for server in servers {
                    try await fleet.waitForHost(server.port, within: .seconds(15)) { $0 == "healthy" }
                }
                result = try await body(fleet)
            } catch {
                await fleet.stop()
                throw error
            }
            await fleet.stop()
            return result
        }
    }

    /// The replica's generated instance id, kept beside its audit key.
    static func instanceID(of server: GatehouseServer) throws -> String {
        let file = server.directory.appendingPathComponent(".gatehouse/audit-key.pem.instance")
        return try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The `gatehouse` cluster's `NAME::VALUE` statistics for one replica, from Envoy's admin `/clusters`.
    func hostStatistics(_ port: Int) async throws -> [String: String] {
        let output = try await ProcessRunner.run(
            "/usr/bin/curl", ["-s", "--max-time", "2", "http://127.0.0.1:\(self.adminPort)/clusters"])
        let prefix = "gatehouse::127.0.0.1:\(port)::"
        var statistics: [String: String] = [:]
        for line in output.stdout.split(separator: "\n") where line.hasPrefix(prefix) {
            let parts = line.dropFirst(prefix.count).split(separator: "::", maxSplits: 1)
            if parts.count == 2 { statistics[String(parts[0])] = String(parts[1]) }
        }
        return statistics
    }

    /// Checks Envoy sent the replica (its `rq_total`, health checks excluded).
    func requestsTo(_ port: Int) async throws -> Int {
        Int(try await self.hostStatistics(port)["rq_total"] ?? "") ?? 0
    }

    /// Polls the replica's `health_flags` (`healthy`, or e.g. `/failed_active_hc/failed_outlier_check`)
    /// every 20 ms until `condition` holds.
    func waitForHost(_ port: Int, within timeout: Duration, until condition: (String) -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        var flags = ""
        while ContinuousClock.now < deadline {
            flags = try await self.hostStatistics(port)["health_flags"] ?? ""
            if condition(flags) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ChildProcessError(
            message: "Envoy's health flags for 127.0.0.1:\(port) stayed '\(flags)' for \(timeout):\n\(self.envoy.log)")
    }

    /// Starts `requests` GETs of `/records/secret?i=N` (the fixture policy's denial) through Envoy,
    /// `parallel` at a time, with curl: one `STATUS BYTES` line per finished request.
    func startLoad(requests: Int, parallel: Int) throws -> Load {
        let urls = self.directory.appendingPathComponent("urls.txt")
        var text = ""
        text.reserveCapacity(requests * 80)
        for index in 0..<requests {
            text += "url = \"http://127.0.0.1:\(self.envoyPort)/records/secret?i=\(index)\"\noutput = \"/dev/null\"\n"
        }
        try Data(text.utf8).write(to: urls)
        // Line-buffered (stdbuf): the load is stopped with SIGTERM, and curl's fully buffered
        // output would lose its last few kilobytes of answers and cut a line in two.
        let process = try ChildProcess(
            name: "curl", executable: "/usr/bin/stdbuf",
            arguments: [
                "-oL", "/usr/bin/curl", "-s", "--no-progress-meter", "--parallel", "--parallel-max", String(parallel),
                "--max-time", "10", "-H",
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
