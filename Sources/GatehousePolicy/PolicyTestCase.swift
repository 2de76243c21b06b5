package import GatehouseCore

/// One case from a `*_test.yaml` file: a request, the verified identity, and what must come out.
package struct PolicyTestCase: Sendable {
    /// The case's name, unique in its file.
    package var name: Located<String>
    /// The request.
    package var request: AuthzRequest
    /// The verified identity.
    package var identity: Identity
    /// The expected decision.
    package var expectation: Expectation
    /// Where the case is written.
    package var location: SourceLocation

    /// What the case expects; only the fields given are checked.
    package struct Expectation: Sendable {
        package var outcome: Decision.Outcome
        package var status: UInt16?
        package var reason: String?
        package var policy: String?
        package var rule: String?
        /// Headers that must be set (allow) or sent (deny) with these values.
        package var headers: [(name: String, value: String)]
        /// Headers that must be removed.
        package var removedHeaders: [String]
        /// The exact set of matching shadow rules, when given.
        package var shadowRules: [String]?
        package var body: String?
    }
}
