/// A configuration that cannot be used: every problem found, each with where it is.
package struct ConfigurationError: Error, Hashable, CustomStringConvertible {
    /// What kind of failure.
    package struct Code: Hashable, CustomStringConvertible {
        private enum Wrapped: Hashable {
            case invalidConfiguration
            case unreadableFile
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// One or more keys, flags or variables are wrong; see ``ConfigurationError/problems``.
        package static let invalidConfiguration = Code(.invalidConfiguration)
        /// The configuration file cannot be read or parsed.
        package static let unreadableFile = Code(.unreadableFile)

        package var description: String {
            switch self.wrapped {
            case .invalidConfiguration: return "invalid_configuration"
            case .unreadableFile: return "unreadable_configuration_file"
            }
        }
    }

    package var code: Code
    /// Each problem as `where: what and how to fix it`.
    package var problems: [String]

    package var description: String {
        "\(self.code): \(self.problems.count) problem\(self.problems.count == 1 ? "" : "s"):\n"
            + self.problems.map { "  \($0)" }.joined(separator: "\n")
    }
}
