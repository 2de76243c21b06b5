import Foundation
import GatehouseTestSupport
import Testing

/// The real `gatehouse serve` with its admin API, asked by the real `gatehouse admin` client.
@Suite("Admin API end to end", .bug(id: "12"), .timeLimit(.minutes(3)))
struct AdminEndToEndTests {
    static let adminToken = "e2e-admin-token"
    static let auditorToken = "e2e-auditor-token"

    @Test("status, notify and its refusals through gatehouse admin; no token is 401, a low role 403")
    func clientAgainstServer() async throws {
        try await Self.withServer { url in
            let status = try await Self.admin(["status", "--url", url, "--token", Self.auditorToken])
            #expect(status.status == 0, "\(status.combined)")
            #expect(status.stdout.contains("active: "), "\(status.stdout)")
            #expect(status.stdout.contains("ready: yes"), "\(status.stdout)")

            let json = try await Self.admin(["status", "--url", url, "--json"], token: Self.auditorToken)
            #expect(json.status == 0, "\(json.combined)")
            let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            let active = try #require(object?["active"] as? [String: Any])
            let revision = try #require(active["revision"] as? String)
            #expect(active["trigger"] as? String == "startup")

            // The source still holds the active revision: nothing changes, exit 0.
            let notify = try await Self.admin(["notify", "--url", url, "--revision", revision], token: Self.adminToken)
            #expect(notify.status == 0, "\(notify.combined)")
            #expect(notify.stdout.hasPrefix("unchanged: \(revision)"), "\(notify.stdout)")

            // The policy admin expected another revision: 409, refused, exit 2, nothing changes.
            let mismatch = try await Self.admin(
                ["notify", "--url", url, "--revision", "not-this-one"], token: Self.adminToken)
            #expect(mismatch.status == 2, "\(mismatch.combined)")
            #expect(mismatch.stdout.contains("revision_mismatch"), "\(mismatch.stdout)")

            let anonymous = try await Self.admin(["notify", "--url", url])
            #expect(anonymous.status == 1)
            #expect(anonymous.stderr.contains("HTTP 401 unauthenticated"), "\(anonymous.stderr)")

            let auditor = try await Self.admin(["notify", "--url", url], token: Self.auditorToken)
            #expect(auditor.status == 1)
            #expect(auditor.stderr.contains("HTTP 403 forbidden"), "\(auditor.stderr)")

            // Probes need no credential; /metrics is Prometheus text for any role from metrics up.
            #expect(try await Self.curl(url + "/healthz").hasPrefix("200 "))
            #expect(try await Self.curl(url + "/readyz").hasPrefix("200 "))
            #expect(try await Self.curl(url + "/metrics").hasPrefix("401 "))
            let metrics = try await Self.curl(url + "/metrics", token: Self.auditorToken)
            #expect(metrics.hasPrefix("200 text/plain; version=0.0.4"), "\(metrics.prefix(200))")
            #expect(metrics.contains("gatehouse_"), "\(metrics.prefix(400))")

            let after = try await Self.admin(["status", "--url", url, "--json"], token: Self.auditorToken)
            let failures =
                (try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [String: Any])?[
                    "failures"] as? [[String: Any]]
            #expect(failures?.first?["code"] as? String == "revision_mismatch")
            #expect(failures?.first?["requested_by"] as? String == "token:ops")

            // The decision log holds the admin actions, readable by an auditor through GET /v1/decisions.
            let query = url + "/v1/decisions?kind=admin&limit=1000"
            #expect(try await Self.curl(query).hasPrefix("401 "))
            var decisions = ""
            for _ in 0..<100 {
                decisions = try await Self.curl(query, token: Self.auditorToken)
                if decisions.contains(#""actor":"token:audit""#) { break }
                try await Task.sleep(for: .milliseconds(100))  // the writer flushes every 100 ms
            }
            #expect(decisions.hasPrefix("200 "), "\(decisions.prefix(300))")
            #expect(decisions.contains(#""actor":"token:audit""#), "the auditor's refused notify is recorded")
            #expect(
                decisions.contains(#""actor":"token:ops""#) && decisions.contains(#""action":"POST /v1/policy/notify""#)
            )
        }
    }

    @Test(
        "GET /v1/decisions?proof=true: a record's proof, saved as a file, passes gatehouse audit check-proof; altered, it fails",
        .bug(id: "13"))
    func decisionProofs() async throws {
        try await Self.withServer(audit: ["checkpointInterval: 1s"]) { url, directory in
            // An admin action to prove: the auditor's refused notify.
            _ = try await Self.admin(["notify", "--url", url], token: Self.auditorToken)
            let query = url + "/v1/decisions?kind=admin&proof=true&limit=1000"
            var page: [String: Any] = [:]
            var proved: [String: Any]?
            for _ in 0..<100 {
                let answer = try await Self.curl(query, token: Self.auditorToken)
                #expect(answer.hasPrefix("200 application/json"), "\(answer.prefix(300))")
                let body = answer.split(separator: "\n", maxSplits: 1).last.map(String.init) ?? ""
                page = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
                let proofs = try #require(page["proofs"] as? [[String: Any]], "\(body.prefix(300))")
                #expect(proofs.count == (page["records"] as? [Any])?.count)
                // Until a checkpoint covers it a record says why it has no proof; the page itself is 200.
                for proof in proofs where proof["proof"] is NSNull {
                    #expect(proof["reason"] as? String == "not_checkpointed", "\(proof)")
                }
                proved = proofs.first { ($0["record"] as? String)?.contains(#""actor":"token:audit""#) == true }
                if proved != nil { break }
                try await Task.sleep(for: .milliseconds(100))  // checkpoints every second here
            }
            let proof = try #require(proved, "no proof for the auditor's notify: \(page)")
            #expect(proof["kind"] as? String == "inclusion")
            let records = try #require(page["records"] as? [[String: Any]])
            #expect(records.contains { $0["actor"] as? String == "token:audit" })

            // The third party holds only the verifier key and the proof file.
            let key = directory.appendingPathComponent(".gatehouse/audit-key.pem").path
            let publicKey = try await ProcessRunner.run(
                Repository.gatehouse.path, ["audit", "public-key", "--key-file", key])
            #expect(publicKey.status == 0, "\(publicKey.combined)")
            let verifierKey = publicKey.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let file = directory.appendingPathComponent("proof.json")
            try JSONSerialization.data(withJSONObject: proof).write(to: file)
            let checked = try await ProcessRunner.run(
                Repository.gatehouse.path, ["audit", "check-proof", file.path, "--key", verifierKey])
            #expect(checked.status == 0, "\(checked.combined)")
            #expect(checked.stdout.hasPrefix("ok: record seq "), "\(checked.stdout)")

            var altered = proof
            altered["record"] = (proof["record"] as? String)?.replacingOccurrences(
                of: #""actor":"token:audit""#, with: #""actor":"token:ops""#)
            try JSONSerialization.data(withJSONObject: altered).write(to: file)
            let refused = try await ProcessRunner.run(
                Repository.gatehouse.path, ["audit", "check-proof", file.path, "--key", verifierKey])
            #expect(refused.status == 1, "\(refused.combined)")
        }
    }

    @Test("upload activates a built bundle, a corrupt one is refused (exit 2), rollback goes back")
    func uploadAndRollback() async throws {
        try await withTemporaryDirectory("e2e-admin-bundle") { directory in
            let bundle = directory.appendingPathComponent("policies.tar.gz").path
            let build = try await ProcessRunner.run(
                Repository.gatehouse.path,
                ["bundle", "build", Provisioning.fixturePolicies.path, "-o", bundle, "--revision", "e2e-upload-1"])
            #expect(build.status == 0, "\(build.combined)")
            let corrupt = directory.appendingPathComponent("corrupt.tar.gz").path
            try Data("not a gzip stream".utf8).write(to: URL(fileURLWithPath: corrupt))
            try await Self.withServer { url in
                let before = try await Self.activeRevision(url)
                let upload = try await Self.admin(["upload", bundle, "--url", url], token: Self.adminToken)
                #expect(upload.status == 0, "\(upload.combined)")
                #expect(upload.stdout.hasPrefix("activated e2e-upload-1"), "\(upload.stdout)")
                #expect(try await Self.activeRevision(url) == "e2e-upload-1")

                let refused = try await Self.admin(["upload", corrupt, "--url", url], token: Self.adminToken)
                #expect(refused.status == 2, "\(refused.combined)")
                #expect(refused.stdout.hasPrefix("refused at "), "\(refused.stdout)")
                #expect(try await Self.activeRevision(url) == "e2e-upload-1")

                let rollback = try await Self.admin(["rollback", "--url", url], token: Self.adminToken)
                #expect(rollback.status == 0, "\(rollback.combined)")
                #expect(try await Self.activeRevision(url) == before)
            }
        }
    }

    @Test("Over mTLS the client certificate is the credential: gatehouse admin --cert, --key and --ca")
    func mutualTLS() async throws {
        try await withTemporaryDirectory("e2e-admin-mtls") { directory in
            let ports = try FreePort.next(3)
            let certs = directory.appendingPathComponent("certs").path
            let server = try await GatehouseServer(
                directory: directory, policies: Provisioning.fixturePolicies, ports: (ports[0], ports[1]),
                adminPort: ports[2],
                adminMoreSettings: [
                    "tls: {certificate: \(certs)/gatehouse.pem, key: \(certs)/gatehouse-dev-key.pem, "
                        + "clientCA: \(certs)/ca.pem, trustDomain: gov.example}",
                    "clients: [{spiffe: 'spiffe://gov.example/ns/civil-registry/sa/api', role: admin}]",
                ])
            do {
                try await server.waitUntilServing()
                try await server.process.waitForLog("gatehouse.admin.address=127.0.0.1:\(ports[2])")
                let url = ["--url", "https://127.0.0.1:\(ports[2])", "--ca", "\(certs)/ca.pem"]
                func client(_ name: String) -> [String] {
                    ["--cert", "\(certs)/\(name).pem", "--key", "\(certs)/\(name)-dev-key.pem"]
                }
                let status = try await Self.admin(["status"] + url + client("civil-registry"))
                #expect(status.status == 0, "\(status.combined)")
                #expect(status.stdout.contains("ready: yes"), "\(status.stdout)")
                let notify = try await Self.admin(["notify"] + url + client("civil-registry"))
                #expect(notify.status == 0, "\(notify.combined)")
                // Verified, but admin.clients gives it no role.
                let other = try await Self.admin(["status"] + url + client("death-registry"))
                #expect(other.status == 1)
                #expect(other.stderr.contains("HTTP 403 forbidden"), "\(other.stderr)")
                let none = try await Self.admin(["status"] + url)
                #expect(none.status == 1)
                #expect(none.stderr.contains("HTTP 401 unauthenticated"), "\(none.stderr)")
            } catch {
                await server.process.terminate()
                throw error
            }
            await server.process.terminate()
        }
    }

    /// The active revision, from `gatehouse admin status --json`.
    static func activeRevision(_ url: String) async throws -> String? {
        let output = try await Self.admin(["status", "--url", url, "--json"], token: Self.auditorToken)
        let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
        return (object?["active"] as? [String: Any])?["revision"] as? String
    }

    @Test("hash-token prints the SHA-256 that admin.tokens holds")
    func hashToken() throws {
        let output = try ProcessRunner.run(Repository.gatehouse.path, ["admin", "hash-token"], input: "abc\n")
        #expect(output.status == 0)
        #expect(output.stdout == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n")
    }

    @Test("A server that cannot be reached is exit 1 with a message")
    func unreachable() async throws {
        let port = try FreePort.next(1)[0]
        let output = try await Self.admin(["status", "--url", "http://127.0.0.1:\(port)"], token: Self.adminToken)
        #expect(output.status == 1)
        #expect(output.stderr.contains("could not be reached"), "\(output.stderr)")
    }

    /// `STATUS CONTENT-TYPE` and the body of a GET with curl.
    static func curl(_ url: String, token: String? = nil) async throws -> String {
        let headers = token.map { ["-H", "Authorization: Bearer \($0)"] } ?? []
        let output = try await ProcessRunner.run(
            "/usr/bin/env", ["curl", "-s", "-w", "%{http_code} %{content_type}\n", "-o", "-"] + headers + [url])
        // -w writes after the body: move the status line to the front.
        var lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let status = lines.popLast() ?? ""
        return ([status] + lines).joined(separator: "\n")
    }

    /// Runs `gatehouse admin ARGUMENTS`, the token in GATEHOUSE_ADMIN_TOKEN.
    static func admin(_ arguments: [String], token: String? = nil) async throws -> ProcessRunner.Output {
        try await ProcessRunner.run(
            Repository.gatehouse.path, ["admin"] + arguments,
            environment: ["GATEHOUSE_ADMIN_TOKEN": token ?? ""])
    }

    /// `gatehouse serve` (deploy/gatehouse.yaml) with the admin API on a free port and two tokens.
    static func withServer(_ body: (String) async throws -> Void) async throws {
        try await Self.withServer { url, _ in try await body(url) }
    }

    /// ``withServer(_:)`` with more `audit.*` settings (YAML lines under `audit:`), giving `body`
    /// the admin URL and the server's directory (its decision log is `.gatehouse/decisions.db` there).
    static func withServer(audit: [String] = [], _ body: (String, URL) async throws -> Void) async throws {
        try await withTemporaryDirectory("e2e-admin") { directory in
            let ports = try FreePort.next(3)
            var tokens: [String] = []
            for (name, token, role) in [("ops", Self.adminToken, "admin"), ("audit", Self.auditorToken, "auditor")] {
                tokens.append("{name: \(name), sha256: \(try Self.sha256(of: token)), role: \(role)}")
            }
            let server = try await GatehouseServer(
                directory: directory, policies: Provisioning.fixturePolicies, ports: (ports[0], ports[1]),
                adminPort: ports[2], adminTokens: "[\(tokens.joined(separator: ", "))]",
                prepare: { _ in
                    guard !audit.isEmpty else { return }
                    // The configuration is written before prepare runs; add the settings under `audit:`.
                    let file = directory.appendingPathComponent("gatehouse.yaml")
                    let text = try String(contentsOf: file, encoding: .utf8)
                    let settings = (["audit:"] + audit).joined(separator: "\n  ")
                    try Data(text.replacingOccurrences(of: "audit:", with: settings).utf8).write(to: file)
                })
            do {
                try await server.waitUntilServing()
                try await server.process.waitForLog("gatehouse.admin.address=127.0.0.1:\(ports[2])")
                try await body("http://127.0.0.1:\(ports[2])", directory)
            } catch {
                await server.process.terminate()
                throw error
            }
            await server.process.terminate()
        }
    }

    /// The token's hash as `gatehouse admin hash-token` prints it.
    static func sha256(of token: String) throws -> String {
        let output = try ProcessRunner.run(Repository.gatehouse.path, ["admin", "hash-token"], input: token)
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
