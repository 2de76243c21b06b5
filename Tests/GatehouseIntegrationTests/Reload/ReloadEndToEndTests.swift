import EnvoyAuthAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GatehouseTestSupport
import SwiftProtobuf
import Testing

/// A check that never gave the awaited answer.
struct AnswerTimedOut: Error, CustomStringConvertible {
    var description: String
}

/// Policy reload through the real `gatehouse serve`: the watched directory, SIGHUP, refusals,
/// and a restart without the source.
@Suite("Policy reload end to end", .bug(id: "12"), .timeLimit(.minutes(3)))
struct ReloadEndToEndTests {
    typealias Client = GRPCClient<HTTP2ClientTransport.Posix>

    /// A copy of the e2e fixture's policies that the test may edit.
    func withEditablePolicies<Result>(_ body: (URL) async throws -> Result) async throws -> Result {
        try await withTemporaryDirectory("reload-e2e") { directory in
            let policies = directory.appendingPathComponent("policies")
            try FileManager.default.copyItem(at: Provisioning.fixturePolicies, to: policies)
            return try await body(policies)
        }
    }

    /// The revision and reason of a check of `path`.
    static func check(_ client: Client, _ path: String) async throws -> (revision: String, reason: String) {
        let response = try await GatehouseClient.check(client, GatehouseClient.request(path: path))
        let fields = response.dynamicMetadata.fields
        return (fields["policy_revision"]?.stringValue ?? "", fields["reason"]?.stringValue ?? "")
    }

    /// Checks `path` every 50 ms until `condition` holds, for at most 15 s.
    static func checkUntil(
        _ client: Client, _ path: String, _ what: String,
        _ condition: ((revision: String, reason: String)) -> Bool
    ) async throws -> (revision: String, reason: String) {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            let answer = try await Self.check(client, path)
            if condition(answer) { return answer }
            guard ContinuousClock.now < deadline else {
                throw AnswerTimedOut(description: "gave up waiting until \(what); last answer \(answer)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test(
        "An edit is enforced on the next checks, a broken edit is refused and logged, SIGHUP reloads without stopping")
    func editBrokenEditAndHangup() async throws {
        try await self.withEditablePolicies { policies in
            try await GatehouseServer.with(policies: policies, envoyMetadata: "full") { server in
                try await GatehouseClient.with(port: server.port) { client in
                    let before = try await Self.check(client, "/news/today")
                    let allowed = try await Self.check(client, "/public/a").reason
                    #expect(before.reason != allowed)
                    // Open /news/** beside /public/**: a watched edit.
                    let file = policies.appendingPathComponent("e2e.yaml")
                    let text = try String(contentsOf: file, encoding: .utf8)
                    try Data(
                        text.replacingOccurrences(of: "paths: [/public/**]", with: "paths: [/public/**, /news/**]").utf8
                    )
                    .write(to: file)
                    let after = try await Self.checkUntil(client, "/news/today", "the edit is enforced") {
                        $0.reason == allowed
                    }
                    #expect(after.revision != before.revision)
                    #expect(try await Self.check(client, "/public/a").revision == after.revision)
                    #expect(server.process.log.contains("gatehouse.reload.trigger=watch"))

                    // A policy that does not compile: refused at its file:line, the old revision keeps answering.
                    let broken = policies.appendingPathComponent("broken.yaml")
                    try Data("kind: Policy\nname: broken\nrules: [{ name: r, action: maybe }]\n".utf8).write(to: broken)
                    try await server.process.waitForLog("gatehouse.reload.code=compile_failed")
                    #expect(server.process.log.contains("\(broken.path):3:"))
                    let during = try await Self.check(client, "/news/today")
                    #expect(during.revision == after.revision && during.reason == after.reason)

                    // Back to the good content, then SIGHUP: the server reloads (nothing changed) and keeps serving.
                    try FileManager.default.removeItem(at: broken)
                    try await Task.sleep(for: .seconds(1))
                    kill(server.process.pid, SIGHUP)
                    try await server.process.waitForLog("gatehouse.reload.trigger=signal")
                    #expect(try await Self.check(client, "/news/today").revision == after.revision)
                }
                #expect(await server.process.terminate() == 0)
            }
        }
    }

    @Test(
        "A restart loads what was edited while it was down; a restart with the source removed serves the last good revision"
    )
    func hangupAndRestartWithoutSource() async throws {
        try await self.withEditablePolicies { policies in
            try await GatehouseServer.with(policies: policies, envoyMetadata: "full") { server in
                let (first, allowed) = try await GatehouseClient.with(port: server.port) { client in
                    let answer = try await Self.check(client, "/public/a")
                    return (answer.revision, answer.reason)
                }
                // Kill, edit while it is down, restart: the start-up load sees the edit.
                await server.process.kill()
                let file = policies.appendingPathComponent("e2e.yaml")
                let text = try String(contentsOf: file, encoding: .utf8)
                try Data(
                    text.replacingOccurrences(of: "paths: [/public/**]", with: "paths: [/public/**, /news/**]").utf8
                )
                .write(to: file)
                try await server.restart()
                let second = try await GatehouseClient.with(port: server.port) { client in
                    try await Self.check(client, "/news/today")
                }
                #expect(second.revision != first)
                #expect(second.reason == allowed)
                // The source is gone: the restart serves the last good revision from the bundle store.
                await server.process.kill()
                try FileManager.default.removeItem(at: policies)
                try await server.restart()
                try await server.process.waitForLog("serving the last good revision from the bundle store")
                let served = try await GatehouseClient.with(port: server.port) { client in
                    try await Self.check(client, "/news/today")
                }
                #expect(served.revision == second.revision)
                #expect(served.reason == second.reason)
            }
        }
    }
}
