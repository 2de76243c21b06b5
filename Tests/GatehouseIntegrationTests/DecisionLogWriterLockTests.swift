import Foundation
import GatehouseTestSupport
import Testing

/// One `gatehouse serve` per decision log: a second server started in the same directory without
/// a configuration (same default store, instance id and key) refuses to start, and a `kill -9`
/// leaves no lock behind.
@Suite("Decision log: one writer per store", .bug(id: "13"), .timeLimit(.minutes(2)))
struct DecisionLogWriterLockTests {
    private static let arguments = [
        "serve", "--policies", "policies", "--listen", "127.0.0.1:0", "--admin-listen", "off",
    ]

    /// `gatehouse serve` with the defaults, started in `directory` (its working directory).
    private static func serve(in directory: URL, _ name: String) throws -> ChildProcess {
        return try ChildProcess(
            name: name, executable: "/bin/sh",
            arguments: ["-c", #"cd "$0" && exec "$@""#, directory.path, Repository.gatehouse.path] + Self.arguments,
            logFile: directory.appendingPathComponent("\(name).log"))
    }

    @Test("A second serve on the same store exits 2 naming the store, its lock and the fix; after kill -9 one starts")
    func secondWriterRefused() async throws {
        try await withTemporaryDirectory("e2e-audit-lock") { directory in
            let policies = directory.appendingPathComponent("policies")
            try FileManager.default.createDirectory(at: policies, withIntermediateDirectories: true)
            try Data("kind: Policy\nname: health\nrules: []\n".utf8)
                .write(to: policies.appendingPathComponent("health.yaml"))
            let first = try Self.serve(in: directory, "first")
            do {
                try await first.waitForLog("gatehouse.address=127.0.0.1:")
                let second = try await ProcessRunner.run(
                    Repository.gatehouse.path, Self.arguments, directory: directory, timeout: .seconds(30))
                #expect(second.status == 2, "\(second.combined)")
                #expect(second.stderr.contains("audit.store '.gatehouse/decisions.db'"), "\(second.stderr)")
                #expect(second.stderr.contains("another gatehouse serve (pid \(first.pid))"), "\(second.stderr)")
                #expect(second.stderr.contains("'.gatehouse/decisions.db.lock'"), "\(second.stderr)")
                #expect(second.stderr.contains("set audit.store"), "\(second.stderr)")
                #expect(!second.stdout.contains("listening") && !second.stderr.contains("listening"))
                #expect(first.isRunning, "the first server keeps serving:\n\(first.log)")
            } catch {
                await first.kill()
                throw error
            }
            // The kernel releases the lock with the process: a restart after kill -9 is not refused.
            await first.kill()
            let third = try Self.serve(in: directory, "third")
            do {
                try await third.waitForLog("gatehouse.address=127.0.0.1:")
            } catch {
                await third.kill()
                throw error
            }
            #expect(await third.terminate() == 0, "\(third.log)")
        }
    }
}
