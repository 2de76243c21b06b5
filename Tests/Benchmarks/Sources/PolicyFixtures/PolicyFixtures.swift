package import GatehouseCore
package import GatehousePolicy

/// Generated policy sets for the benchmarks, written as YAML text the way a deployment would write them.
///
/// A set is split into building blocks, one policy (and one file) per block, each selected by its
/// own host and `building_block` context extension, with an authentication section and response
/// shapes like `policies/civil-registry.yaml`. A block's rules come in groups of ten per
/// resource (`/r0042/…`): exact paths, `*`, `**`, methods, claims (`contains`, `equals`, `in`),
/// headers (`equals`, `prefix`, `present`), a SPIFFE ID, a CIDR, and one deny rule for every
/// second resource.
///
/// ```swift
/// let set = PolicySet(rules: 100_000)          // 1,000 policies of 100 rules
/// let tree = set.compile()
/// let (request, identity) = set.allowByClaim()
/// ```
package struct PolicySet: Sendable, CustomStringConvertible {
    /// The total number of rules.
    package let rules: Int
    /// The rules in each policy; the last policy may have fewer.
    package let rulesPerPolicy: Int
    /// How the rules are written.
    package let style: Style

    /// How rules are written: by hand (block style, one key a line) or by a generator (one rule a line).
    package enum Style: Sendable {
        /// One key a line, as in `policies/`.
        case block
        /// One rule a line in flow style, as a tool that generates policies would write them; it
        /// keeps a 100,000-rule policy under the 16 MiB file limit.
        case flow
    }

    /// The rules of each generated resource; a resource's rules differ by kind, see ``rule(_:in:)``.
    package static let rulesPerResource = 10

    /// A set of `rules` rules, `rulesPerPolicy` in each policy.
    package init(rules: Int, rulesPerPolicy: Int = 100, style: Style = .block) {
        precondition(rules > 0 && rulesPerPolicy > 0)
        self.rules = rules
        self.rulesPerPolicy = min(rulesPerPolicy, rules)
        self.style = style
    }

    /// A set of `rules` rules in one generated policy (flow style).
    package static func onePolicy(rules: Int) -> PolicySet {
        PolicySet(rules: rules, rulesPerPolicy: rules, style: .flow)
    }

    /// The number of policies (files).
    package var policyCount: Int { (self.rules + self.rulesPerPolicy - 1) / self.rulesPerPolicy }

    package var description: String {
        self.policyCount == 1
            ? "\(self.rules) rules in 1 policy" : "\(self.rules) rules in \(self.policyCount) policies"
    }

    // MARK: - YAML

    /// Every policy file: one per building block.
    package func sources() -> [PolicySource] {
        (0..<self.policyCount).map {
            PolicySource(path: "policies/\(Self.block($0)).yaml", text: self.yaml(policy: $0))
        }
    }

    /// The total size of the YAML text, in bytes.
    package static func byteCount(of sources: [PolicySource]) -> Int { sources.reduce(0) { $0 + $1.text.utf8.count } }

    /// The YAML of policy `index`.
    package func yaml(policy index: Int) -> String {
        let block = Self.block(index)
        let first = index * self.rulesPerPolicy
        let count = min(self.rulesPerPolicy, self.rules - first)
        var text = """
            # Generated: building block \(block), \(count) rules.
            kind: Policy
            name: \(block)
            description: Records of building block \(block).
            select:
              hosts: [\(block).gov.example, "*.\(block).gov.example"]
              contextExtensions:
                building_block: \(block)
            authentication:
              realm: \(block)
              jwt:
                - issuer: https://idp.gov.example
                  audiences: [\(block)]
                  jwks: { file: keys/idp.jwks.json }
                  algorithms: [RS256, ES256]
            rules:

            """
        text.reserveCapacity(count * 200 + 1024)
        for rule in 0..<count { text += self.rule(rule, in: block) }
        text += """
            response:
              allow:
                headers:
                  - name: x-gatehouse-policy
                    value: \(block)
                removeHeaders: [x-debug]
              unauthenticated:
                headers: [{ name: content-type, value: application/json }]
                body: '{"error":"unauthenticated"}'
              forbidden:
                status: 403
                headers: [{ name: content-type, value: application/json }]
                body: '{"error":"forbidden"}'

            """
        return text
    }

    /// The YAML of rule `index` of a policy, in the set's ``Style``.
    func rule(_ index: Int, in block: String) -> String {
        let entries = Self.ruleEntries(index, in: block)
        switch self.style {
        case .block:
            var text = ""
            for (position, entry) in entries.enumerated() {
                text += position == 0 ? "  - " : "    "
                switch entry {
                case .value(let key, let value): text += "\(key): \(value)\n"
                case .mapping(let key, let members):
                    text += "\(key):\n"
                    for (member, value) in members { text += "      \(member): \(value)\n" }
                }
            }
            return text
        case .flow:
            let items = entries.map { entry in
                switch entry {
                case .value(let key, let value): return "\(key): \(value)"
                case .mapping(let key, let members):
                    return "\(key): {" + members.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}"
                }
            }
            return "  - {" + items.joined(separator: ", ") + "}\n"
        }
    }

    /// One key of a rule: a value written in flow style, or a mapping (`claims`, `headers`).
    enum Entry {
        case value(String, String)
        case mapping(String, [(String, String)])
    }

    /// Rule `index` of a policy: kind `index % 10` on resource `index / 10`.
    static func ruleEntries(_ index: Int, in block: String) -> [Entry] {
        let resource = Self.resource(index / Self.rulesPerResource)
        let name = resource
        switch index % Self.rulesPerResource {
        case 0:
            return [
                .value("name", "\(name)-readers-read"), .value("action", "allow"), .value("methods", "[GET, HEAD]"),
                .value("paths", "[/\(resource)/*]"),
                .mapping("claims", [("realm_access.roles", "{ contains: \(resource)-reader }")]),
            ]
        case 1:
            return [
                .value("name", "\(name)-writers-create"), .value("action", "allow"), .value("methods", "[POST]"),
                .value("paths", "[/\(resource)]"),
                .mapping("claims", [("realm_access.roles", "{ contains: \(resource)-writer }")]),
            ]
        case 2:
            return [
                .value("name", "\(name)-auditors-read-all"), .value("action", "allow"), .value("methods", "[GET]"),
                .value("paths", "[/\(resource)/**]"),
                .mapping("claims", [("realm_access.roles", "{ contains: auditor }"), ("department", "audit")]),
            ]
        case 3:
            return [
                .value("name", "\(name)-service-reads-status"), .value("action", "allow"), .value("methods", "[GET]"),
                .value("paths", "[/\(resource)/*/status]"),
                .value("spiffeIds", "[\"spiffe://gov.example/ns/\(block)/sa/\(resource)-worker\"]"),
            ]
        case 4:
            return [
                .value("name", "\(name)-department-edits-items"), .value("action", "allow"),
                .value("methods", "[PUT, PATCH]"),
                .value("paths", "[/\(resource)/*/items/*]"), .mapping("headers", [("x-api-version", "\"2\"")]),
                .mapping("claims", [("department", "\(resource)-office")]),
            ]
        case 5:
            return [
                .value("name", "\(name)-tenants-read-summary"), .value("action", "allow"), .value("methods", "[GET]"),
                .value("paths", "[/\(resource)/reports/summary, /\(resource)/reports/summary.csv]"),
                .mapping("headers", [("x-tenant", "{ prefix: gov- }")]), .value("authenticated", "true"),
            ]
        case 6 where (index / Self.rulesPerResource).isMultiple(of: 2):
            return [
                .value("name", "\(name)-no-bulk-export"), .value("action", "deny"),
                .value("paths", "[/\(resource)/export/**]"),
            ]
        case 6:
            return [
                .value("name", "\(name)-readers-read-attachments"), .value("action", "allow"),
                .value("methods", "[GET]"),
                .value("paths", "[/\(resource)/*/attachments/**]"),
                .mapping("claims", [("realm_access.roles", "{ contains: \(resource)-reader }")]),
            ]
        case 7:
            return [
                .value("name", "\(name)-admins-delete"), .value("action", "allow"), .value("methods", "[DELETE]"),
                .value("paths", "[/\(resource)/*]"),
                .mapping(
                    "claims", [("realm_access.roles", "{ contains: \(resource)-admin }"), ("level", "{ in: [2, 3] }")]),
            ]
        case 8:
            return [
                .value("name", "\(name)-readers-search"), .value("action", "allow"), .value("methods", "[GET, POST]"),
                .value("paths", "[/\(resource)/search]"), .mapping("headers", [("x-request-id", "{ present: true }")]),
                .mapping("claims", [("realm_access.roles", "{ contains: \(resource)-reader }")]),
            ]
        default:
            return [
                .value("name", "\(name)-office-reads-history"), .value("action", "allow"), .value("methods", "[GET]"),
                .value("paths", "[/\(resource)/*/history]"), .value("sourceCidrs", "[10.0.0.0/8]"),
                .mapping("claims", [("realm_access.roles", "{ contains: \(resource)-reader }")]),
            ]
        }
    }

    /// `bb-0042`.
    package static func block(_ index: Int) -> String { "bb-" + Self.padded(index, 4) }
    /// `r0042`.
    package static func resource(_ index: Int) -> String { "r" + Self.padded(index, 4) }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    // MARK: - Compiling

    /// Compiles the set; stops the process on any error, since a benchmark of a broken set measures nothing.
    package func compile() -> DecisionTree {
        Self.compile(self.sources())
    }

    /// Compiles sources; stops the process on any error.
    package static func compile(_ sources: [PolicySource]) -> DecisionTree {
        let result = PolicyCompiler.compile(sources: sources)
        guard let compiled = result.compiled else {
            fatalError("The generated policies do not compile: \(result.errors.prefix(3).map(\.description))")
        }
        return compiled.tree
    }

    // MARK: - Requests

    /// The policy and resource the requests address: the middle of the set, so no lookup is favoured.
    private var target: (block: String, resource: String) {
        let policy = self.policyCount / 2
        let first = policy * self.rulesPerPolicy
        let rulesInPolicy = min(self.rulesPerPolicy, self.rules - first)
        let resources = (rulesInPolicy + Self.rulesPerResource - 1) / Self.rulesPerResource
        return (Self.block(policy), Self.resource(resources / 2))
    }

    /// `GET /rNNNN/1987-0042` by a caller whose token has the resource's reader role:
    /// allowed by the claims rule `rNNNN-readers-read`.
    package func allowByClaim() -> (request: AuthzRequest, identity: Identity) {
        let (block, resource) = self.target
        return (self.request(block: block, resource: resource), Self.identity(roles: ["staff", "\(resource)-reader"]))
    }

    /// The same request by a caller with a valid token but no role that any rule accepts:
    /// denied because no allow rule matches (403 `no_matching_rule`).
    package func defaultDeny() -> (request: AuthzRequest, identity: Identity) {
        let (block, resource) = self.target
        return (self.request(block: block, resource: resource), Self.identity(roles: ["staff"]))
    }

    private func request(block: String, resource: String) -> AuthzRequest {
        AuthzRequest(
            method: "GET", path: "/\(resource)/1987-0042", host: "\(block).gov.example:443", scheme: "https",
            headers: [
                ("user-agent", "benchmark/1.0"), ("accept", "application/json"),
                ("x-request-id", "7d8f0a2c-4b7e-4d7a-9f3e-0c1b2a3d4e5f"), ("authorization", "Bearer eyJ…"),
            ],
            source: Peer(address: IPAddress("10.20.30.40"), port: 51_234),
            protocolName: "HTTP/2",
            contextExtensions: ["building_block": block])
    }

    private static func identity(roles: [String]) -> Identity {
        let claims: ClaimValue = .object([
            "iss": .string("https://idp.gov.example"),
            "sub": .string("alice"),
            "aud": .string("bb"),
            "exp": .number(4_102_444_800),
            "department": .string("registry"),
            "realm_access": .object(["roles": .array(roles.map(ClaimValue.string))]),
        ])
        return Identity(token: VerifiedToken(issuer: "https://idp.gov.example", subject: "alice", claims: claims))
    }
}

/// The sizes every benchmark runs at.
package enum BenchmarkSizes {
    /// 10, 1,000, 10,000 and 100,000 rules, 100 per policy (10 rules: one policy).
    package static let perPolicy = [10, 1_000, 10_000, 100_000].map { PolicySet(rules: $0) }
    /// 100,000 rules in one policy.
    package static let onePolicy = PolicySet.onePolicy(rules: 100_000)
    /// Every set.
    package static let all = perPolicy + [onePolicy]
}
