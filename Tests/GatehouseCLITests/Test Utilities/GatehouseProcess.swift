import Foundation
import GatehouseTestSupport

/// Runs the built `gatehouse` binary and captures what it prints.
enum GatehouseProcess {
    /// The exit status and both outputs, kept apart.
    typealias Output = ProcessRunner.Output

    /// Runs `gatehouse` with `arguments` in the repository root.
    ///
    /// Both outputs are read together (``ProcessRunner``), so a command that prints a lot to
    /// standard error cannot block on a full pipe while the test waits for its standard output.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        try ProcessRunner.run(
            Repository.gatehouse.path, arguments, environment: environment, directory: Repository.root)
    }

    /// Runs `body` with a fresh temporary directory holding `files` (relative path → text), and
    /// removes the directory afterwards (``withTemporaryDirectory(_:_:)``).
    ///
    /// - Parameters:
    ///   - files: The files to write first; a path may name subfolders, which are created.
    ///   - body: The test, given the directory.
    /// - Returns: What `body` returns.
    /// - Throws: When a file cannot be written, or what `body` throws.
    static func withDirectory<Result>(_ files: [String: String], _ body: (URL) throws -> Result) throws -> Result {
        try withTemporaryDirectory("cli") { directory in
            for (path, text) in files {
                let url = directory.appendingPathComponent(path)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            }
            return try body(directory)
        }
    }
}
