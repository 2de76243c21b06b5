import Foundation
import GatehouseTestSupport

/// Locates the provisioned Envoy and Python, and this target's scripts and fixtures.
///
/// The checkout itself and the built `gatehouse` binary come from ``Repository``.
enum Provisioning {
    /// The end-to-end fixture policies (`Fixtures/policies`).
    static let fixturePolicies = Repository.url("Tests/GatehouseIntegrationTests/Fixtures/policies")

    /// A helper script in `Tests/GatehouseIntegrationTests/Scripts`.
    static func script(_ name: String) -> String {
        Repository.url("Tests/GatehouseIntegrationTests/Scripts/\(name)").path
    }

    /// The virtualenv holding Envoy and xds-protos, made once by `Scripts/provision.sh`.
    ///
    /// Provisioning failures are test failures: the suite never silently skips the real Envoy.
    /// A first run downloads Envoy and the Python packages, for minutes on a fresh clone, so it
    /// runs on a thread of its own and every caller awaits it: a blocking one-time initializer
    /// held both of the 2-core machine's cooperative threads while it ran, and every other test's
    /// gRPC calls (the whole GRPC suite) missed their deadlines meanwhile.
    private static let venv: Task<String, any Error> = Task {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try Self.provision() }) }
        }
    }

    private static func provision() throws -> String {
        let directory =
            ProcessInfo.processInfo.environment["GATEHOUSE_E2E_VENV"] ?? Repository.url(".build/e2e-venv").path
        let result: ProcessRunner.Output
        do {
            result = try ProcessRunner.run(
                "/bin/bash", [Self.script("provision.sh"), directory], timeout: .seconds(600))
        } catch {
            throw ProvisioningError(message: "provision.sh failed: \(error)")
        }
        guard result.status == 0 else {
            throw ProvisioningError(message: "provision.sh failed (\(result.status)): \(result.combined)")
        }
        return directory
    }

    /// The Envoy binary.
    static func envoy() async throws -> String {
        try await self.venv.value + "/bin/envoy"
    }

    /// The virtualenv's Python, which has xds-protos.
    static func python() async throws -> String {
        try await self.venv.value + "/bin/python3"
    }

    struct ProvisioningError: Error, CustomStringConvertible {
        var message: String
        var description: String { self.message }
    }
}
