/// A failure of the fleet coordinator: a bad connection URL, or PostgreSQL refusing a statement.
///
/// Losing the connection is not one of these while the coordinator runs: it reconnects with
/// backoff and logs each attempt; only what needs an operator's fix is thrown.
package struct FleetError: Error, Hashable, CustomStringConvertible {
    /// What kind of failure; stable, for tests and logs.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case invalidURL = "fleet_invalid_url"
            case database = "fleet_database_error"
            case invalidPayload = "fleet_invalid_payload"
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The `fleet.postgres` URL cannot be used.
        package static let invalidURL = Code(.invalidURL)
        /// PostgreSQL refused a statement, or could not be reached for a publish, report or read.
        package static let database = Code(.database)
        /// A notification or row did not hold a revision and digest.
        package static let invalidPayload = Code(.invalidPayload)

        package var description: String { self.value.rawValue }
    }

    package var code: Code
    /// What went wrong, where, and how to fix it.
    package var message: String
    package var cause: (any Error)?

    package init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    package static func == (lhs: FleetError, rhs: FleetError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
        hasher.combine(self.message)
    }

    package var description: String {
        if let cause = self.cause { return "\(self.code): \(self.message) (cause: \(String(reflecting: cause)))" }
        return "\(self.code): \(self.message)"
    }
}
