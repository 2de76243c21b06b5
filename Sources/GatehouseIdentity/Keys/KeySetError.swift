/// A key set that cannot be used at all: not a JWKS, no usable key in it, or a secret too short.
///
/// Says which file or URL (``origin``), what is wrong and how to fix it; never quotes key material.
package struct KeySetError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What kind of problem it is; stable for callers that react differently (a fetcher keeps the last good set).
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case notJWKS = "jwks_invalid"
            case noUsableKey = "jwks_no_usable_key"
            case secretTooShort = "secret_too_short"
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The document is not a JSON object with a `keys` array.
        package static let notJWKS = Code(.notJWKS)
        /// Every key in the document was skipped.
        package static let noUsableKey = Code(.noUsableKey)
        /// A shared secret shorter than 32 bytes.
        package static let secretTooShort = Code(.secretTooShort)

        /// The stable snake_case code.
        package var description: String { self.wrapped.rawValue }
    }

    /// What kind of problem it is.
    package var code: Code
    /// The file or URL the keys came from.
    package var origin: String
    /// What is wrong and how to fix it.
    package var message: String

    /// An error about the key set at `origin`.
    package init(code: Code, origin: String, message: String) {
        self.code = code
        self.origin = origin
        self.message = message
    }

    /// `code: origin: message`, e.g. `jwks_no_usable_key: keys/idp.json: No key can verify signatures (…)`.
    package var description: String { "\(self.code): \(self.origin): \(self.message)" }
}
