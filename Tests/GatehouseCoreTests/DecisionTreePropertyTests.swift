import GatehouseCore
import Testing

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny deterministic generator, so every run sees the same cases.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = self.state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// A number in `0..<bound`.
    mutating func below(_ bound: Int) -> Int { Int(self.next() % UInt64(bound)) }

    /// `true` with the given probability, in percent.
    mutating func chance(_ percent: Int) -> Bool { self.below(100) < percent }

    mutating func pick<Element>(_ elements: [Element]) -> Element { elements[self.below(elements.count)] }
}

@Suite("Decision tree: equivalence with a linear scan")
struct DecisionTreePropertyTests {
    static let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PROPFIND", "LOCK", "MKCOL", "get"]
    static let segments = ["a", "b", "c", "d"]

    static func pattern(_ random: inout SplitMix64) throws -> PathPattern {
        while true {
            let depth = random.below(4)
            let parts = (0..<depth).map { _ in random.pick(["a", "b", "c", "*", "**"]) }
            let text = "/" + parts.joined(separator: "/") + (random.chance(15) ? "/" : "")
            if let pattern = try? PathPattern.parse(text).get() { return pattern }
        }
    }

    static func condition(_ random: inout SplitMix64) throws -> Condition {
        switch random.below(9) {
        case 0: return .header(name: "x-h", random.pick([.equals("1"), .equals("2"), .prefix("1"), .present, .absent]))
        case 1: return .authenticated(random.chance(50))
        case 2: return .sourceCIDRs([try Fixture.cidr("10.0.0.0/8")], negated: random.chance(40))
        case 3: return .claim(path: ["role"], random.pick([.equals(.string("admin")), .exists(false), .exists(true)]))
        case 4: return .claim(path: ["groups"], .contains(.string(random.pick(["x", "y"]))))
        case 5: return .hosts([try Fixture.host(random.pick(["a.example", "*.example"]))], negated: random.chance(40))
        case 6: return .paths([try Self.pattern(&random)], negated: random.chance(70))
        case 7:
            let pattern = try #require(PrincipalPattern.spiffe(random.pick(["spiffe://t/ns/*", "spiffe://t/ns/a"])))
            return .principals([pattern], negated: random.chance(40))
        default: return .methods([random.pick(Self.methods)], negated: random.chance(50))
        }
    }

    static func rules(_ random: inout SplitMix64, count: Int) throws -> [CompiledRule] {
        try (0..<count).map { index in
            // Deny rules are fewer and narrower, so that allows, denials and no-match all occur often.
            let action: RuleAction = random.chance(75) ? .allow : .deny
            let methods = random.chance(40) ? [] : (0...random.below(3)).map { _ in random.pick(Self.methods) }
            let paths =
                action == .allow && random.chance(10)
                ? [] : try (0...random.below(2)).map { _ in try Self.pattern(&random) }
            let everyPath = paths.isEmpty || paths.contains { $0.segments.first == .doubleStar }
            let conditionCount = action == .deny || everyPath ? 1 + random.below(2) : random.below(3)
            return CompiledRule(
                name: "r\(index)",
                action: action,
                isShadow: random.chance(10),
                methods: methods,
                excludesMethods: random.chance(25),
                paths: paths,
                conditions: try (0..<conditionCount).map { _ in try Self.condition(&random) },
                location: Fixture.location(index + 1))
        }
    }

    static func request(_ random: inout SplitMix64) throws -> AuthzRequest {
        let path: String
        switch random.below(100) {
        case 0..<4: path = "*"
        case 4..<6: path = ""
        default:
            let parts = (0..<random.below(5)).map { _ in random.pick(Self.segments) }
            let trailingSlash = random.chance(20) ? "/" : ""
            path = "/" + parts.joined(separator: "/") + trailingSlash + (random.chance(10) ? "?q=1" : "")
        }
        let headers: [(String, String)] =
            switch random.below(5) {
            case 0: []
            case 1: [("X-H", "1")]
            case 2: [("x-h", "2")]
            case 3: [("x-h", "12")]
            default: [("x-h", "2"), ("X-H", "1")]
            }
        let source: IPAddress? = random.chance(20) ? nil : try Fixture.address(random.pick(["10.1.2.3", "192.0.2.1"]))
        return AuthzRequest(
            method: random.pick(Self.methods), path: path, host: random.pick(["a.example", "b.example", ""]),
            headers: headers, source: Peer(address: source))
    }

