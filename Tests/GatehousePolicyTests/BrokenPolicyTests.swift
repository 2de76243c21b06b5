import Foundation
import GatehouseCore
import GatehousePolicy
import GatehouseTestSupport
import Testing

/// One policy set that must not compile, and the first error it must produce.
struct BrokenPolicy: Sendable, CustomTestStringConvertible {
    let name: String
    let sources: [PolicySource]
    let code: String
    let file: String
    let line: Int
    let column: Int
    /// Text the first error's message must contain, when given.
    let message: String?

    init(
        _ name: String, _ text: String, _ code: String, _ line: Int, _ column: Int,
        path: String = "broken.yaml", message: String? = nil
    ) {
        self.init(name, [PolicySource(path: path, text: text)], code, path, line, column, message: message)
    }

    init(
        _ name: String, _ sources: [PolicySource], _ code: String, _ file: String, _ line: Int, _ column: Int,
        message: String? = nil
    ) {
        self.name = name
        self.sources = sources
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    var testDescription: String { self.name }
}

/// Lines 1–5 of most cases: a policy whose only rule is still open for more keys at line 6.
///
///     1 kind: Policy
///     2 name: p
///     3 rules:
///     4   - name: r
///     5     action: allow
private func ruleWith(_ lines: String) -> String {
    """
    kind: Policy
    name: p
    rules:
      - name: r
        action: allow
    \(lines)
    """
}

/// A valid one-rule policy (lines 1–6), followed by `lines` from line 7 on.
private func policyWith(_ lines: String) -> String {
    ruleWith("    paths: [/a]\n" + lines)
}

/// A valid JWT issuer at lines 7–10; its next key goes on line 11.
private func issuerWith(_ lines: String) -> String {
    policyWith(
        """
        authentication:
          jwt:
            - issuer: https://idp.example
              jwks: { discovery: true }
        \(lines)
        """)
}

private enum Generated {
    /// `rules: [[[[…]]]]`, 200 deep on line 3; the 33rd bracket (column 40) is one level too many.
    static let flowBrackets =
        "kind: Policy\nname: p\nrules: " + String(repeating: "[", count: 200)
        + String(repeating: "]", count: 200) + "\n"

    /// `- - - - …`, 200 compact sequence entries on line 4.
    static let compactDashes = "kind: Policy\nname: p\nrules:\n  " + String(repeating: "- ", count: 200) + "x\n"

