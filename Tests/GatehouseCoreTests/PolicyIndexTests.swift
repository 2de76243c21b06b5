import GatehouseCore
import GatehouseTestSupport
import Testing

@Suite("Decision tree: policy selection")
struct PolicyIndexTests {
    /// The name of the policy that governs a request, or `nil` for no_policy.
    static func selected(
        _ policies: [CompiledPolicy],
        host: String = "",
        context: [String: String] = [:]
    ) -> String? {
        let tree = DecisionTree(revision: "r", policies: policies)
        let decision = tree.evaluate(AuthzRequest(host: host, contextExtensions: context), identity: .anonymous)
        if decision.reason == .noPolicy { return nil }
        return decision.policy
    }

    static func policy(
        _ name: String,
        hosts: [String] = [],
        context: [(key: String, values: [String])] = []
    ) throws -> CompiledPolicy {
        try Fixture.policy(name, hosts: hosts, context: context, rules: [Fixture.rule("all", .allow)])
    }

    @Test("Required context extensions beat any host condition; more of them beat fewer")
    func contextExtensionsWin() throws {
        let policies = try [
            Self.policy("exact-host", hosts: ["registry.example"]),
            Self.policy("one-extension", context: [("building_block", ["registry"])]),
            Self.policy("two-extensions", context: [("building_block", ["registry"]), ("tier", ["gold", "silver"])]),
        ]
        #expect(Self.selected(policies, host: "registry.example") == "exact-host")
        #expect(
            Self.selected(policies, host: "registry.example", context: ["building_block": "registry"])
                == "one-extension")
        #expect(Self.selected(policies, host: "x.example", context: ["building_block": "registry"]) == "one-extension")
        let both = ["building_block": "registry", "tier": "silver"]
        #expect(Self.selected(policies, host: "registry.example", context: both) == "two-extensions")
        let wrongTier = ["building_block": "registry", "tier": "bronze"]
        #expect(Self.selected(policies, host: "registry.example", context: wrongTier) == "one-extension")
        #expect(Self.selected(policies, host: "x.example", context: ["building_block": "other"]) == nil)
    }

    @Test(
        "An exact host beats a '*.suffix' host beats no host condition; the longer suffix wins",
        arguments: [
            ("registry.gov.example", "exact"),
            ("a.registry.gov.example", "long-suffix"),
            ("a.b.registry.gov.example", "long-suffix"),
            ("other.gov.example", "short-suffix"),
            ("gov.example", "hostless"),
            ("unrelated.example", "hostless"),
            ("", "hostless"),
        ]
    )
    func hostSpecificity(host: String, expected: String) throws {
        let policies = try [
            Self.policy("hostless"),
            Self.policy("short-suffix", hosts: ["*.gov.example"]),
            Self.policy("long-suffix", hosts: ["*.registry.gov.example"]),
            Self.policy("exact", hosts: ["registry.gov.example"]),
        ]
        #expect(Self.selected(policies, host: host) == expected)
        #expect(Self.selected(policies.reversed(), host: host) == expected)
    }

    @Test("The request's host is compared lower-cased, without its port or a trailing dot")
    func hostIsNormalized() throws {
        let policies = try [Self.policy("exact", hosts: ["Registry.Example"]), Self.policy("hostless")]
        #expect(Self.selected(policies, host: "REGISTRY.example:8443") == "exact")
        #expect(Self.selected(policies, host: "registry.example.") == "exact")
        #expect(Self.selected(policies, host: "registry.example.org") == "hostless")
    }

    @Test("A '*' host selects like no host condition, and a policy may list several hosts")
    func anyHostAndSeveralHosts() throws {
        let policies = try [
            Self.policy("star", hosts: ["*"]),
            Self.policy("two", hosts: ["a.example", "*.b.example"]),
        ]
        #expect(Self.selected(policies, host: "a.example") == "two")
        #expect(Self.selected(policies, host: "x.b.example") == "two")
        #expect(Self.selected(policies, host: "b.example") == "star")
        #expect(Self.selected(policies, host: "c.example") == "star")
        #expect(try Self.selected([Self.policy("only", hosts: ["a.example"])], host: "c.example") == nil)
    }

    @Test("Equally specific policies are chosen by name, never by order", arguments: [false, true])
    func nameBreaksTies(reversed: Bool) throws {
        var policies = try [
            Self.policy("zeta", hosts: ["x.example"]),
            Self.policy("alpha", hosts: ["x.example", "y.example"]),
            Self.policy("beta-context", context: [("k2", ["v"])]),
            Self.policy("alpha-context", context: [("k1", ["v"])]),
        ]
        if reversed { policies.reverse() }
        #expect(Self.selected(policies, host: "x.example") == "alpha")
        #expect(Self.selected(policies, host: "x.example", context: ["k1": "v", "k2": "v"]) == "alpha-context")
        #expect(Self.selected(policies, host: "x.example", context: ["k2": "v"]) == "beta-context")
    }

    @Test("A more specific policy whose context extensions do not match gives way to the next one")
    func fallsThroughOnContext() throws {
        let policies = try [
            Self.policy("exact-with-context", hosts: ["a.example"], context: [("zone", ["internal"])]),
            Self.policy("suffix", hosts: ["*.example"]),
        ]
        #expect(Self.selected(policies, host: "a.example", context: ["zone": "internal"]) == "exact-with-context")
        #expect(Self.selected(policies, host: "a.example", context: ["zone": "public"]) == "suffix")
        #expect(Self.selected(policies, host: "a.example") == "suffix")
    }

    @Test("Context extension values compare byte for byte")
    func contextBytes() throws {
        let policies = try [Self.policy("cafe", context: [("name", ["café"])])]
        #expect(Self.selected(policies, context: ["name": "café"]) == "cafe")
        #expect(Self.selected(policies, context: ["name": "cafe\u{301}"]) == nil)
        #expect(Self.selected(policies, context: ["name": "CAFÉ"]) == nil)
    }
}
