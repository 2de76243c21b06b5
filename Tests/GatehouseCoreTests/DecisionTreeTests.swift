import GatehouseCore
import GatehouseTestSupport
import Testing

@Suite("Decision tree: rules, methods and paths")
struct DecisionTreeTests {
    @Test("A matching deny rule overrides a matching allow rule, whichever is written first", arguments: [true, false])
    func denyOverridesAllow(denyFirst: Bool) throws {
        let allow = try Fixture.rule("read-all", .allow, line: 10, paths: ["/a/**"])
        let deny = try Fixture.rule("no-secrets", .deny, line: 20, paths: ["/a/secret/**"])
        let tree = try Fixture.tree(denyFirst ? [deny, allow] : [allow, deny])

        let denied = tree.evaluate(AuthzRequest(path: "/a/secret/x"), identity: .anonymous)
        #expect(denied.outcome == .deny)
        #expect(denied.status == 403)
        #expect(denied.reason == .deniedByRule)
        #expect(denied.rule == "no-secrets")
        #expect(denied.policy == "p")

        let allowed = tree.evaluate(AuthzRequest(path: "/a/open"), identity: .anonymous)
        #expect(allowed.isAllowed)
        #expect(allowed.status == 200)
        #expect(allowed.reason == .allowed)
        #expect(allowed.rule == "read-all")
    }

