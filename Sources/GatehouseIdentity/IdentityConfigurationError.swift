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

    package var description: String {
        guard let location else { return "error: \(self.message)" }
        return "\(location): error: \(self.message)"
    }
}
