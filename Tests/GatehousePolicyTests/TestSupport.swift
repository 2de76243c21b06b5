import Foundation
import GatehousePolicy
import GatehouseTestSupport

/// Where the files the policy tests read live in the checkout.
enum TestPaths {
    /// The example policies in `policies/`.
    static var examplePolicies: URL { Repository.examplePolicies }

    /// The copied `Fixtures` resource directory of this test target.
    static var fixtures: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
                throw FixtureError(message: "the Fixtures resource is missing from the test bundle")
            }
            return url
        }
    }

    struct FixtureError: Error, CustomStringConvertible {
        var message: String
        var description: String { self.message }
    }
}

extension PolicyCompiler.Result {
    /// The warnings only.
    var warnings: [Diagnostic] { self.diagnostics.filter { $0.severity == .warning } }

    /// `file:line:col: code` for every diagnostic, for readable expectation failures.
    var summary: [String] { self.diagnostics.map { "\($0.location): \($0.code.rawValue)" } }
}
