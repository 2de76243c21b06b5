import GatehouseCore
import GatehousePolicy
import Testing

/// One policy's rules read and linted in chunks on several cores give exactly what one core gives.
@Suite("Chunked compilation of one large policy")
struct ChunkedCompileTests {
    /// Rules per chunk in the chunked runs: small, so that a 60-rule policy spans nine chunks.
    static let smallChunk = 7

    /// A policy of `count` rules; `special` replaces the rule at an index with other YAML lines.
    static func policy(rules count: Int, special: [Int: [String]], after: [String] = []) -> PolicySource {
        var lines = ["kind: Policy", "name: big", "rules:"]
        for index in 0..<count {
            lines +=
                special[index] ?? [
                    "  - name: r\(index)", "    action: allow", "    methods: [GET]", "    paths: [/r\(index)/*]",
                    "    claims: { realm_access.roles: { contains: reader-\(index) } }",
                ]
        }
        return PolicySource(path: "policies/big.yaml", text: (lines + after).joined(separator: "\n") + "\n")
    }

    @Test("Schema errors in several chunks come out as a serial read reports them")
    func errorsInSeveralChunks() throws {
        let source = Self.policy(
            rules: 60,
            special: [
                2: ["  - name: r2", "    action: allow", "    method: [GET]"],
                15: ["  - name: r15", "    action: allow", "    paths: [r15/no-slash]"],
                16: ["  - name: r16", "    action: permit"],
                33: ["  - name: r33", "    action: allow", "    methods: [get]", "    sourceCidrs: [10.0.0.1/8]"],
                58: ["  - action: allow", "    paths: [/x/a*b]"],
            ])
        let serial = PolicyCompiler.compile(sources: [source], rulesPerChunk: .max)
        let chunked = PolicyCompiler.compile(sources: [source], rulesPerChunk: Self.smallChunk)
        #expect(serial.compiled == nil)
        #expect(chunked.compiled == nil)
        #expect(chunked.diagnostics == serial.diagnostics)
        let codes = serial.errors.map { "\($0.location.line): \($0.code.rawValue)" }
        #expect(
            codes == [
                "16: policy_unknown_key", "79: policy_bad_pattern", "81: policy_invalid_value",
                "164: policy_invalid_value", "165: policy_invalid_cidr", "286: policy_missing_key",
            ])
    }

    @Test("Linter warnings across chunks come out as a serial lint gives them, and the rules are the same")
    func warningsAcrossChunks() throws {
        let source = Self.policy(
            rules: 60,
            special: [
                // r59 allows everything; r11 repeats r3 eight rules later (another chunk);
                // r40 lies inside r20's /r20/** (shadowed); deny r5 makes allow r50 unreachable.
                3: ["  - name: r3", "    action: allow", "    methods: [GET]", "    paths: [/same]"],
                59: ["  - name: r59", "    action: allow"],
                5: ["  - name: r5", "    action: deny", "    paths: [/r50/**]"],
                11: ["  - name: r11", "    action: allow", "    methods: [GET]", "    paths: [/same]"],
                20: ["  - name: r20", "    action: allow", "    methods: [GET]", "    paths: [/r20/**]"],
                40: ["  - name: r40", "    action: allow", "    methods: [GET]", "    paths: [/r20/deep/x]"],
                // Group conditions, resolved in rule order before the rules are built in chunks.
                45: [
                    "  - name: r45", "    action: allow", "    methods: [GET]", "    paths: [/r45/*]",
                    "    groups: [readers]",
                ],
                46: [
                    "  - name: r46", "    action: allow", "    methods: [GET]", "    paths: [/r46/*]",
                    "    notGroups: [readers]",
                ],
            ],
            after: [
                "---", "kind: Group", "name: readers",
                "members: { spiffeIds: [\"spiffe://gov.example/ns/records/sa/reader\"] }",
            ])
        let serial = PolicyCompiler.compile(sources: [source], rulesPerChunk: .max)
        let chunked = PolicyCompiler.compile(sources: [source], rulesPerChunk: Self.smallChunk)
        let serialSet = try #require(serial.compiled)
        let chunkedSet = try #require(chunked.compiled)
        #expect(chunked.diagnostics == serial.diagnostics)
        #expect(chunkedSet.tree.policies.map(\.rules) == serialSet.tree.policies.map(\.rules))
        let withGroups = try #require(chunkedSet.tree.policies.first?.rules[45...46])
        #expect(
            withGroups.map { $0.conditions.contains { if case .principals = $0 { true } else { false } } } == [
                true, true,
            ])
        let warnings = serial.warnings.map { "\($0.location.line): \($0.code.rawValue)" }
        #expect(
            warnings == [
                "56: policy_duplicate_rule", "199: policy_shadowed_rule", "248: policy_unreachable_rule",
                "293: policy_allow_all",
            ])
    }
}
