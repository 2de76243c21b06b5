/// The policy target's error: a policy set that does not compile, or a file that cannot be read.
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

    package init(code: Code, message: String, diagnostics: [Diagnostic] = []) {
        self.code = code
        self.message = message
        self.diagnostics = diagnostics
    }

    package var description: String { "\(self.code): \(self.message)" }
}