    /// A mapping indented one level deeper on each of 40 lines below `description:`.
    static let indentation =
        "kind: Policy\nname: p\ndescription:\n"
        + (0..<40).map { String(repeating: "  ", count: $0 + 1) + "k\($0):\n" }.joined()
}

@Suite("Broken policies")
struct BrokenPolicyTests {
    static let cases: [BrokenPolicy] = [
        // MARK: YAML
        BrokenPolicy(
            "an unclosed flow sequence is a YAML syntax error",
            "kind: Policy\nname: [unclosed\nrules: []\n", "policy_parse_error", 3, 6),
        BrokenPolicy(
            "a tab indenting a block sequence is a YAML syntax error",
            "kind: Policy\nname: p\nrules:\n\t- name: r\n", "policy_parse_error", 4, 1),
        BrokenPolicy(
            "a tab inside a rule's indentation is a YAML syntax error",
            ruleWith("\t  paths: [/a]"), "policy_parse_error", 6, 1),
        BrokenPolicy(
            "a key repeated in one mapping is reported by the YAML parser as a duplicate key",
            ruleWith("    paths: [/a]\n    paths: [/b]"), "policy_duplicate_key", 6, 5, message: "'paths'"),

        // MARK: Types
        BrokenPolicy(
            "rules written as a mapping instead of a list",
            "kind: Policy\nname: p\nrules:\n  name: r\n  action: allow\n", "policy_type_error", 4, 3),
        BrokenPolicy(
            "a rule's methods written as a mapping",
            ruleWith("    methods: { GET: true }"), "policy_type_error", 6, 14),

        // MARK: Unknown and missing keys
        BrokenPolicy(
            "an unknown top-level key, with a suggestion",
            "kind: Policy\nname: p\nrulez: []\n", "policy_unknown_key", 3, 1,
            message: "Did you mean 'rules'?"),
        BrokenPolicy(
            "an unknown key in a rule",
            ruleWith("    pathz: [/a]"), "policy_unknown_key", 6, 5, message: "Did you mean 'paths'?"),
        BrokenPolicy(
            "an unknown key in the response section",
            policyWith("response:\n  allowed: {}"), "policy_unknown_key", 8, 3, message: "'allowed'"),
        BrokenPolicy(
            "an unknown key in the authentication section",
            issuerWith("  mtlz: {}"), "policy_unknown_key", 11, 3, message: "Did you mean 'mtls'?"),
        BrokenPolicy(
            "an unknown key in a JWT issuer",
            issuerWith("      audience: [api]"), "policy_unknown_key", 11, 7, message: "Did you mean 'audiences'?"),
        BrokenPolicy(
            "a policy without a name",
            "kind: Policy\nrules:\n  - name: r\n    action: allow\n", "policy_missing_key", 1, 1),
        BrokenPolicy(
            "a rule without an action",
            "kind: Policy\nname: p\nrules:\n  - name: r\n    paths: [/a]\n", "policy_missing_key", 4, 5),
        BrokenPolicy(
            "a group without members",
            policyWith("---\nkind: Group\nname: g\n"), "policy_missing_key", 8, 1),

        // MARK: Kinds
        BrokenPolicy(
            "a misspelled kind",
            "kind: Polcy\nname: p\n", "policy_unknown_kind", 1, 7, message: "'Polcy'"),
        BrokenPolicy(
            "a document without a kind",
            "name: p\nrules: []\n", "policy_unknown_kind", 1, 1, message: "no kind"),
        BrokenPolicy(
            "a test file holding a Policy document",
            policyWith(""), "policy_unknown_kind", 1, 7, path: "broken_test.yaml", message: "PolicyTests"),

        // MARK: Values
        BrokenPolicy(
            "an action that is neither allow nor deny",
            "kind: Policy\nname: p\nrules:\n  - name: r\n    action: permit\n", "policy_invalid_value", 5, 13),
        BrokenPolicy(
            "a lower-case standard method",
            ruleWith("    methods: [GET, get]"), "policy_invalid_value", 6, 20, message: "write 'GET'"),
        BrokenPolicy(
            "both methods and notMethods in one rule",
            ruleWith("    methods: [GET]\n    notMethods: [POST]"), "policy_invalid_value", 7, 17),
        BrokenPolicy(
            "a response on an allow rule",
            policyWith("    response: { status: 403 }"), "policy_invalid_value", 7, 15),
        BrokenPolicy(
            "a deny rule's response status outside 300–599",
            "kind: Policy\nname: p\nrules:\n  - name: r\n    action: deny\n    paths: [/a]\n"
                + "    response:\n      status: 200\n",
            "policy_invalid_value", 8, 15, message: "not 200"),
        BrokenPolicy(
            "a forbidden response status above 599",
            policyWith("response:\n  forbidden:\n    status: 700"), "policy_invalid_value", 9, 13),
        BrokenPolicy(
            "a response header name with a ':'",
            policyWith("response:\n  allow:\n    headers:\n      - { name: \":authority\", value: x }"),
            "policy_invalid_value", 10, 17, message: "pseudo-headers"),
        BrokenPolicy(
            "an unclosed template placeholder",
            policyWith("response:\n  allow:\n    headers:\n      - name: x-a\n        value: \"pre-${jwt.sub\""),
            "policy_invalid_value", 11, 16, message: "unclosed '${'"),
        BrokenPolicy(
            "the algorithm none",
            issuerWith("      algorithms: [none]"), "policy_invalid_value", 11, 20, message: "never accepted"),
        BrokenPolicy(
            "HS256 with a public key set",
            issuerWith("      algorithms: [RS256, HS256]"), "policy_invalid_value", 11, 27, message: "secretFile"),
        BrokenPolicy(
            "an unknown algorithm",
            issuerWith("      algorithms: [RS257]"), "policy_invalid_value", 11, 20, message: "unknown algorithm"),
        BrokenPolicy(
            "a plain-http JWKS URL on a non-loopback host",
            policyWith(
                "authentication:\n  jwt:\n    - issuer: https://idp.example\n"
                    + "      jwks: { url: \"http://idp.example/keys\" }"),
            "policy_invalid_value", 10, 20, message: "https://"),
        BrokenPolicy(
            "a leeway in days",
            issuerWith("      leeway: 5d"), "policy_invalid_value", 11, 15, message: "'5d'"),

        // MARK: Patterns
        BrokenPolicy(
            "a path pattern with a partial wildcard",
            ruleWith("    paths: [/a*b]"), "policy_bad_pattern", 6, 13, message: "'a*b'"),
        BrokenPolicy(
            "a relative path pattern",
            ruleWith("    paths: [a/b]"), "policy_bad_pattern", 6, 13, message: "start with '/'"),
        BrokenPolicy(
            "a path pattern with three '**'",
            ruleWith("    paths: [/**/a/**/b/**]"), "policy_bad_pattern", 6, 13, message: "more than 2"),
        BrokenPolicy(
            "a path pattern with an encoded slash",
            ruleWith("    paths: [/a%2Fb]"), "policy_bad_pattern", 6, 13, message: "encoded '/'"),
        BrokenPolicy(
            "a host pattern with a '*' inside a label",
            "kind: Policy\nname: p\nselect:\n  hosts: [\"foo*.example\"]\n", "policy_bad_pattern", 4, 11),

        // MARK: CIDRs
        BrokenPolicy(
            "a CIDR that is not an address",
            ruleWith("    sourceCidrs: [not-an-ip]"), "policy_invalid_cidr", 6, 19),
        BrokenPolicy(
            "an IPv4 CIDR with prefix 33",
            ruleWith("    sourceCidrs: [10.0.0.0/33]"), "policy_invalid_cidr", 6, 19),
        BrokenPolicy(
            "a CIDR with host bits set suggests the network",
            ruleWith("    sourceCidrs: [10.1.2.3/8]"), "policy_invalid_cidr", 6, 19,
            message: "did you mean '10.0.0.0/8'?"),

        // MARK: Names and selectors
        BrokenPolicy(
            "two files declaring the same policy name",
            [
                PolicySource(path: "a.yaml", text: "kind: Policy\nname: p\nselect: { hosts: [a.example] }\n"),
                PolicySource(path: "b.yaml", text: "kind: Policy\nname: p\nselect: { hosts: [b.example] }\n"),
            ],
            "policy_duplicate_name", "b.yaml", 2, 7, message: "already used at a.yaml:2:7"),
        BrokenPolicy(
            "two rules with one name",
            policyWith("  - name: r\n    action: deny\n    paths: [/b]"), "policy_duplicate_name", 7, 11),
        BrokenPolicy(
            "two policies with identical selectors",
            "kind: Policy\nname: p\nselect:\n  hosts: [a.example]\n---\n"
                + "kind: Policy\nname: q\nselect:\n  hosts: [A.example]\n",
            "policy_duplicate_selector", 9, 3, message: "exactly like policy 'p'"),

        // MARK: Templates
        BrokenPolicy(
            "a template naming an unknown attribute",
            policyWith("response:\n  allow:\n    headers:\n      - name: x-a\n        value: ${jwt.foo}"),
            "policy_unknown_attribute", 11, 16, message: "'jwt.foo'"),

        // MARK: Empty conditions
        BrokenPolicy(
            "an empty methods list",
            ruleWith("    methods: []"), "policy_empty_rule", 6, 14),
        BrokenPolicy(
            "an empty paths list",
            ruleWith("    paths: []"), "policy_empty_rule", 6, 12),
        BrokenPolicy(
            "a group whose members mapping is empty",
            policyWith("---\nkind: Group\nname: g\nmembers: {}"), "policy_empty_rule", 10, 10),

        // MARK: Groups
        BrokenPolicy(
            "a rule naming a group that does not exist",
            ruleWith("    groups: [nurses]"), "policy_unknown_group", 6, 14, message: "'nurses'"),
        BrokenPolicy(
            "two groups containing each other",
            ruleWith(
                "    groups: [a]\n---\nkind: Group\nname: a\nmembers:\n  groups: [b]\n"
                    + "---\nkind: Group\nname: b\nmembers:\n  groups: [a]"),
            "policy_circular_group", 16, 12, message: "a → b → a"),
        BrokenPolicy(
            "a group containing itself",
            ruleWith("    groups: [a]\n---\nkind: Group\nname: a\nmembers:\n  groups: [a]"),
            "policy_circular_group", 11, 12, message: "a → a"),

        // MARK: Cache
        BrokenPolicy(
            "a cache TTL that is not a duration", "kind: Policy\nname: p\ncache: { ttl: soon }\nrules: []\n",
            "policy_invalid_value", 3, 15, message: "cache.ttl 'soon'"),
        BrokenPolicy(
            "a cache TTL of zero", "kind: Policy\nname: p\ncache: { ttl: 0s }\nrules: []\n",
            "policy_invalid_value", 3, 15, message: "enabled: false"),
        BrokenPolicy(
            "an unknown cache key", "kind: Policy\nname: p\ncache: { size: 10 }\nrules: []\n",
            "policy_unknown_key", 3, 10),

        // MARK: Log
        BrokenPolicy(
            "a log claim path with an empty part", "kind: Policy\nname: p\nlog: { claims: [dept, a..b] }\nrules: []\n",
            "policy_invalid_value", 3, 23, message: "'a..b' in log.claims"),
        BrokenPolicy(
            "a log claim listed twice", "kind: Policy\nname: p\nlog:\n  claims: [dept, dept]\nrules: []\n",
            "policy_duplicate_key", 4, 18, message: "twice"),
        BrokenPolicy(
            "an unknown log key", "kind: Policy\nname: p\nlog: { headers: [x] }\nrules: []\n", "policy_unknown_key", 3,
            8),
        BrokenPolicy(
            "log claims that are not strings", "kind: Policy\nname: p\nlog: { claims: [{ a: b }] }\nrules: []\n",
            "policy_type_error", 3, 17),

        // MARK: Limits
        BrokenPolicy(
            "a YAML alias",
            "kind: Policy\nname: &n p\nrules:\n  - name: *n\n    action: allow\n", "policy_limit_exceeded", 4, 11,
            message: "aliases"),
        BrokenPolicy(
            "flow sequences nested 200 deep",
            Generated.flowBrackets, "policy_limit_exceeded", 3, 40, message: "32 levels"),
        BrokenPolicy(
            "compact block sequences nested 200 deep",
            Generated.compactDashes, "policy_limit_exceeded", 4, 64, message: "32 levels"),
        BrokenPolicy(
            "block mappings indented 40 levels deep",
            Generated.indentation, "policy_limit_exceeded", 35, 65, message: "32 levels"),
    ]

