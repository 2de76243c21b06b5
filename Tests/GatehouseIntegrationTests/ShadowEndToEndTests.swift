import EnvoyAuthAPI
import Foundation
import GatehouseTestSupport
import SwiftProtobuf
import Testing

/// A candidate bundle loaded in shadow through the real `gatehouse serve`'s admin API.
@Suite("Shadow candidate end to end", .bug(id: "13"), .timeLimit(.minutes(3)))
struct ShadowEndToEndTests {
    static let adminToken = "shadow-e2e-admin"

    @Test(
        "POST /v1/policy/shadow: a candidate closing one route leaves every answer as it was, records a shadow entry for exactly the checks on that route, counts them by rule in /v1/policy/shadow and /metrics; DELETE stops it"
    )
    func shadowThroughServe() async throws {
        try await withTemporaryDirectory("e2e-shadow") { directory in
            // The candidate: the e2e fixture with a deny rule for /public/b/** in front.
            let candidate = directory.appendingPathComponent("candidate")
            try FileManager.default.copyItem(at: Provisioning.fixturePolicies, to: candidate)
            let policy = candidate.appendingPathComponent("e2e.yaml")
            let text = try String(contentsOf: policy, encoding: .utf8)
            try text.replacingOccurrences(
                of: "rules:\n  - name: public\n",
                with: "rules:\n  - { name: close-b, action: deny, paths: [/public/b/**] }\n  - name: public\n"
            ).write(to: policy, atomically: true, encoding: .utf8)
            let bundle = directory.appendingPathComponent("candidate.tar.gz").path
            let build = try await ProcessRunner.run(
                Repository.gatehouse.path,
                ["bundle", "build", candidate.path, "-o", bundle, "--revision", "shadow-e2e-1"])
            #expect(build.status == 0, "\(build.combined)")

            let ports = try FreePort.next(3)
            let digest = try AdminEndToEndTests.sha256(of: Self.adminToken)
            let server = try await GatehouseServer(
                directory: directory, policies: Provisioning.fixturePolicies,
                ports: (ports[0], ports[1]), adminPort: ports[2],
                adminTokens: "[{name: ops, sha256: \(digest), role: admin}]")
            let admin = "http://127.0.0.1:\(ports[2])"
            do {
                try await server.waitUntilServing()
                try await server.process.waitForLog("gatehouse.admin.address=127.0.0.1:\(ports[2])")
                let load = try await Self.curl([
                    "-X", "POST", "--data-binary", "@\(bundle)", "\(admin)/v1/policy/shadow",
                ])
                #expect(Self.field(load, "revision") as? String == "shadow-e2e-1", "\(load)")

                let reasons = try await GatehouseClient.with(port: server.port) { client in
                    var reasons: [String] = []
                    for path in ["/public/a/1", "/public/b/1", "/public/a/2", "/public/b/2"] {
                        let response = try await GatehouseClient.check(client, GatehouseClient.request(path: path))
                        reasons.append(response.dynamicMetadata.fields["reason"]?.stringValue ?? "")
                    }
                    return reasons
                }
                #expect(reasons == ["allowed", "allowed", "allowed", "allowed"], "the candidate is never enforced")

                var status = ""
                let deadline = ContinuousClock.now + .seconds(15)
                repeat {
                    status = try await Self.curl(["\(admin)/v1/policy/shadow"])
                    if Self.field(status, "evaluated") as? Int == 4 { break }
                    try await Task.sleep(for: .milliseconds(50))
                } while ContinuousClock.now < deadline
                #expect(Self.field(status, "evaluated") as? Int == 4, "\(status)")
                #expect(Self.field(status, "differing") as? Int == 2, "\(status)")
                let metrics = try await Self.curl(["\(admin)/metrics"])
                #expect(
                    metrics.contains(
                        "gatehouse_shadow_differences_total{revision=\"shadow-e2e-1\",rule=\"close-b\",change=\"allow_to_deny\"} 2"
                    ), "\(metrics)")

                let unload = try await Self.curl(["-X", "DELETE", "\(admin)/v1/policy/shadow"])
                #expect(Self.field(unload, "state") as? String == "unloaded", "\(unload)")
                _ = try await GatehouseClient.with(port: server.port) { client in
                    try await GatehouseClient.check(client, GatehouseClient.request(path: "/public/b/3"))
                }
                #expect(!(try await Self.curl(["\(admin)/metrics"])).contains("gatehouse_shadow_"))
            } catch {
                await server.process.terminate()
                throw error
            }
            #expect(await server.process.terminate(timeout: .seconds(15)) == 0, "\(server.process.log)")
            let shadows = try Self.shadowPaths(
                server.directory.appendingPathComponent(".gatehouse/decisions.db").path)
            #expect(shadows.sorted() == ["/public/b/1 close-b deny", "/public/b/2 close-b deny"])
        }
    }

    /// The top-level `key` of a JSON object body, if any.
    static func field(_ body: String, _ key: String) -> Any? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?[key]
    }

    /// Runs curl with the admin token; returns the body.
    static func curl(_ arguments: [String]) async throws -> String {
        let output = try await ProcessRunner.run(
            "/usr/bin/env", ["curl", "-sS", "-H", "Authorization: Bearer \(Self.adminToken)"] + arguments)
        return output.stdout
    }

    /// `PATH RULE DECISION` of every shadow record in the store.
    static func shadowPaths(_ path: String) throws -> [String] {
        let script = """
            import json, sqlite3, sys
            db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
            for (body,) in db.execute("SELECT body FROM records ORDER BY seq"):
                record = json.loads(body if isinstance(body, str) else bytes(body).decode())
                if record.get("kind") == "shadow":
                    print(record["active"]["path"], record.get("candidate_rule"), record["candidate_decision"])
            """
        let output = try ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, path])
        guard output.status == 0 else { throw ChildProcessError(message: "reading the store: \(output.combined)") }
        return output.stdout.split(separator: "\n").map(String.init)
    }
}
