/// Whether a rule allows or denies.
package enum RuleAction: String, Sendable, Hashable {
    case allow
    case deny
}

/// One rule of a compiled policy.
package struct CompiledRule: Sendable, Hashable {
    /// The rule's name, unique in its policy.
    package var name: String
    /// Allow or deny.
    package var action: RuleAction
    /// A shadow rule is evaluated and reported, never enforced.
    package var isShadow: Bool
    /// The methods the rule is limited to (empty: any), or excludes when ``excludesMethods``.
    package var methods: [String]
    /// Whether ``methods`` lists methods the rule does not apply to.
    package var excludesMethods: Bool
    /// The path patterns the rule is limited to; empty means any path. The tree indexes these.
    package var paths: [PathPattern]
    /// Everything else, checked at the tree's leaf.
    package var conditions: [Condition]
    /// Where the rule is written.
    package var location: SourceLocation
    /// For a deny rule, the response it sends instead of the policy's `forbidden` response.
    package var deniedResponse: DeniedResponseShape?

    package init(
        name: String,
        action: RuleAction,
        isShadow: Bool = false,
        methods: [String] = [],
        excludesMethods: Bool = false,
        paths: [PathPattern] = [],
        conditions: [Condition] = [],
        location: SourceLocation,
        deniedResponse: DeniedResponseShape? = nil
    ) {
        self.name = name
        self.action = action
        self.isShadow = isShadow
        self.methods = methods
        self.excludesMethods = excludesMethods
        self.paths = paths
        self.conditions = conditions
        self.location = location
        self.deniedResponse = deniedResponse
    }

    /// Whether the rule belongs in a method bucket; ``HTTPMethod/otherBucket`` also gets a residual check.
    func appliesTo(bucket: Int) -> Bool {
        guard !self.methods.isEmpty else { return true }
        if bucket == HTTPMethod.otherBucket {
            // Non-standard methods share one bucket: include the rule whenever it might apply, and
            // let `residualConditions(bucket:)` compare the method itself.
            return self.excludesMethods || self.methods.contains { HTTPMethod($0).bucket == bucket }
        }
        let listed = self.methods.contains { HTTPMethod($0).bucket == bucket }
        return listed != self.excludesMethods
    }

    /// Whether the rule's method condition holds; only non-standard methods need the comparison,
    /// the others are decided by the bucket the rule sits in.
    @inline(__always)
    func acceptsMethod(_ method: HTTPMethod) -> Bool {
        guard method.bucket == HTTPMethod.otherBucket, !self.methods.isEmpty else { return true }
        return self.methods.contains { ASCII.equal($0, method.rawValue) } != self.excludesMethods
    }

    /// The attributes the rule reads.
    package var attributes: Set<RequestAttribute> {
        var attributes = Set(self.conditions.flatMap(\.attributes))
        if !self.methods.isEmpty { attributes.insert(.method) }
        if !self.paths.isEmpty { attributes.insert(.path) }
        return attributes
    }

    /// Whether the rule has no condition at all.
    package var isUnconditional: Bool {
        self.methods.isEmpty && self.conditions.isEmpty
            && (self.paths.isEmpty || self.paths.contains { $0.segments == [.doubleStar] })
    }
}
