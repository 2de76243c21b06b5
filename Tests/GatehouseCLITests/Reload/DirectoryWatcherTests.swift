import Foundation
import GatehouseTestSupport
import Synchronization
import Testing

@testable import GatehouseCLI

@Suite("The policy directory watcher", .bug(id: "12"), .timeLimit(.minutes(1)))
struct DirectoryWatcherTests {
    /// Counts the watcher's calls; answers each with `accept`.
    final class Calls: Sendable {
        private let count = Atomic<Int>(0)
        let accept: Bool
        init(accept: Bool) { self.accept = accept }
        func called() -> Bool {
            self.count.add(1, ordering: .relaxed)
            return self.accept
        }
        var value: Int { self.count.load(ordering: .relaxed) }
    }

    /// Runs a watcher of `directory` (waiting `quietPeriod` after the last change) while `body` runs.
    func watching(
        _ directory: URL, accept: Bool = true, quietPeriod: Duration = .milliseconds(200),
        _ body: (Calls) async throws -> Void
    ) async throws {
        let calls = Calls(accept: accept)
        let watcher = DirectoryWatcher(directory: directory.path, quietPeriod: quietPeriod)
        let task = Task { await watcher.run { calls.called() } }
        defer { task.cancel() }
        // Let the watcher take its first look before the test edits.
        try await Task.sleep(for: .milliseconds(100))
        try await body(calls)
    }

    @Test("A burst of saves, in the directory and a subdirectory made during the burst, is one call")
    func burstIsOneCall() async throws {
        try await withTemporaryDirectory("watch") { directory in
            // The saves are 20 ms apart and the quiet period is 1 s: on a loaded CI machine a 200 ms
            // period was once shorter than one of the pauses between saves, splitting the burst.
            try await self.watching(directory, quietPeriod: .seconds(1)) { calls in
                for index in 0..<5 {
                    try Data("v\(index)".utf8).write(to: directory.appendingPathComponent("p.yaml"))
                    try await Task.sleep(for: .milliseconds(20))
                }
                try FileManager.default.createDirectory(
                    at: directory.appendingPathComponent("keys"), withIntermediateDirectories: true)
                try await yield(until: "the burst was reported") { calls.value == 1 }
                // Quiet for longer than the quiet period: no second call for the same burst.
                try await Task.sleep(for: .milliseconds(1500))
                #expect(calls.value == 1)
                // A file in the new subdirectory is seen (its watch was added when it appeared).
                try Data("k".utf8).write(to: directory.appendingPathComponent("keys/k.json"))
                try await yield(until: "the subdirectory's change was reported") { calls.value == 2 }
            }
        }
    }

    @Test("A change the reloader did not take (source_changing) is retried after the next quiet period")
    func retried() async throws {
        try await withTemporaryDirectory("watch") { directory in
            try await self.watching(directory, accept: false) { calls in
                try Data("v".utf8).write(to: directory.appendingPathComponent("p.yaml"))
                try await yield(until: "the change was retried") { calls.value >= 2 }
            }
        }
    }
}
