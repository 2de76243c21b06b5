/// The JSON bodies of the AuthZEN Authorization API 1.0, as the specification names them.
///
/// Read and written by ``AuthZENJSON`` (`AuthZENDTO+JSON.swift`, `AuthZENJSON+Writer.swift`), not
/// by ``AdminJSON``'s snake_case coders: the keys inside `properties` and `context` are the
/// caller's and must arrive unchanged.
package enum AuthZENDTO {
    /// A subject or a resource: `{type, id, properties}`. Both `type` and `id` are required by the
    /// specification; they are optional here so that a batch item may leave them to the defaults
    /// and a missing one is reported as such (400 or an item's `context.error`), not as bad JSON.
    package struct Entity: Sendable, Hashable {
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
    package struct Action: Sendable, Hashable {
        package var name: String?
        package var properties: [String: AuthZENValue]?

        package init(name: String? = nil, properties: [String: AuthZENValue]? = nil) {
            self.name = name
            self.properties = properties
        }
    }

    /// `POST /access/v1/evaluation`, and one item of a batch.
    package struct Evaluation: Sendable, Hashable {
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

    /// `POST /access/v1/evaluations`: top-level defaults, the items, and the options
    /// (`evaluations_semantic` in JSON).
    package struct Evaluations: Sendable, Hashable {
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
    package struct Options: Sendable, Hashable {
        /// `execute_all` (the default), `deny_on_first_deny` or `permit_on_first_permit`.
        package var evaluationsSemantic: String?

        package init(evaluationsSemantic: String? = nil) { self.evaluationsSemantic = evaluationsSemantic }
    }

    /// One answer: `{"decision": true|false, "context": {…}}`.
    package struct Decision: Sendable, Hashable {
        package var decision: Bool
        package var context: [String: AuthZENValue]?

        package init(decision: Bool, context: [String: AuthZENValue]?) {
            self.decision = decision
            self.context = context
        }
    }

    /// The answer to a batch: one ``Decision`` per item evaluated, in request order.
    package struct Decisions: Sendable, Hashable {
        package var evaluations: [Decision]

        package init(evaluations: [Decision]) { self.evaluations = evaluations }
    }

    /// `GET /.well-known/authzen-configuration` (`policy_decision_point`, `access_evaluation_endpoint`,
    /// `access_evaluations_endpoint` in JSON).
    package struct Metadata: Sendable, Hashable {
        package var policyDecisionPoint: String
        package var accessEvaluationEndpoint: String
        package var accessEvaluationsEndpoint: String

        package init(policyDecisionPoint: String, accessEvaluationEndpoint: String, accessEvaluationsEndpoint: String) {
            self.policyDecisionPoint = policyDecisionPoint
            self.accessEvaluationEndpoint = accessEvaluationEndpoint
            self.accessEvaluationsEndpoint = accessEvaluationsEndpoint
        }
    }
}
