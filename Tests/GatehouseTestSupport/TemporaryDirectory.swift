package import Foundation

/// Runs `body` with a fresh, empty directory, and removes the directory with everything in it
/// once `body` returns or throws.
///
/// Scoped like `withGRPCServer`: the directory lives exactly as long as `body` runs, so a test
/// leaves nothing behind in the temporary folder (`$TMPDIR`, else `/tmp`). Whatever writes into
/// the directory (a child process, a server's log) must have stopped before `body` ends.
///
/// ```swift
/// try await withTemporaryDirectory("e2e-server") { directory in
///     let configuration = directory.appendingPathComponent("gatehouse.yaml")
///     try Data(text.utf8).write(to: configuration)
///     try await runServer(configuration)
/// }
/// ```
///
/// **Keeping a failed test's files.** With `GATEHOUSE_KEEP_TEMP=1` in the environment, a
/// directory whose `body` throws is left in place and its path printed to standard error, so
/// that Envoy's and Gatehouse's logs or generated certificates can be read afterwards. A failed
/// `#expect` records an issue without throwing, so it cannot be seen here: write the check as
/// `try #require(…)` while debugging to keep that test's directory. Without the variable (or
/// when `body` returns) the directory is always removed.
///
/// - Parameters:
///   - prefix: Says which test made the directory, `gatehouse-<prefix>-<random>`, for whoever
///     reads a kept one.
///   - isolation: The caller's actor, on which `body` runs.
///   - body: The work, given the directory (already created and empty).
/// - Returns: What `body` returns.
/// - Throws: When the directory cannot be created, or what `body` throws.
package func withTemporaryDirectory<Result>(
    _ prefix: String,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (URL) async throws -> Result
) async throws -> Result {
    // `throws`, not `rethrows`: creating the directory can fail whatever `body` does.
    let directory = try TemporaryDirectory.make(prefix)
    do {
        let result = try await body(directory)
        TemporaryDirectory.remove(directory)
        return result
    } catch {
        TemporaryDirectory.remove(directory, after: error)
        throw error
    }
}

/// Runs `body` with a fresh, empty directory, and removes the directory with everything in it
/// once `body` returns or throws.
///
/// The synchronous form of ``withTemporaryDirectory(_:isolation:_:)``, for tests that write
/// files and run a command or a compiler on them; `GATEHOUSE_KEEP_TEMP=1` keeps the directory
/// of a `body` that throws in the same way.
///
/// - Parameters:
///   - prefix: Says which test made the directory, `gatehouse-<prefix>-<random>`.
///   - body: The work, given the directory (already created and empty).
/// - Returns: What `body` returns.
/// - Throws: When the directory cannot be created, or what `body` throws.
package func withTemporaryDirectory<Result>(_ prefix: String, _ body: (URL) throws -> Result) throws -> Result {
    let directory = try TemporaryDirectory.make(prefix)
    do {
        let result = try body(directory)
        TemporaryDirectory.remove(directory)
        return result
    } catch {
        TemporaryDirectory.remove(directory, after: error)
        throw error
    }
}

/// Making and removing the directories of `withTemporaryDirectory`.
private enum TemporaryDirectory {
    /// Whether a failed body's directory stays: `GATEHOUSE_KEEP_TEMP=1`.
    static var keepsFailures: Bool {
        ProcessInfo.processInfo.environment["GATEHOUSE_KEEP_TEMP"] == "1"
    }

    /// Creates `gatehouse-<prefix>-<random>`; never reuses an existing directory.
    static func make(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gatehouse-\(prefix)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        // No intermediate directories: mkdir(2) then fails rather than hand out a name in use.
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        return url
    }

    /// Removes `directory`, or keeps it when `error` ended the body and failures are kept.
    static func remove(_ directory: URL, after error: (any Error)? = nil) {
        if let error, Self.keepsFailures {
            let note = "GATEHOUSE_KEEP_TEMP=1: kept \(directory.path), whose body threw \(error)\n"
            FileHandle.standardError.write(Data(note.utf8))
            return
        }
        // Best effort: a cleanup failure must not hide the test's own result.
        try? FileManager.default.removeItem(at: directory)
    }
}
