/// The JSON bodies of the AuthZEN Authorization API 1.0, as the specification names them.
///
/// Decoded with a plain `JSONDecoder` (not ``AdminJSON``'s snake_case conversion), because the
/// keys inside `properties` and `context` are the caller's and must arrive unchanged.
package enum AuthZENDTO {
    /// A subject or a resource: `{type, id, properties}`. Both `type` and `id` are required by the
    /// specification; they are optional here so that a batch item may leave them to the defaults
    /// and a missing one is reported as such (400 or an item's `context.error`), not as bad JSON.
    package struct Entity: Codable, Sendable, Hashable {
        package var type: String?
        package var id: String?
        package var properties: [String: AuthZENValue]?

        package init(type: String? = nil, id: String? = nil, properties: [String: AuthZENValue]? = nil) {
            self.type = type
            self.id = id
            self.properties = properties
        }
    }

    /// An action: `{name, properties}`.
    package struct Action: Codable, Sendable, Hashable {
        package var name: String?
        package var properties: [String: AuthZENValue]?

        package init(name: String? = nil, properties: [String: AuthZENValue]? = nil) {
            self.name = name
            self.properties = properties
        }
    }

    /// `POST /access/v1/evaluation`, and one item of a batch.
    package struct Evaluation: Codable, Sendable, Hashable {
        package var subject: Entity?
        package var action: Action?
        package var resource: Entity?
        package var context: [String: AuthZENValue]?

        package init(
            subject: Entity? = nil, action: Action? = nil, resource: Entity? = nil,
            context: [String: AuthZENValue]? = nil
        ) {
            self.subject = subject
            self.action = action
            self.resource = resource
            self.context = context
        }

        /// This item with every entity it leaves out taken from `defaults` (an entity is
        /// overridden whole, as the specification says; `context` too).
        func filled(from defaults: Evaluation) -> Evaluation {
            Evaluation(
                subject: self.subject ?? defaults.subject, action: self.action ?? defaults.action,
                resource: self.resource ?? defaults.resource, context: self.context ?? defaults.context)
        }
    }

    /// `POST /access/v1/evaluations`: top-level defaults, the items, and the options.
    package struct Evaluations: Codable, Sendable, Hashable {
        package var subject: Entity?
        package var action: Action?
        package var resource: Entity?
        package var context: [String: AuthZENValue]?
        package var evaluations: [Evaluation]?
        package var options: Options?

        package init(
            defaults: Evaluation = Evaluation(), evaluations: [Evaluation]? = nil, options: Options? = nil
        ) {
            self.subject = defaults.subject
            self.action = defaults.action
            self.resource = defaults.resource
            self.context = defaults.context
            self.evaluations = evaluations
            self.options = options
        }

        /// The top-level entities, which every item may override.
        var defaults: Evaluation {
            Evaluation(subject: self.subject, action: self.action, resource: self.resource, context: self.context)
        }
    }

    /// `options` of a batch.
    package struct Options: Codable, Sendable, Hashable {
        /// `execute_all` (the default), `deny_on_first_deny` or `permit_on_first_permit`.
        package var evaluationsSemantic: String?

        package init(evaluationsSemantic: String? = nil) { self.evaluationsSemantic = evaluationsSemantic }

        enum CodingKeys: String, CodingKey {
            case evaluationsSemantic = "evaluations_semantic"
        }
    }

    /// One answer: `{"decision": true|false, "context": {…}}`.
    package struct Decision: Codable, Sendable, Hashable {
        package var decision: Bool
        package var context: [String: AuthZENValue]?
    }

    /// The answer to a batch: one ``Decision`` per item evaluated, in request order.
    package struct Decisions: Codable, Sendable, Hashable {
        package var evaluations: [Decision]
    }

    /// `GET /.well-known/authzen-configuration`.
    package struct Metadata: Codable, Sendable, Hashable {
        package var policyDecisionPoint: String
        package var accessEvaluationEndpoint: String
        package var accessEvaluationsEndpoint: String

        enum CodingKeys: String, CodingKey {
            case policyDecisionPoint = "policy_decision_point"
            case accessEvaluationEndpoint = "access_evaluation_endpoint"
            case accessEvaluationsEndpoint = "access_evaluations_endpoint"
        }
    }
}