    @Test("A broken policy is reported with the exact code and position of its first error", arguments: cases)
    func firstError(_ broken: BrokenPolicy) throws {
        let result = PolicyCompiler.compile(sources: broken.sources, checksFiles: false)
        #expect(result.compiled == nil)
        #expect(result.diagnostics == result.diagnostics.sorted(), "diagnostics are sorted by location")
        let first = try #require(result.errors.first, "no error for \(broken.name); got \(result.summary)")
        #expect(first.code.rawValue == broken.code, "\(result.summary)")
        #expect(first.location.file == broken.file)
        #expect(first.location.line == broken.line, "\(first)")
        #expect(first.location.column == broken.column, "\(first)")
        if let message = broken.message {
            #expect(first.message.contains(message), "\(first.message)")
        }
    }

    @Test("The table covers every error code that a policy text alone can produce")
    func tableCoversEveryErrorCode() {
        let covered = Set(Self.cases.map(\.code))
        let errorCodes: Set<String> = [
            "policy_parse_error", "policy_limit_exceeded", "policy_unknown_kind", "policy_unknown_key",
            "policy_missing_key", "policy_type_error", "policy_invalid_value", "policy_bad_pattern",
            "policy_invalid_cidr", "policy_duplicate_name", "policy_duplicate_key", "policy_duplicate_selector",
            "policy_unknown_attribute", "policy_empty_rule", "policy_unknown_group", "policy_circular_group",
        ]
        #expect(errorCodes.subtracting(covered).isEmpty)
        #expect(Self.cases.count >= 35)
    }

