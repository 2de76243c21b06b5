package import Foundation

/// Where the tests find the checkout and the built `gatehouse` binary.
///
/// The one place that works out paths: test targets ask here rather than walking up from their
/// own `#filePath`, so moving a test file cannot make it read the wrong folder. Scratch space
/// comes from ``withTemporaryDirectory(_:isolation:_:)``, which removes it afterwards.
package enum Repository {
    /// The repository root, found from this file's path (`Tests/GatehouseTestSupport/Repository.swift`).
    package static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shipped example policies, `policies/`.
    package static let examplePolicies = Self.url("policies")

    /// The sample deployment files, `deploy/` (the `gatehouse serve` configuration and Envoy's).
    package static let deploy = Self.url("deploy")

    /// A file or folder of the checkout.
    ///
    /// - Parameter relativePath: The path from the repository root, such as
    ///   `Tests/GatehouseIntegrationTests/Scripts/mint_token.py`.
    /// - Returns: Its absolute URL; whether it exists is not checked.
    package static func url(_ relativePath: String) -> URL {
        self.root.appendingPathComponent(relativePath)
    }

    /// The `gatehouse` binary `swift build` placed beside the test bundle.
    package static var gatehouse: URL {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("gatehouse"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
                "gatehouse"),
            self.url(".build/debug/gatehouse"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[2]
    }
}