    static func identity(_ random: inout SplitMix64) -> Identity {
        switch random.below(4) {
        case 0: return .anonymous
        case 1: return Identity(peer: PeerIdentity(spiffeID: random.pick(["spiffe://t/ns/a", "spiffe://t/other"])))
        default:
            return Fixture.token(claims: [
                "role": .string(random.pick(["admin", "user"])),
                "groups": .array(random.chance(50) ? [.string("x")] : [.string("y"), .string("z")]),
            ])
        }
    }

    /// What the policy decides, found by checking every rule in order.
    struct Expected: Equatable {
        var outcome: Decision.Outcome
        var rule: String?
        var reason: DecisionReason
        var shadows: Set<String>
    }

    static func reference(_ rules: [CompiledRule], _ request: AuthzRequest, _ identity: Identity) -> Expected {
        var deny: String?
        var allow: String?
        var shadows: Set<String> = []
        for rule in rules {
            let listed = rule.methods.contains { Array($0.utf8) == Array(request.method.rawValue.utf8) }
            let methodMatches = rule.methods.isEmpty || listed != rule.excludesMethods
            let pathMatches = rule.paths.isEmpty || rule.paths.contains { $0.matches(request.path) }
            let conditionsHold = rule.conditions.allSatisfy {
                $0.isSatisfied(request: request, identity: identity, forDeny: rule.action == .deny)
            }
            guard methodMatches, pathMatches, conditionsHold else { continue }
            if rule.isShadow {
                shadows.insert(rule.name)
            } else if rule.action == .deny {
                deny = deny ?? rule.name
            } else {
                allow = allow ?? rule.name
            }
        }
        if let deny { return Expected(outcome: .deny, rule: deny, reason: .deniedByRule, shadows: shadows) }
        if let allow { return Expected(outcome: .allow, rule: allow, reason: .allowed, shadows: shadows) }
        return Expected(outcome: .deny, rule: nil, reason: .noMatchingRule, shadows: shadows)
    }

    static func actual(_ decision: Decision) -> Expected {
        Expected(
            outcome: decision.outcome, rule: decision.rule, reason: decision.reason,
            shadows: Set(decision.shadowMatches.map(\.rule)))
    }

    @Test(
        "For 2,000 random requests the tree decides exactly as a linear scan of ~50 random rules",
        arguments: [UInt64(1), 7, 2_024, 0xDEAD_BEEF]
    )
    func treeEqualsLinearScan(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let rules = try Self.rules(&random, count: 45 + random.below(11))
        let tree = try Fixture.tree(rules)
        var mismatches = 0
        var reasons: [String: Int] = [:]
        for _ in 0..<2_000 {
            let request = try Self.request(&random)
            let identity = Self.identity(&random)
            let expected = Self.reference(rules, request, identity)
            let decision = tree.evaluate(request, identity: identity)
            var tracer = RecordingTracer()
            let traced = tree.evaluate(request, identity: identity, tracer: &tracer)
            reasons[decision.reason.code, default: 0] += 1
            guard Self.actual(decision) != expected || Self.actual(traced) != expected else { continue }
            mismatches += 1
            Issue.record(
                """
                \(request.method) \(request.rawPath.debugDescription) host '\(request.host)' \
                headers \(request.headers["x-h"] ?? []) source \(request.source.address?.description ?? "none") \
                subject \(identity.subject ?? "none"): tree \(Self.actual(decision)), traced \(Self.actual(traced)), \
                linear scan \(expected)
                """)
            if mismatches >= 5 { break }
        }
        // The generator must produce every outcome, or the comparison proves little.
        #expect(reasons["allowed", default: 0] >= 20)
        #expect(reasons["denied_by_rule", default: 0] >= 20)
        #expect(reasons["no_matching_rule", default: 0] >= 20)
    }
}
