import Testing

/// One row of the token catalogue: how the request presents a token and what the decision must be.
struct TokenCase: Sendable, CustomTestStringConvertible {
    /// What the check must answer.
    enum Expected: Sendable {
        /// 200, reason `allowed`.
        case allowed
        /// 403 `no_matching_rule`: a valid identity the rules do not allow.
        case forbidden
        /// 401 `missing_credentials`: no token where one was looked for.
        case missing
        /// 401 `invalid_token` with this `reason_detail`.
        case invalid(String)
    }

    /// What goes into the CheckRequest.
    struct Presented: Sendable {
        var headers: [String: String] = [:]
        /// The query string, without `?`.
        var query = ""
        /// Every token text in the request: none may appear in the response.
        var tokens: [String] = []

        /// `Authorization: Bearer <token>`.
        static func bearer(_ token: String) -> Presented {
            Presented(headers: ["authorization": "Bearer " + token], tokens: [token])
        }
    }

    var name: String
    var expected: Expected
    var make: @Sendable (TokenKeys) throws -> Presented

    var testDescription: String { self.name }

    init(_ name: String, _ expected: Expected, _ make: @escaping @Sendable (TokenKeys) throws -> Presented) {
        self.name = name
        self.expected = expected
        self.make = make
    }

    /// A case whose token goes in `Authorization: Bearer`.
    static func bearer(
        _ name: String, _ expected: Expected, _ token: @escaping @Sendable (TokenKeys) throws -> String
    ) -> TokenCase {
        TokenCase(name, expected) { keys in .bearer(try token(keys)) }
    }

    /// The HTTP status the case expects.
    var status: Int {
        switch self.expected {
        case .allowed: return 200
        case .forbidden: return 403
        case .missing, .invalid: return 401
        }
    }

    /// The decision reason the case expects.
    var reason: String {
        switch self.expected {
        case .allowed: return "allowed"
        case .forbidden: return "no_matching_rule"
        case .missing: return "missing_credentials"
        case .invalid: return "invalid_token"
        }
    }
}
