import Foundation
import GatehouseTestSupport

/// Envoy for the end-to-end tests: a `deploy/envoy/` file as written, with only its example
/// addresses replaced, run as a child process beside the test's other files.
enum EnvoyProcess {
    /// `deploy/envoy/<name>` without its lines containing `dropping` (an endpoint a test does not
    /// start), then with each (text, replacement) applied in order.
    static func configuration(
        _ name: String, dropping: String? = nil, replacing replacements: [(String, String)]
    ) throws -> String {
        var text = try String(contentsOf: Repository.deploy.appendingPathComponent("envoy/\(name)"), encoding: .utf8)
        if let dropping {
            text = text.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.contains(dropping) }
                .joined(separator: "\n")
        }
        for (original, replacement) in replacements {
            text = text.replacingOccurrences(of: original, with: replacement)
        }
        return text
    }

    /// Writes `configuration` to `directory/envoy.yaml` and starts Envoy on it, logging to
    /// `directory/envoy.log`: one worker, no hot restart, and a base id of its own so that the
    /// Envoys of tests running side by side do not share shared memory.
    static func start(_ configuration: String, in directory: URL, logLevel: String = "warning") async throws
        -> ChildProcess
    {
        let file = directory.appendingPathComponent("envoy.yaml")
        try Data(configuration.utf8).write(to: file)
        return try ChildProcess(
            name: "envoy", executable: try await Provisioning.envoy(),
            arguments: [
                "-c", file.path, "--base-id", String(Int.random(in: 1_000...60_000)), "-l", logLevel,
                "--concurrency", "1", "--disable-hot-restart",
            ],
            logFile: directory.appendingPathComponent("envoy.log"))
    }
}
