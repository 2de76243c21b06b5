import Crypto
import EnvoyAuthAPI
import Foundation
import GatehouseTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `gatehouse serve`'s `/metrics` on the admin listener, after real checks over gRPC.
@Suite("Metrics end to end", .serialized, .timeLimit(.minutes(3)), .bug(id: "12"))
struct MetricsEndToEndTests {
    static let token = "metrics-e2e-scraper-token"

    /// `GET /metrics` with `token` (or none): the status and the text.
    static func scrape(port: Int, token: String?) async throws -> (status: Int, text: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        request.timeoutInterval = 30
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// The samples of `name`, as their full lines.
    static func lines(_ text: String, _ name: String) -> [Substring] {
        text.split(separator: "\n").filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
    }

    @Test("Checks with random paths and subjects are counted by decision, reason and policy, and add no series")
    func scrapeAfterChecks() async throws {
        try await withTemporaryDirectory("metrics-e2e") { directory in
            let ports = try FreePort.next(3)
            let digest = SHA256.hash(data: Array(Self.token.utf8)).map { String(format: "%02x", $0) }.joined()
            let server = try await GatehouseServer(
                directory: directory, policies: Provisioning.fixturePolicies, ports: (ports[0], ports[1]),
                adminPort: ports[2], adminTokens: "[{ name: prometheus, sha256: \(digest), role: metrics }]")
            do {
                try await server.waitUntilServing()
                try await server.process.waitForLog("gatehouse.admin.address=127.0.0.1:\(ports[2])")
                #expect(try await Self.scrape(port: ports[2], token: nil).status == 401)

                let randomPaths = (0..<30).map { _ in "/births/\(UUID().uuidString)" }
                try await GatehouseClient.with(port: server.port) { client in
                    for path in randomPaths {
                        _ = try await GatehouseClient.check(
                            client,
                            GatehouseClient.request(path: path, headers: ["x-subject": "user-\(UUID().uuidString)"]))
                    }
                }
                let (status, text) = try await Self.scrape(port: ports[2], token: Self.token)
                #expect(status == 200)
                let checks = Self.lines(text, "gatehouse_checks_total")
                let total = checks.compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
                #expect(total == 30, "\(checks)")
                #expect(checks.count <= 2, "random paths and subjects must not become series: \(checks)")
                #expect(!text.contains("/births/") && !text.contains("user-"))
                #expect(
                    Self.lines(text, "gatehouse_check_duration_seconds_count") == [
                        "gatehouse_check_duration_seconds_count 30"
                    ])
                #expect(Self.lines(text, "gatehouse_policy_revision_info").count == 1)
                #expect(
                    Self.lines(text, "gatehouse_policy_reloads_total") == [
                        #"gatehouse_policy_reloads_total{outcome="activated",trigger="startup"} 1"#
                    ])
            } catch {
                await server.process.terminate()
                throw error
            }
            await server.process.terminate()
        }
    }
}
