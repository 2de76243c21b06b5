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

    /// A fresh temporary directory holding `files` (relative path → text).
    static func directory(_ files: [String: String]) throws -> URL {
        let directory = try Repository.temporaryDirectory("cli")
        for (path, text) in files {
            let url = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return directory
    }
}
