package import GatehouseCore

/// A policy's identity configuration that cannot be loaded: a key set, secret, trust bundle or
/// CRL file that is missing or unusable. Says what, where (the policy line that names the
/// file) and how to fix it; the revision is not activated.
package struct IdentityConfigurationError: Error, CustomStringConvertible, Sendable {
    /// The policy line that names the file, if known.
    package var location: SourceLocation?
    /// What is wrong and how to fix it.
    package var message: String

    package init(_ message: String, at location: SourceLocation?) {
        self.message = message
        self.location = location
    }

    package var description: String { self.describe(severity: "error") }

    /// The same text as a warning: for problems that skip one key but load the rest.
    package var warningDescription: String { self.describe(severity: "warning") }

    private func describe(severity: String) -> String {
        guard let location else { return "\(severity): \(self.message)" }
        return "\(location): \(severity): \(self.message)"
    }
}
