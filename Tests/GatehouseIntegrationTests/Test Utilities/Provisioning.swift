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
    static let venv: Result<String, ProvisioningError> = {
        let directory =
            ProcessInfo.processInfo.environment["GATEHOUSE_E2E_VENV"] ?? Repository.url(".build/e2e-venv").path
        do {
            // A first run downloads Envoy and the Python packages: far longer than any other command.
            let result = try ProcessRunner.run(
                "/bin/bash", [Self.script("provision.sh"), directory], timeout: .seconds(600))
            guard result.status == 0 else {
                return .failure(
                    ProvisioningError(message: "provision.sh failed (\(result.status)): \(result.combined)"))
            }
            return .success(directory)
        } catch {
            return .failure(ProvisioningError(message: "provision.sh failed: \(error)"))
        }
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
}
