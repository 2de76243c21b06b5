import GatehouseCore

extension PolicyParser {
    static let ruleKeys = [
        "name", "description", "action", "shadow", "methods", "notMethods", "paths", "notPaths", "hosts", "notHosts",
        "headers", "spiffeIds", "notSpiffeIds", "xroadClients", "notXroadClients", "groups", "notGroups", "sourceCidrs",
        "notSourceCidrs", "claims", "properties", "authenticated", "response",
    ]

    mutating func rule(_ node: YAMLNode) -> RuleDocument? {
        guard let entries = self.reader.mapping(node, allowed: Self.ruleKeys, what: "A rule") else { return nil }
        guard let nameNode = self.reader.require("name", in: entries, of: node, what: "A rule"),
            let name = self.name(nameNode, what: "The rule name")
        else { return nil }
        let what = "Rule '\(name.value)'"
        var action = RuleAction.allow
        if let actionNode = self.reader.require("action", in: entries, of: node, what: what),
            let text = self.reader.string(actionNode, what: "\(what) action")
        {
            if let parsed = RuleAction(rawValue: text) {
                action = parsed
            } else {
                self.reader.diagnostics.error(
                    .invalidValue, "\(what) has action '\(text)'; write 'allow' or 'deny'.", at: actionNode.location)
            }
        }
        var rule = RuleDocument(
            name: name, description: entries["description"].flatMap { self.reader.string($0, what: "description") },
            action: action,
            isShadow: entries["shadow"].flatMap { self.reader.bool($0, what: "\(what) shadow") } ?? false,
            methods: [], excludesMethods: false, paths: [], conditions: [], groups: [], excludedGroups: [],
            deniedResponse: nil, location: node.location)
        self.readMethods(entries, into: &rule, what: what)
        self.readPaths(entries, into: &rule, what: what)
        self.readSourceConditions(entries, into: &rule, what: what)
        if let headers = entries["headers"] { rule.conditions += self.headerConditions(headers, what: what) }
        if let claims = entries["claims"] { rule.conditions += self.claimConditions(claims, what: what) }
        if let properties = entries["properties"] {
            rule.conditions += self.propertyConditions(properties, what: what)
        }
        if let authenticated = entries["authenticated"],
            let flag = self.reader.bool(authenticated, what: "\(what) authenticated")
        {
            rule.conditions.append(.authenticated(flag))
        }
        if let response = entries["response"] {
            if action == .deny {
                rule.deniedResponse = self.deniedResponse(response, defaultStatus: 403, what: "\(what) response")
            } else {
                self.reader.diagnostics.error(
                    .invalidValue,
                    "\(what) is an allow rule; only deny rules take a 'response' (shape allows under the policy's response.allow).",
                    at: response.location)
            }
        }
        return rule
    }

    private mutating func readMethods(_ entries: [String: YAMLNode], into rule: inout RuleDocument, what: String) {
        if entries["methods"] != nil, let not = entries["notMethods"] {
            self.reader.diagnostics.error(
                .invalidValue, "\(what) has both methods and notMethods; keep one.", at: not.location)
            return
        }
        guard let node = entries["methods"] ?? entries["notMethods"] else { return }
        rule.excludesMethods = entries["methods"] == nil
        let key = rule.excludesMethods ? "notMethods" : "methods"
        guard let values = self.reader.strings(node, what: "\(what) \(key)", emptyCode: .emptyRule) else { return }
        for (method, location) in values {
            guard ASCII.isToken(method) else {
                self.reader.diagnostics.error(
                    .invalidValue,
                    "\(what) lists the method '\(method)', which is not an HTTP method token; write e.g. GET.",
                    at: location)
                continue
            }
            if HTTPMethod(method).bucket == HTTPMethod.otherBucket, HTTPMethod.standard.contains(method.uppercased()) {
                self.reader.diagnostics.error(
                    .invalidValue,
                    "\(what) lists the method '\(method)'; methods are case-sensitive, write '\(method.uppercased())'.",
                    at: location)
                continue
            }
            rule.methods.append(method)
        }
    }

    private mutating func readPaths(_ entries: [String: YAMLNode], into rule: inout RuleDocument, what: String) {
        if let node = entries["paths"] { rule.paths = self.pathPatterns(node, what: "\(what) paths") }
        if let node = entries["notPaths"] {
            let patterns = self.pathPatterns(node, what: "\(what) notPaths")
            if !patterns.isEmpty { rule.conditions.append(.paths(patterns, negated: true)) }
        }
        if let node = entries["hosts"] ?? entries["notHosts"] {
            let negated = entries["hosts"] == nil
            if let values = self.reader.strings(
                node, what: "\(what) \(negated ? "notHosts" : "hosts")", emptyCode: .emptyRule)
            {
                let patterns = values.compactMap { self.hostPattern($0.0, at: $0.1)?.value }
                if patterns.count == values.count { rule.conditions.append(.hosts(patterns, negated: negated)) }
            }
        }
    }

