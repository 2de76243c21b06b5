import Foundation
import Testing

/// Locates the repository, the built `gatehouse` binary, and the provisioned Envoy.
enum Provisioning {
    /// The repository root, found from this file's path.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `gatehouse` binary `swift build` placed beside the test bundle.
    static var gatehouse: String {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("gatehouse").path,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
                "gatehouse"
            ).path,
            self.repositoryRoot.appendingPathComponent(".build/debug/gatehouse").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[2]
    }

    /// The virtualenv holding Envoy and xds-protos, made once by `Scripts/provision.sh`.
    ///
    /// Provisioning failures are test failures: the suite never silently skips the real Envoy.
    static let venv: Result<String, ProvisioningError> = {
        let directory =
            ProcessInfo.processInfo.environment["GATEHOUSE_E2E_VENV"]
            ?? repositoryRoot.appendingPathComponent(".build/e2e-venv").path
        let script = repositoryRoot.appendingPathComponent("Tests/GatehouseIntegrationTests/Scripts/provision.sh").path
        let result = ChildProcess.runToCompletion("/bin/bash", [script, directory])
        guard result.status == 0 else {
            return .failure(ProvisioningError(message: "provision.sh failed (\(result.status)): \(result.output)"))
        }
        return .success(directory)
    }()

    /// The Envoy binary.
    static func envoy() throws -> String {
        try self.venv.get() + "/bin/envoy"
    }

    /// The virtualenv's Python, which has xds-protos.
    static func python() throws -> String {
        try self.venv.get() + "/bin/python3"
    }

    struct ProvisioningError: Error, CustomStringConvertible {
        var message: String
        var description: String { self.message }
    }

    /// A fresh temporary directory.
    static func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gatehouse-e2e-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
