package import GatehouseCore

/// The identity target's one error: a key set, secret, trust bundle or CRL that cannot be used, a
/// key set that cannot be fetched, or JSON that is not acceptable.
///
/// Operational failures only. A rejected token or client certificate is not an error but a value
/// (``TokenVerification/rejected(_:)``, a ``CredentialFailure`` with a stable `token_*` or
/// `certificate_*` detail) that the decision tree turns into a denial.
///
/// Tests and callers compare ``code``; ``message`` is a sentence for people that names the file,
/// URL or `kid` (never key material) and says what to do.
package struct IdentityError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure; stable, and open to new kinds.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case loadFailed = "identity_load_failed"
            case fileUnreadable = "identity_file_unreadable"
            case fileTooLarge = "identity_file_too_large"
            case fileMalformed = "identity_file_malformed"
            case keySetInvalid = "jwks_invalid"
            case keySetHasNoUsableKey = "jwks_no_usable_key"
            case keySkipped = "jwk_skipped"
            case keySetPublishesSecret = "jwks_secret_published"
            case secretTooShort = "secret_too_short"
            case keySetFetchFailed = "jwks_fetch_failed"
            case discoveryInvalid = "openid_discovery_invalid"
            case trustBundleInvalid = "trust_bundle_invalid"
            case revocationListMalformed = "crl_malformed"
            case revocationListUnsupported = "crl_unsupported"
            case revocationListUntrusted = "crl_untrusted"
            case revocationListNumberMissing = "crl_number_missing"
            case jsonMalformed = "json_malformed"
            case jsonDuplicateMember = "json_duplicate_member"
            case revisionInconsistent = "identity_revision_inconsistent"
            case httpClientShutdownFailed = "http_client_shutdown_failed"
            case bundleKeySetInvalid = "bundle_keys_invalid"
            case bundleSigningKeyInvalid = "bundle_signing_key_invalid"
            case bundleSigningFailed = "bundle_signing_failed"
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A revision's identity files could not all be loaded; see ``IdentityError/problems``.
        package static let loadFailed = Code(.loadFailed)
        /// A JWKS, secret, trust-bundle or CRL file is missing or cannot be read.
        package static let fileUnreadable = Code(.fileUnreadable)
        /// A trust-bundle or CRL file is larger than Gatehouse reads.
        package static let fileTooLarge = Code(.fileTooLarge)
        /// A trust-bundle or CRL file is neither PEM nor DER, or holds blocks of the wrong kind.
        package static let fileMalformed = Code(.fileMalformed)
        /// A key set document is not a JSON object with a `keys` array.
        package static let keySetInvalid = Code(.keySetInvalid)
        /// Every key of a key set was skipped.
        package static let keySetHasNoUsableKey = Code(.keySetHasNoUsableKey)
        /// One key of a key set cannot verify signatures and was skipped (a warning when others remain).
        package static let keySkipped = Code(.keySkipped)
        /// A key set fetched from a URL holds a shared secret (an `oct` key): published, so no
        /// secret, and the document is refused whole.
        package static let keySetPublishesSecret = Code(.keySetPublishesSecret)
        /// A shared secret is shorter than ``KeySet/minimumSecretBytes``.
        package static let secretTooShort = Code(.secretTooShort)
        /// A key set or discovery document could not be fetched (transport failure or non-200 status).
        package static let keySetFetchFailed = Code(.keySetFetchFailed)
        /// An OpenID discovery document is unusable: not JSON, another issuer, or no acceptable `jwks_uri`.
        package static let discoveryInvalid = Code(.discoveryInvalid)
        /// A trust bundle holds something other than CA certificates, or no self-signed root.
        package static let trustBundleInvalid = Code(.trustBundleInvalid)
        /// A CRL does not decode as an X.509 v2 CRL.
        package static let revocationListMalformed = Code(.revocationListMalformed)
        /// A CRL uses a signature algorithm or critical extension Gatehouse does not implement.
        package static let revocationListUnsupported = Code(.revocationListUnsupported)
        /// A CRL's issuer is not in the trust bundle, may not sign CRLs, or its signature does not verify.
        package static let revocationListUntrusted = Code(.revocationListUntrusted)
        /// A version 2 CRL has no CRL number, which RFC 5280 §5.2.3 requires of every CRL.
        package static let revocationListNumberMissing = Code(.revocationListNumberMissing)
        /// A JSON text is not RFC 8259 JSON, or nests too deep.
        package static let jsonMalformed = Code(.jsonMalformed)
        /// A JSON object names the same member twice.
        package static let jsonDuplicateMember = Code(.jsonDuplicateMember)
        /// A request names a policy the revision has no authenticator for: a bug in activation.
        package static let revisionInconsistent = Code(.revisionInconsistent)
        /// The HTTP client that fetches key sets did not shut down cleanly.
        package static let httpClientShutdownFailed = Code(.httpClientShutdownFailed)
        /// A bundle key set holds a key that cannot verify bundle signatures (not Ed25519 or
        /// P-256, skipped, or a `kid` given twice).
        package static let bundleKeySetInvalid = Code(.bundleKeySetInvalid)
        /// A bundle signing key is not an Ed25519 or P-256 private key in PEM, or has no key id.
        package static let bundleSigningKeyInvalid = Code(.bundleSigningKeyInvalid)
        /// Signing a bundle's payload failed inside the cryptography library.
        package static let bundleSigningFailed = Code(.bundleSigningFailed)

        /// The stable snake_case code.
        package var description: String { self.wrapped.rawValue }
    }

    /// What kind of failure.
    package var code: Code
    /// A sentence saying what is wrong and how to fix it.
    package var message: String
    /// The policy line naming the file, when the failure is about a configured file.
    package var location: SourceLocation?
    /// Each problem, sorted as found, when ``code`` is ``Code/loadFailed``; otherwise empty.
    package var problems: [IdentityError]
    /// The underlying error, if any; not part of equality.
    package var cause: (any Error)?

    /// - Parameters:
    ///   - code: What kind of failure.
    ///   - message: A sentence saying what is wrong and how to fix it.
    ///   - location: The policy line naming the file, if known.
    ///   - problems: For ``Code/loadFailed``, every problem found.
    ///   - cause: The underlying error, if any.
    package init(
        code: Code, message: String, location: SourceLocation? = nil, problems: [IdentityError] = [],
        cause: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.location = location
        self.problems = problems
        self.cause = cause
    }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.location == rhs.location
            && lhs.problems == rhs.problems
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
        hasher.combine(self.message)
        hasher.combine(self.location)
        hasher.combine(self.problems)
    }

    /// `code: message (cause: …)`, after `file:line:col: ` when the error has a location.
    package var description: String {
        let prefix = self.location.map { "\($0): " } ?? ""
        let cause = self.cause.map { " (cause: \($0))" } ?? ""
        return "\(prefix)\(self.code): \(self.message)\(cause)"
    }

    /// The line `gatehouse policy lint` prints: `file:line:col: error: code: message`.
    package var errorDescription: String { self.line(severity: "error") }

    /// The same line as a warning: for a problem that skips one key but loads the rest.
    package var warningDescription: String { self.line(severity: "warning") }

    private func line(severity: String) -> String {
        let prefix = self.location.map { "\($0): " } ?? ""
        return "\(prefix)\(severity): \(self.code): \(self.message)"
    }
}