    private mutating func pathPatterns(_ node: YAMLNode, what: String) -> [PathPattern] {
        guard let values = self.reader.strings(node, what: what, emptyCode: .emptyRule) else { return [] }
        var patterns: [PathPattern] = []
        for (text, location) in values {
            switch PathPattern.parse(text) {
            case .success(let pattern): patterns.append(pattern)
            case .failure(let problem):
                let why: String
                switch problem {
                case .notAbsolute: why = "it must start with '/'"
                case .ambiguous:
                    why = "it holds an encoded '/' or '\\', a control character, an invalid escape, '?' or '#'"
                case .partialWildcard(let segment):
                    why = "the segment '\(segment)' mixes '*' with text; use '*' or '**' as a whole segment"
                case .tooManyDoubleStars: why = "it has more than \(PathPattern.maximumDoubleStars) '**'"
                }
                self.reader.diagnostics.error(
                    .badPattern, "The path pattern '\(text)' in \(what) is not valid: \(why).", at: location)
            }
        }
        return patterns
    }

    private mutating func readSourceConditions(
        _ entries: [String: YAMLNode], into rule: inout RuleDocument, what: String
    ) {
        for (key, negated) in [("spiffeIds", false), ("notSpiffeIds", true)] {
            if let node = entries[key],
                let patterns = self.principals(node, what: "\(what) \(key)", parse: PrincipalPattern.spiffe)
            {
                rule.conditions.append(.principals(patterns, negated: negated))
            }
        }
        for (key, negated) in [("xroadClients", false), ("notXroadClients", true)] {
            if let node = entries[key],
                let patterns = self.principals(node, what: "\(what) \(key)", parse: PrincipalPattern.xroad)
            {
                rule.conditions.append(.principals(patterns, negated: negated))
            }
        }
        if let node = entries["groups"],
            let names = self.reader.strings(node, what: "\(what) groups", emptyCode: .emptyRule)
        {
            rule.groups = names.map { Located($0.0, at: $0.1) }
        }
        if let node = entries["notGroups"],
            let names = self.reader.strings(node, what: "\(what) notGroups", emptyCode: .emptyRule)
        {
            rule.excludedGroups = names.map { Located($0.0, at: $0.1) }
        }
        for (key, negated) in [("sourceCidrs", false), ("notSourceCidrs", true)] {
            guard let node = entries[key],
                let values = self.reader.strings(node, what: "\(what) \(key)", emptyCode: .emptyRule)
            else { continue }
            var blocks: [CIDR] = []
            for (text, location) in values {
                switch CIDR.parse(text) {
                case .success(let block): blocks.append(block)
                case .failure(.hostBitsSet(let suggestion)):
                    self.reader.diagnostics.error(
                        .invalidCIDR,
                        "The CIDR '\(text)' has bits set beyond its prefix; did you mean '\(suggestion)'?", at: location
                    )
                case .failure:
                    self.reader.diagnostics.error(
                        .invalidCIDR, "The CIDR '\(text)' is not valid; write e.g. '10.0.0.0/8' or 'fd00::/8'.",
                        at: location)
                }
            }
            if blocks.count == values.count { rule.conditions.append(.sourceCIDRs(blocks, negated: negated)) }
        }
    }

    private mutating func headerConditions(_ node: YAMLNode, what: String) -> [Condition] {
        guard case .mapping(let pairs) = node.content else {
            self.reader.diagnostics.error(
                .typeError, "\(what) headers must be a mapping of header name to condition, not \(node.typeName).",
                at: node.location)
            return []
        }
        if pairs.isEmpty {
            self.reader.diagnostics.error(
                .emptyRule, "\(what) headers is empty; remove it or add a condition.", at: node.location)
        }
        var conditions: [Condition] = []
        for (key, value) in pairs {
            guard let rawName = self.reader.string(key, what: "A header name") else { continue }
            let name = ASCII.lowercased(rawName)
            if case .mapping = value.content {
                guard
                    let entries = self.reader.mapping(
                        value, allowed: ["equals", "prefix", "present", "absent"],
                        what: "The condition on header '\(name)'")
                else { continue }
                guard entries.count == 1, let (kind, operand) = entries.first else {
                    self.reader.diagnostics.error(
                        .invalidValue,
                        "The condition on header '\(name)' must have exactly one of equals, prefix, present, absent.",
                        at: value.location)
                    continue
                }
                switch kind {
                case "equals":
                    if let text = self.reader.string(operand, what: "equals") {
                        conditions.append(.header(name: name, .equals(text)))
                    }
                case "prefix":
                    if let text = self.reader.string(operand, what: "prefix") {
                        conditions.append(.header(name: name, .prefix(text)))
                    }
                default:
                    guard let flag = self.reader.bool(operand, what: kind) else { continue }
                    let present = (kind == "present") == flag
                    conditions.append(.header(name: name, present ? .present : .absent))
                }
            } else if let text = self.reader.string(value, what: "The value of header '\(name)'") {
                conditions.append(.header(name: name, .equals(text)))
            }
        }
        return conditions
    }

