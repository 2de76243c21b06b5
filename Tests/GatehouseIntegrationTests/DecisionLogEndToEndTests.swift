import EnvoyAuthAPI
import Foundation
import GatehouseTestSupport
import SwiftProtobuf
import Testing

/// `gatehouse serve` with the sample configuration records every check it answered: after a clean
/// SIGTERM the store holds one decision record per answer, under the decision id the answer carried.
@Suite("Decision log end to end", .bug(id: "13"), .timeLimit(.minutes(3)))
struct DecisionLogEndToEndTests {
    @Test("N checks, SIGTERM: N decision records whose ids are the answers' decision_id; none lost")
    func everyCheckRecorded() async throws {
        let checks = 300
        try await GatehouseServer.with { server in
            let ids = try await GatehouseClient.with(port: server.port) { client in
                var ids: [String] = []
                for index in 0..<checks {
                    let path = index % 3 == 0 ? "/records/secret" : "/healthz?probe=\(index)"
                    let response = try await GatehouseClient.check(
                        client,
                        GatehouseClient.request(
                            path: path,
                            headers: ["x-request-id": "e2e-\(index)", "authorization": "Bearer not-a-token"]))
                    ids.append(response.dynamicMetadata.fields["decision_id"]?.stringValue ?? "")
                }
                return ids
            }
            let status = await server.process.terminate(timeout: .seconds(15))
            #expect(status == 0, "serve exits cleanly:\n\(server.process.log)")
            let store = server.directory.appendingPathComponent(".gatehouse/decisions.db").path
            let rows = try Self.decisionRows(store)
            #expect(ids.count == checks && !ids.contains(""))
            #expect(rows.count == checks, "records: \(rows.count) of \(checks)")
            #expect(Set(rows.map(\.id)) == Set(ids))
            // Query values are masked and nothing of the Authorization header is kept.
            #expect(rows.allSatisfy { !$0.body.contains("not-a-token") && !$0.body.contains("probe=1") })
            #expect(rows.contains { $0.body.contains(#""path":"/healthz?probe=***""#) })
            #expect(rows.contains { $0.body.contains(#""request_id":"e2e-7""#) })
        }
    }

    @Test("Through a real Envoy: every request's decision_id in Envoy's access log is a decision record after SIGTERM")
    func throughEnvoy() async throws {
        let requests = 40
        try await Deployment.with(envoyConfig: "front-proxy.yaml") { deployment in
            for index in 0..<requests {
                let path = index % 2 == 0 ? "/records/secret" : "/public/\(index)?q=\(index)"
                let response = try deployment.request(path, headers: [("x-clearance", "granted")])
                #expect(response.status != 0)
            }
            #expect(await deployment.stop() == 0, "Gatehouse exits cleanly on SIGTERM")
            let logged = deployment.envoy.log.split(separator: "\n").compactMap { line -> String? in
                guard let range = line.range(of: "decision_id=") else { return nil }
                return String(line[range.upperBound...].prefix { $0.isHexDigit })
            }
            let store = deployment.server.directory.appendingPathComponent(".gatehouse/decisions.db").path
            let recorded = try Self.decisionRows(store).map(\.id)
            #expect(logged.count == requests, "Envoy logged \(logged.count) of \(requests) decision ids")
            #expect(Set(recorded) == Set(logged), "records: \(recorded.count), Envoy: \(logged.count)")
        }
    }

    @Test(
        "Strict auditing through Envoy: while the store cannot write, requests get 503 audit_unavailable; then they recover"
    )
    func strictThroughEnvoy() async throws {
        try await Deployment.with(envoyConfig: "front-proxy.yaml") { deployment in
            // Restart Gatehouse with onFull: strict.
            let file = deployment.server.directory.appendingPathComponent("gatehouse.yaml")
            let text = try String(contentsOf: file, encoding: .utf8)
            try Data(text.replacingOccurrences(of: "onFull: gap", with: "onFull: strict").utf8).write(to: file)
            _ = await deployment.server.process.terminate()
            try await deployment.server.restart()
            let answered = try await Self.poll("the policy's answer") { try deployment.request("/records/secret") }
            #expect(answered.status == 403)

            // Another process holds SQLite's write lock: the writer's batch fails, and strict refuses records.
            let store = deployment.server.directory.appendingPathComponent(".gatehouse/decisions.db").path
            let locker = try ChildProcess(
                name: "sqlite-lock", executable: "/usr/bin/env",
                arguments: [
                    "python3", "-u", "-c",
                    "import sqlite3,sys,time\ndb=sqlite3.connect(sys.argv[1],isolation_level=None)\n"
                        + "db.execute('BEGIN EXCLUSIVE')\nprint('locked')\ntime.sleep(600)", store,
                ],
                logFile: deployment.server.directory.appendingPathComponent("locker.log"))
            try await locker.waitForLog("locked")
            let refused = try await Self.poll("audit_unavailable", timeout: .seconds(60)) {
                try deployment.request("/records/secret")
            } until: {
                $0.status == 503
            }
            #expect(refused.status == 503)

            await locker.kill()
            let recovered = try await Self.poll("recovery", timeout: .seconds(60)) {
                try deployment.request("/records/secret")
            } until: {
                $0.status == 403
            }
            #expect(recovered.status == 403)
            // Envoy writes its access log in batches; after the stop it has flushed.
            _ = await deployment.stop()
            #expect(deployment.envoy.log.contains("reason=audit_unavailable"))
        }
    }

    /// Repeats `request` every 200 ms until `until` holds or `timeout` passes; returns the last answer.
    static func poll(
        _ what: String, timeout: Duration = .seconds(20), _ request: () throws -> HTTPResponse,
        until: (HTTPResponse) -> Bool = { $0.status != 0 }
    ) async throws -> HTTPResponse {
        let deadline = ContinuousClock.now + timeout
        var last = try request()
        while !until(last), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            last = try request()
        }
        return last
    }

    /// The `id` and body of every decision record in the store at `path`, read with Python's sqlite3.
    static func decisionRows(_ path: String) throws -> [(id: String, body: String)] {
        let script = """
            import json, sqlite3, sys
            db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
            for (body,) in db.execute("SELECT body FROM records ORDER BY seq"):
                text = body if isinstance(body, str) else bytes(body).decode()
                record = json.loads(text)
                if record.get("kind") == "decision":
                    print(record["id"] + "\\t" + text)
            """
        let output = try ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, path])
        guard output.status == 0 else { throw ChildProcessError(message: "reading the store: \(output.combined)") }
        return output.stdout.split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
    }
}