    @Test("Of several matching rules the first in the policy is reported, however the tree reaches them")
    func firstMatchingRuleReported() throws {
        // `wide` has no path condition, so the tree reaches it before the trie's `narrow`.
        let narrowFirst = try Fixture.tree([
            Fixture.rule("narrow", .allow, paths: ["/a/b"]),
            Fixture.rule("wide", .allow),
        ])
        #expect(narrowFirst.evaluate(AuthzRequest(path: "/a/b"), identity: .anonymous).rule == "narrow")
        #expect(narrowFirst.evaluate(AuthzRequest(path: "/a/c"), identity: .anonymous).rule == "wide")

        let wideFirst = try Fixture.tree([
            Fixture.rule("wide", .allow, paths: ["/**"]),
            Fixture.rule("narrow", .allow, paths: ["/a/b"]),
            Fixture.rule("deny-star", .deny, paths: ["/a/*"]),
            Fixture.rule("deny-exact", .deny, paths: ["/a/b"]),
            Fixture.rule("deny-any", .deny, methods: ["DELETE"]),
        ])
        #expect(wideFirst.evaluate(AuthzRequest(path: "/x"), identity: .anonymous).rule == "wide")
        #expect(wideFirst.evaluate(AuthzRequest(path: "/a/b"), identity: .anonymous).rule == "deny-star")
        #expect(
            wideFirst.evaluate(AuthzRequest(method: "DELETE", path: "/a/b"), identity: .anonymous).rule == "deny-star")
        #expect(wideFirst.evaluate(AuthzRequest(method: "DELETE", path: "/z"), identity: .anonymous).rule == "deny-any")
    }

    @Test("A request that no allow rule matches is denied 403 no_matching_rule")
    func noMatchingRule() throws {
        let tree = try Fixture.tree([Fixture.rule("read", .allow, methods: ["GET"], paths: ["/a"])], revision: "r7")
        let decision = tree.evaluate(AuthzRequest(method: "POST", path: "/a"), identity: .anonymous)
        #expect(decision.outcome == .deny)
        #expect(decision.status == 403)
        #expect(decision.reason == .noMatchingRule)
        #expect(decision.policy == "p")
        #expect(decision.rule == nil)
        #expect(decision.policyRevision == "r7")

        let empty = try Fixture.tree([])
        #expect(empty.evaluate(AuthzRequest(), identity: .anonymous).reason == .noMatchingRule)
    }

    @Test("A request that no policy selects is denied 403 no_policy")
    func noPolicy() throws {
        let policy = try Fixture.policy("registry", hosts: ["registry.example"], rules: [Fixture.rule("all", .allow)])
        let tree = DecisionTree(revision: "r1", policies: [policy])
        let decision = tree.evaluate(AuthzRequest(host: "other.example"), identity: .anonymous)
        #expect(decision.outcome == .deny)
        #expect(decision.status == 403)
        #expect(decision.reason == .noPolicy)
        #expect(decision.policy == nil)
        #expect(decision.policyRevision == "r1")

        let none = DecisionTree(revision: "r0", policies: [])
        #expect(none.evaluate(AuthzRequest(), identity: .anonymous).reason == .noPolicy)
    }

    @Test(
        "A refused path is denied before any policy is selected, even by an allow-all policy",
        arguments: [
            ("/a%2Fb", UInt16(400), "ambiguous_path"),
            ("/a%5c", 400, "ambiguous_path"),
            ("/a\\b", 400, "ambiguous_path"),
            ("/%00", 400, "ambiguous_path"),
            ("/a%G1", 400, "ambiguous_path"),
            ("relative", 400, "ambiguous_path"),
            (String(repeating: "/a", count: 300), 414, "path_too_long"),
        ]
    )
    func refusedPath(path: String, status: UInt16, reason: String) throws {
        let tree = try Fixture.tree([Fixture.rule("everything", .allow)])
        let identity = Fixture.token()
        let decision = tree.evaluate(AuthzRequest(path: path), identity: identity)
        #expect(decision.outcome == .deny)
        #expect(decision.status == status)
        #expect(decision.reason.code == reason)
        #expect(decision.policy == nil)
        #expect(decision.rule == nil)
        #expect(decision.subject == "alice")

        let noPolicies = DecisionTree(revision: "r", policies: [])
        #expect(noPolicies.evaluate(AuthzRequest(path: path), identity: .anonymous).status == status)
    }

    @Test(
        "Rules apply only to their methods, compared case-sensitively, non-standard methods included",
        arguments: [
            ("GET", true), ("PROPFIND", true), ("POST", false), ("get", false), ("propfind", false),
            ("MKCOL", false), ("HEAD", false),
        ]
    )
    func methodBuckets(method: String, allowed: Bool) throws {
        let tree = try Fixture.tree([
            Fixture.rule("dav-read", .allow, methods: ["GET", "PROPFIND"], paths: ["/dav/**"])
        ])
        let decision = tree.evaluate(AuthzRequest(method: method, path: "/dav/x"), identity: .anonymous)
        #expect(decision.isAllowed == allowed)
    }

    @Test(
        "A rule with excludesMethods applies to every method except those listed",
        arguments: [
            ("GET", true), ("HEAD", true), ("POST", false), ("DELETE", false), ("PROPFIND", false),
            ("get", false), ("LOCK", false),
        ]
    )
    func excludedMethods(method: String, allowed: Bool) throws {
        let tree = try Fixture.tree([
            Fixture.rule("read-only", .deny, methods: ["GET", "HEAD"], excludesMethods: true),
            Fixture.rule("all", .allow),
        ])
        let decision = tree.evaluate(AuthzRequest(method: method, path: "/x"), identity: .anonymous)
        #expect(decision.isAllowed == allowed)
        if !allowed { #expect(decision.rule == "read-only") }
    }

    @Test("A non-standard method a rule does not list never matches it, in any bucket")
    func otherBucketResidualMethodCheck() throws {
        let tree = try Fixture.tree([
            Fixture.rule("lock", .allow, methods: ["LOCK"]),
            Fixture.rule("unlock-path", .allow, methods: ["UNLOCK", "GET"], paths: ["/u"]),
        ])
        #expect(tree.evaluate(AuthzRequest(method: "LOCK", path: "/any"), identity: .anonymous).rule == "lock")
        #expect(!tree.evaluate(AuthzRequest(method: "MKCOL", path: "/any"), identity: .anonymous).isAllowed)
        #expect(tree.evaluate(AuthzRequest(method: "UNLOCK", path: "/u"), identity: .anonymous).rule == "unlock-path")
        #expect(!tree.evaluate(AuthzRequest(method: "MKCOL", path: "/u"), identity: .anonymous).isAllowed)
        #expect(tree.evaluate(AuthzRequest(method: "GET", path: "/u"), identity: .anonymous).rule == "unlock-path")
    }

    static let trieRules: [(name: String, pattern: String)] = [
        ("root", "/"),
        ("item", "/items/*"),
        ("item-history", "/items/*/history"),
        ("deep", "/a/**/b"),
        ("records", "/records/**"),
        ("dir-slash", "/dir/"),
        ("dir", "/dir"),
        ("cafe", "/café"),
    ]

    @Test(
        "The path trie reaches rules by literal, '*', '**' in the middle or at the end, and trailing slash",
        arguments: [
            ("/", "root"),
            ("/items/1", "item"),
            ("/items/%31", "item"),
            ("//items//1", "item"),
            ("/items/1/history", "item-history"),
            ("/items/", nil),
            ("/items", nil),
            ("/items/1/2", nil),
            ("/a/b", "deep"),
            ("/a/x/y/b", "deep"),
            ("/a/x/b/c", nil),
            ("/a/b/", nil),
            ("/records", "records"),
            ("/records/", "records"),
            ("/records/a/b/c", "records"),
            ("/recordsx", nil),
            ("/dir/", "dir-slash"),
            ("/dir", "dir"),
            ("/dir/x", nil),
            ("/dir/x/..", "dir-slash"),
            ("/caf%c3%a9", "cafe"),
            ("/café", "cafe"),
            ("*", nil),
            ("", nil),
        ] as [(String, String?)]
    )
    func pathTrie(path: String, rule: String?) throws {
        let tree = try Fixture.tree(
            Self.trieRules.enumerated().map { index, entry in
                try Fixture.rule(entry.name, .allow, line: index + 1, paths: [entry.pattern])
            })
        // Dot segments resolved (`paths.dotSegments: normalize`), so `/dir/x/..` reaches the trailing-slash rule.
        let request = AuthzRequest(method: "OPTIONS", path: path, paths: .init(dotSegments: .normalize))
        let decision = tree.evaluate(request, identity: .anonymous)
        #expect(decision.rule == rule)
        #expect(decision.isAllowed == (rule != nil))
    }

    @Test("A rule with several path patterns matches when any of them does")
    func severalPatterns() throws {
        let tree = try Fixture.tree([Fixture.rule("two", .allow, paths: ["/a/*", "/b/**", "/a/x"])])
        #expect(tree.evaluate(AuthzRequest(path: "/a/x"), identity: .anonymous).rule == "two")
        #expect(tree.evaluate(AuthzRequest(path: "/b"), identity: .anonymous).rule == "two")
        #expect(!tree.evaluate(AuthzRequest(path: "/c"), identity: .anonymous).isAllowed)
    }

    @Test("Shadow rules are reported in shadowMatches but never change the outcome")
    func shadowRules() throws {
        let tree = try Fixture.tree([
            Fixture.rule("shadow-deny-reports", .deny, shadow: true, paths: ["/reports/**"]),
            Fixture.rule("shadow-allow-admin", .allow, shadow: true, paths: ["/admin/**"]),
            Fixture.rule("shadow-deny-everything", .deny, shadow: true),
            Fixture.rule("no-export", .deny, paths: ["/reports/export"]),
            Fixture.rule("read-reports", .allow, paths: ["/reports/**"]),
        ])

        let allowed = tree.evaluate(AuthzRequest(path: "/reports/1"), identity: .anonymous)
        #expect(allowed.isAllowed)
        #expect(allowed.rule == "read-reports")
        #expect(
            Set(allowed.shadowMatches) == [
                ShadowMatch(rule: "shadow-deny-reports", action: .deny),
                ShadowMatch(rule: "shadow-deny-everything", action: .deny),
            ])

        let notAllowed = tree.evaluate(AuthzRequest(path: "/admin/x"), identity: .anonymous)
        #expect(notAllowed.reason == .noMatchingRule)
        #expect(notAllowed.rule == nil)
        #expect(notAllowed.shadowMatches.contains(ShadowMatch(rule: "shadow-allow-admin", action: .allow)))

        let denied = tree.evaluate(AuthzRequest(path: "/reports/export"), identity: .anonymous)
        #expect(denied.reason == .deniedByRule)
        #expect(denied.rule == "no-export")
        #expect(denied.shadowMatches.count == 2)
        #expect(denied.shadowMatches.allSatisfy { $0.action == .deny })
    }

    @Test("A tree reports its rule and node counts and every attribute its policies read")
    func summary() throws {
        let tree = try Fixture.tree([
            Fixture.rule("a", .allow, paths: ["/a/*"], conditions: [.header(name: "x-tenant", .present)]),
            Fixture.rule("b", .deny, conditions: [.claim(path: ["realm", "roles"], .contains(.string("x")))]),
        ])
        #expect(tree.ruleCount == 2)
        // One root per method bucket plus the any-method trie; rule a (no method) adds '/a' and '/a/*' once.
        #expect(tree.nodeCount == HTTPMethod.bucketCount + 1 + 2)
        #expect(tree.attributesRead.contains(.header("x-tenant")))
        #expect(tree.attributesRead.contains(.tokenClaim("realm.roles")))
        #expect(tree.attributesRead.contains(.path))
        #expect(tree.attributesRead == tree.attributesRead.sorted())
    }
}
