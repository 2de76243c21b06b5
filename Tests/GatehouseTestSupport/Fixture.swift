package import GatehouseCore

/// Builders for the compiled values the decision-tree and cache tests construct directly.
package enum Fixture {
    /// A fixture value that does not parse; the test using it is wrong, not the code under test.
    package struct Invalid: Error, CustomStringConvertible {
        package var description: String

        package init(description: String) { self.description = description }
    }

    /// A location in the imaginary policy file `t.yaml`.
    package static func location(_ line: Int) -> SourceLocation {
        SourceLocation(file: "t.yaml", line: line, column: 1)
    }

    /// A parsed path pattern.
    package static func path(_ text: String) throws -> PathPattern {
        switch PathPattern.parse(text) {
        case .success(let pattern): return pattern
        case .failure(let problem): throw Invalid(description: "path pattern '\(text)': \(problem)")
        }
    }

    /// A parsed host pattern.
    package static func host(_ text: String) throws -> HostPattern {
        guard let pattern = HostPattern(text) else { throw Invalid(description: "host pattern '\(text)'") }
        return pattern
    }

    /// A parsed CIDR block.
    package static func cidr(_ text: String) throws -> CIDR {
        switch CIDR.parse(text) {
        case .success(let block): return block
        case .failure(let problem): throw Invalid(description: "CIDR '\(text)': \(problem)")
        }
    }

    /// A parsed IP address.
    package static func address(_ text: String) throws -> IPAddress {
        guard let address = IPAddress(text) else { throw Invalid(description: "address '\(text)'") }
        return address
    }

    /// A rule; `paths` are pattern texts.
    package static func rule(
        _ name: String,
        _ action: RuleAction,
        line: Int = 1,
        shadow: Bool = false,
        methods: [String] = [],
        excludesMethods: Bool = false,
        paths: [String] = [],
        conditions: [Condition] = [],
        deniedResponse: DeniedResponseShape? = nil
    ) throws -> CompiledRule {
        CompiledRule(
            name: name,
            action: action,
            isShadow: shadow,
            methods: methods,
            excludesMethods: excludesMethods,
            paths: try paths.map(Self.path),
            conditions: conditions,
            location: Self.location(line),
            deniedResponse: deniedResponse
        )
    }

    /// A policy; `hosts` are pattern texts, `context` the required context extensions.
    package static func policy(
        _ name: String,
        hosts: [String] = [],
        context: [(key: String, values: [String])] = [],
        rules: [CompiledRule],
        authentication: AuthenticationSummary = AuthenticationSummary(),
        allowResponse: AllowResponseShape = AllowResponseShape(),
        unauthenticatedResponse: DeniedResponseShape = DeniedResponseShape(status: 401),
        forbiddenResponse: DeniedResponseShape = DeniedResponseShape(status: 403),
        cache: PolicyCacheSettings = PolicyCacheSettings()
    ) throws -> CompiledPolicy {
        let selector = PolicySelector(
            hosts: try hosts.map(Self.host),
            contextExtensions: context.map { PolicySelector.ContextRequirement(key: $0.key, values: $0.values) }
        )
        return CompiledPolicy(
            name: name,
            location: Self.location(1),
            selector: selector,
            rules: rules,
            authentication: authentication,
            allowResponse: allowResponse,
            unauthenticatedResponse: unauthenticatedResponse,
            forbiddenResponse: forbiddenResponse,
            cache: cache
        )
    }

    /// A tree of one policy without a selector.
    package static func tree(_ rules: [CompiledRule], revision: String = "rev-1") throws -> DecisionTree {
        DecisionTree(revision: revision, policies: [try Self.policy("p", rules: rules)])
    }

    /// A template from parts written as `${name}` placeholders and literal text.
    package static func template(_ source: String) throws -> ValueTemplate {
        var parts: [ValueTemplate.Part] = []
        var rest = Substring(source)
        while let open = rest.firstRange(of: "${") {
            if open.lowerBound > rest.startIndex { parts.append(.literal(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw Invalid(description: "template '\(source)'")
            }
            let name = String(rest[open.upperBound..<close])
            guard let attribute = TemplateAttribute(name: name) else {
                throw Invalid(description: "template attribute '\(name)'")
            }
            parts.append(.attribute(attribute))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        return ValueTemplate(parts: parts, source: source)
    }

    /// A verified token from issuer `https://idp.example`.
    package static func token(
        subject: String? = "alice",
        claims: [String: ClaimValue] = [:],
        issuer: String = "https://idp.example",
        source: TokenSource = .header("authorization")
    ) -> Identity {
        var payload = claims
        payload["iss"] = .string(issuer)
        if let subject { payload["sub"] = .string(subject) }
        return Identity(
            token: VerifiedToken(issuer: issuer, subject: subject, claims: .object(payload), source: source)
        )
    }
}