    @Test("Every error in one file is reported, not just the first")
    func everyErrorIsReported() throws {
        let text = """
            kind: Policy
            name: p
            rules:
              - name: r
                action: permit
                paths: [/a*b]
                sourceCidrs: [10.0.0.1/8]
                pathz: [/c]
            response:
              allow:
                headers:
                  - { name: x-a, value: "${nope}" }
            """
        let result = PolicyCompiler.compile(sources: [PolicySource(path: "many.yaml", text: text)])
        #expect(result.compiled == nil)
        let errors = result.errors.map { "\($0.location.line):\($0.location.column) \($0.code.rawValue)" }
        #expect(
            errors == [
                "5:13 policy_invalid_value",
                "6:13 policy_bad_pattern",
                "7:19 policy_invalid_cidr",
                "8:5 policy_unknown_key",
                "12:29 policy_unknown_attribute",
            ])
        #expect(result.diagnostics == result.diagnostics.sorted())
    }

    @Test("Diagnostics from several files are sorted by file, line and column")
    func diagnosticsAreSortedAcrossFiles() {
        let sources = [
            PolicySource(path: "z.yaml", text: "kind: Policy\nname: z\nselect: { hosts: [z.example] }\nbogus: 1\n"),
            PolicySource(path: "a.yaml", text: "kind: Nope\n---\nkind: Policy\nname: a\nrulez: []\n"),
        ]
        let result = PolicyCompiler.compile(sources: sources)
        #expect(result.diagnostics == result.diagnostics.sorted())
        #expect(
            result.errors.map(\.location.description) == ["a.yaml:1:7", "a.yaml:5:1", "z.yaml:4:1"],
            "\(result.summary)")
    }

    @Test("A file that is not valid UTF-8 is a parse error at 1:1 when a directory is loaded")
    func invalidUTF8() throws {
        try withTemporaryDirectory("policy-tests") { directory in
            let good = "kind: Policy\nname: good\nrules:\n  - { name: r, action: allow, paths: [/a] }\n"
            try Data(good.utf8).write(to: directory.appendingPathComponent("good.yaml"))
            let latin1 = Data("kind: Policy\nname: ".utf8) + Data([0xFF, 0xFE, 0x0A])
            try latin1.write(to: directory.appendingPathComponent("latin1.yaml"))

            let result = try PolicyCompiler.diagnose(directory: directory.path)
            #expect(result.compiled == nil)
            let error = try #require(result.errors.first)
            #expect(result.errors.count == 1)
            #expect(error.code.rawValue == "policy_parse_error")
            #expect(error.location.file.hasSuffix("/latin1.yaml"))
            #expect(error.location.line == 1)
            #expect(error.location.column == 1)
            #expect(error.message.contains("UTF-8"))
        }
    }
}
