/// The policy target's error: a policy set that does not compile, or a file that cannot be read.
///
/// A compiler ``Diagnostic`` is not a ``PolicyError``: diagnostics are collected, sorted and
/// rendered as `file:line:col: code: message`, and ``PolicyError/diagnostics`` carries them all
/// when compilation fails. Callers and tests compare ``code``.
package struct PolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case compilationFailed
            case unreadableSource
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The policies have errors; see ``PolicyError/diagnostics``.
        package static let compilationFailed = Code(.compilationFailed)
        /// The policy directory or a file in it cannot be read.
        package static let unreadableSource = Code(.unreadableSource)

        package var description: String {
            switch self.wrapped {
            case .compilationFailed: return "compilation_failed"
            case .unreadableSource: return "unreadable_source"
            }
        }
    }

    /// What kind of failure.
    package var code: Code
    /// A sentence saying what failed and what to do.
    package var message: String
    /// Every diagnostic, errors and warnings, sorted by location.
    package var diagnostics: [Diagnostic]
    /// The underlying error, if any; not part of equality.
    package var cause: (any Error)?

    package init(code: Code, message: String, diagnostics: [Diagnostic] = [], cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.diagnostics = diagnostics
        self.cause = cause
    }

    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.diagnostics == rhs.diagnostics
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
        hasher.combine(self.message)
        hasher.combine(self.diagnostics)
    }

    /// `code: message (cause: …)`.
    package var description: String {
        let cause = self.cause.map { " (cause: \($0))" } ?? ""
        return "\(self.code): \(self.message)\(cause)"
    }
}