    private mutating func claimConditions(_ node: YAMLNode, what: String) -> [Condition] {
        self.valueConditions(
            node, what: what, section: "claims", noun: "claim",
            condition: { text in ClaimPath(text).map { path in { .claim(path: path.components, $0) } } },
            pathError: { "The claim path '\($0)' has an empty part; write e.g. 'realm_access.roles'." })
    }

    /// `properties: {subject.department: finance, resource.owner: {exists: true}}`: conditions on
    /// the AuthZEN entities' properties, with the same matches as `claims`.
    private mutating func propertyConditions(_ node: YAMLNode, what: String) -> [Condition] {
        self.valueConditions(
            node, what: what, section: "properties", noun: "property",
            condition: { text in
                guard let path = ClaimPath(text), path.components.count >= 2,
                    let entity = PropertyEntity(rawValue: path.components[0])
                else { return nil }
                let rest = Array(path.components.dropFirst())
                return { .property(entity, path: rest, $0) }
            },
            pathError: {
                "The property path '\($0)' must name subject, resource or action, then a property, with no empty part; write e.g. 'subject.department' or 'resource.owner.id'."
            })
    }

    /// A mapping of dotted paths to matches (`equals` by default, `in`, `contains`, `exists`), each
    /// made into a condition by `condition`, or reported with `pathError` when it returns `nil`.
    private mutating func valueConditions(
        _ node: YAMLNode, what: String, section: String, noun: String,
        condition: (String) -> ((ClaimMatch) -> Condition)?, pathError: (String) -> String
    ) -> [Condition] {
        guard case .mapping(let pairs) = node.content else {
            self.reader.diagnostics.error(
                .typeError, "\(what) \(section) must be a mapping of \(noun) path to condition, not \(node.typeName).",
                at: node.location)
            return []
        }
        if pairs.isEmpty {
            self.reader.diagnostics.error(
                .emptyRule, "\(what) \(section) is empty; remove it or add a condition.", at: node.location)
        }
        var conditions: [Condition] = []
        for (key, value) in pairs {
            guard let text = self.reader.string(key, what: "A \(noun) path") else { continue }
            guard let make = condition(text) else {
                self.reader.diagnostics.error(.invalidValue, pathError(text), at: key.location)
                continue
            }
            guard case .mapping = value.content else {
                if let expected = self.reader.claimValue(value, what: "\(noun) '\(text)'") {
                    conditions.append(make(.equals(expected)))
                }
                continue
            }
            guard
                let entries = self.reader.mapping(
                    value, allowed: ["equals", "in", "contains", "exists"], what: "The condition on \(noun) '\(text)'")
            else { continue }
            guard entries.count == 1, let (kind, operand) = entries.first else {
                self.reader.diagnostics.error(
                    .invalidValue,
                    "The condition on \(noun) '\(text)' must have exactly one of equals, in, contains, exists.",
                    at: value.location)
                continue
            }
            switch kind {
            case "exists":
                if let flag = self.reader.bool(operand, what: "exists") { conditions.append(make(.exists(flag))) }
            case "in":
                guard let items = self.reader.list(operand, what: "in") else { continue }
                if items.isEmpty {
                    self.reader.diagnostics.error(
                        .emptyRule, "The 'in' list of \(noun) '\(text)' is empty, so it can never match.",
                        at: operand.location)
                }
                let values = items.compactMap { self.reader.claimValue($0, what: "in") }
                if values.count == items.count, !values.isEmpty { conditions.append(make(.oneOf(values))) }
            default:
                guard let expected = self.reader.claimValue(operand, what: kind) else { continue }
                conditions.append(make(kind == "equals" ? .equals(expected) : .contains(expected)))
            }
        }
        return conditions
    }
}
