import Foundation
import GatehouseTestSupport
import Testing

/// `withTemporaryDirectory` from GatehouseTestSupport, which has no test target of its own: the
/// directory, files and subfolders included, is gone once the body returns or throws.
@Suite("withTemporaryDirectory removes its directory")
struct TemporaryDirectoryTests {
    private struct Failure: Error {}

    /// Whether this run keeps the directories of failed bodies (`GATEHOUSE_KEEP_TEMP=1`).
    private static let keepsFailures = ProcessInfo.processInfo.environment["GATEHOUSE_KEEP_TEMP"] == "1"

    /// Writes a file in a subfolder, so that removal has to be recursive.
    private static func fill(_ directory: URL) throws {
        let folder = directory.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        try Data("envoy started\n".utf8).write(to: folder.appendingPathComponent("envoy.log"))
    }

    private static func exists(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.path)
    }

    @Test("After the body returns, synchronously and asynchronously")
    func removedAfterReturn() async throws {
        let synchronous = try withTemporaryDirectory("temporary-directory-test") { directory in
            try Self.fill(directory)
            return directory
        }
        let asynchronous = try await withTemporaryDirectory("temporary-directory-test") { directory in
            await Task.yield()
            try Self.fill(directory)
            return directory
        }
        #expect(synchronous != asynchronous)
        for directory in [synchronous, asynchronous] {
            #expect(directory.lastPathComponent.hasPrefix("gatehouse-temporary-directory-test-"))
            #expect(!Self.exists(directory), "\(directory.path) is left behind")
        }
    }

    @Test("After the body throws, synchronously and asynchronously; the error passes through")
    func removedAfterThrow() async throws {
        var seen: [URL] = []
        #expect(throws: Failure.self) {
            try withTemporaryDirectory("temporary-directory-test") { directory in
                seen.append(directory)
                try Self.fill(directory)
                throw Failure()
            }
        }
        await #expect(throws: Failure.self) {
            try await withTemporaryDirectory("temporary-directory-test") { directory in
                seen.append(directory)
                try Self.fill(directory)
                await Task.yield()
                throw Failure()
            }
        }
        #expect(seen.count == 2)
        for directory in seen {
            // A run with GATEHOUSE_KEEP_TEMP=1 keeps them, as documented; this test then tidies up.
            #expect(Self.exists(directory) == Self.keepsFailures, "\(directory.path)")
            try? FileManager.default.removeItem(at: directory)
        }
    }
}
