import Foundation
import GatehouseCore
import GatehousePolicy
import GatehouseTestSupport
import Testing

/// Applies one random edit to a policy file's bytes.
struct PolicyMutator {
    var random: SplitMix64

    static let punctuation = Array("[]{}:-*&!|>'\"#%@".utf8)
    static let snippets: [String] = [
        "methods: []", "paths: [/a*b]", "${", "${jwt.", "&a ", "*a", "---\n", "kind: Group\n", "kind: Policy\n",
        "kind: PolicyTests\n", "\t", "\r", "\r\n", "\u{2028}", "\u{85}", "~", "null", "!!binary ", "!!map ", "? ",
        "%YAML 1.2\n", "...\n", "<<: *a\n", "99999999999999999999", "-1", "0x1F", "1e400", "é", "\u{FEFF}", "\0",
        "name: dup\nname: dup\n", "- name: r\n  action: allow\n", "action: deny\n", "shadow: maybe\n",
        "sourceCidrs: [10.0.0.1/8]\n", "hosts: [\"*.\"]\n", "groups: [a]\n", "claims: { a..b: 1 }\n",
        "status: 99999\n", "leeway: 61m\n", "jwks: { url: http://x }\n", "algorithms: [none]\n",
    ]

    /// The mutation kinds, for the tally.
    enum Kind: Int, CaseIterable {
        case flipBit, randomByte, deleteRange, duplicateLine, deleteLine, punctuation, truncate, indentation,
            swapLines, deepNesting, snippet
    }

    mutating func mutate(_ bytes: inout [UInt8]) -> Kind {
        let kind = Kind(rawValue: self.random.below(Kind.allCases.count))!
        switch kind {
        case .flipBit:
            guard !bytes.isEmpty else { break }
            bytes[self.random.below(bytes.count)] ^= UInt8(1) << UInt8(self.random.below(8))
        case .randomByte:
            guard !bytes.isEmpty else { break }
            bytes[self.random.below(bytes.count)] = UInt8(self.random.below(256))
        case .deleteRange:
            guard !bytes.isEmpty else { break }
            let start = self.random.below(bytes.count)
            bytes.removeSubrange(start..<min(bytes.count, start + self.random.within(1...16)))
        case .duplicateLine:
            var lines = Self.lines(bytes)
            let index = self.random.below(lines.count)
            lines.insert(lines[index], at: index)
            bytes = Self.join(lines)
        case .deleteLine:
            var lines = Self.lines(bytes)
            lines.remove(at: self.random.below(lines.count))
            bytes = Self.join(lines)
        case .punctuation:
            let inserted = (0..<self.random.within(1...6)).map { _ in self.random.pick(Self.punctuation) }
            bytes.insert(contentsOf: inserted, at: self.random.below(bytes.count + 1))
        case .truncate:
            bytes.removeSubrange(self.random.below(bytes.count + 1)...)
        case .indentation:
            var lines = Self.lines(bytes)
            let index = self.random.below(lines.count)
            switch self.random.below(3) {
            case 0: lines[index].insert(contentsOf: repeatElement(32, count: self.random.within(1...6)), at: 0)
            case 1: lines[index].removeFirst(min(lines[index].prefix { $0 == 32 }.count, self.random.within(1...6)))
            default: lines[index].insert(9, at: 0)
            }
            bytes = Self.join(lines)
        case .swapLines:
            var lines = Self.lines(bytes)
            lines.swapAt(self.random.below(lines.count), self.random.below(lines.count))
            bytes = Self.join(lines)
        case .deepNesting:
            let depth = self.random.within(1...80)
            let nesting: String
            switch self.random.below(4) {
            case 0: nesting = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            case 1: nesting = String(repeating: "{a: ", count: depth) + "x" + String(repeating: "}", count: depth)
            case 2: nesting = String(repeating: "- ", count: depth) + "x"
            default: nesting = (0..<depth).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n")
            }
            var lines = Self.lines(bytes)
            let index = self.random.below(lines.count)
            let prefix = lines[index].prefix { $0 == 32 || $0 == 45 } + Array("x: ".utf8)
            lines.insert(Array(prefix) + Array(nesting.utf8), at: index)
            bytes = Self.join(lines)
        case .snippet:
            let snippet = Array(self.random.pick(Self.snippets).utf8)
            bytes.insert(contentsOf: snippet, at: self.random.below(bytes.count + 1))
        }
        return kind
    }

    private static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
    }

    private static func join(_ lines: [[UInt8]]) -> [UInt8] {
        Array(lines.joined(separator: [10]))
    }
}

@Suite("Mutated policy inputs")
struct MutatedInputTests {
    /// Seeds besides the example policies: flow style, every section, several documents.
    static let inlineSeeds: [PolicySource] = [
        PolicySource(
            path: "inline/everything.yaml",
            text: """
                kind: Policy
                name: everything
                description: Every section once.
                select:
                  hosts: [a.example, "*.a.example"]
                  contextExtensions: { bb: [x, y] }
                authentication:
                  realm: r
                  jwt:
                    - issuer: https://idp.example
                      audiences: [a]
                      jwks: { url: "https://idp.example/jwks" }
                      algorithms: [RS256, ES256]
                      leeway: 2m
                      requiredClaims: [exp, sub]
                      maxTokenBytes: 4096
                      from: [{ header: authorization, scheme: Bearer }, { cookie: s }, { query: t }]
                      forward: false
                  mtls:
                    trustDomain: gov.example
                    invalidCertificateStatus: 403
                    xroad:
                      - subject: { instance: GOV, memberClass: "${O}", memberCode: "${serialNumber}" }
                      - uriSAN: "urn:xroad:{instance}:{memberClass}:{memberCode}:{subsystem}"
                rules:
                  - name: d
                    action: deny
                    paths: [/x/**]
                    response: { status: 451, headers: [{ name: a, value: "${request.path}" }], body: no }
                  - name: a
                    action: allow
                    methods: [GET, PROPFIND]
                    notPaths: [/x/*]
                    headers: { x-a: "1", x-b: { prefix: p }, x-c: { absent: true } }
                    claims: { r.s: { contains: c }, l: { in: [1, "2", true] }, e: { exists: false } }
                    sourceCidrs: [10.0.0.0/8, "fd00::/8"]
                    spiffeIds: ["spiffe://gov.example/ns/*"]
                    xroadClients: [GOV/COM/*/x]
                    groups: [g]
                    authenticated: true
                response:
                  allow:
                    headers: [{ name: x-s, value: "$$${subject}", action: append }]
                    removeHeaders: [x-debug]
                    setQueryParameters: [{ name: c, value: "${jwt.claims.r.s}" }]
                    removeQueryParameters: [t]
                  unauthenticated: { body: u }
                  forbidden: { status: 403, body: f }
                ---
                kind: Group
                name: g
                members: { spiffeIds: ["spiffe://gov.example/g/*"], groups: [h] }
                ---
                kind: Group
                name: h
                members:
                  xroadClients: [GOV/GOV/1]
                """),
        PolicySource(
            path: "inline/flow.yaml",
            text: """
                {kind: Policy, name: flow, select: {hosts: ['*']}, rules: [{name: r, action: allow, methods: [GET], \
                paths: ['/a/*/b', /c/**]}, {name: s, action: deny, shadow: true, notMethods: [GET]}]}
                """),
        PolicySource(
            path: "inline/cases_test.yaml",
            text: """
                kind: PolicyTests
                tests:
                  - name: one
                    request: { method: POST, path: /a?b=c, host: h, headers: { x: [1, 2] }, sourceAddress: "::1" }
                    identity: { jwt: { iss: i, sub: s, n: { m: [1, 2.5, null] } }, xroad: GOV/COM/1/x }
                    expect:
                      decision: deny
                      status: 403
                      headers: { a: b }
                      removedHeaders: authorization
                      shadowRules: [s]
                  - name: two
                    identity: { spiffe: "spiffe://x/y", invalidCertificate: bad }
                    expect: { decision: allow }
                """),
    ]

    /// Every example policy file, read from the checkout.
    static func exampleSeeds() throws -> [PolicySource] {
        let directory = TestPaths.examplePolicies
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".yaml") }
            .sorted()
        return try names.map { name in
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            return PolicySource(path: "policies/" + name, text: text)
        }
    }

    /// Total mutations = shards × mutationsPerShard; shards run in parallel. About 8 s in a debug build on two
    /// cores. For a longer local campaign set `GATEHOUSE_MUTATIONS_PER_SHARD`; with `GATEHOUSE_MUTATION_DUMP=prefix`
    /// each shard writes its current input to `prefix-<shard>.yaml` first, so a crash leaves its input behind.
    static let shards = Array(0..<8)
    static let mutationsPerShard =
        ProcessInfo.processInfo.environment["GATEHOUSE_MUTATIONS_PER_SHARD"]
        .flatMap { Int($0) } ?? 1_300

    @Test(
        "Mutated policies never crash and always either compile or name a real position", .serialized,
        arguments: shards)
    func mutatedInputs(shard: Int) async throws {
        let seeds = try Self.exampleSeeds() + Self.inlineSeeds
        try #require(seeds.count >= 10)
        var mutator = PolicyMutator(random: SplitMix64(seed: 0x6A7E_0115_E000 + UInt64(shard)))
        let dump = ProcessInfo.processInfo.environment["GATEHOUSE_MUTATION_DUMP"]
        var violations: [String] = []
        var compiledCount = 0
        var kinds: [PolicyMutator.Kind: Int] = [:]

        for iteration in 0..<Self.mutationsPerShard {
            // Seconds of compiling on the two cooperative threads of a 2-core machine would starve
            // every other suite's tasks: in a fresh-clone CI run the shards held both threads for
            // about 30 s and the gRPC suites' calls all missed their deadlines. So the shards run
            // one at a time (.serialized) and give way after every input.
            await Task.yield()
            let seed = seeds[mutator.random.below(seeds.count)]
            var bytes = Array(seed.text.utf8)
            for _ in 0..<mutator.random.within(1...3) { kinds[mutator.mutate(&bytes), default: 0] += 1 }
            let source = PolicySource(path: seed.path, text: String(decoding: bytes, as: UTF8.self))
            if let dump { try? Data(source.text.utf8).write(to: URL(fileURLWithPath: "\(dump)-\(shard).yaml")) }

            let result = PolicyCompiler.compile(sources: [source], checksFiles: false)

            let context = "shard \(shard) iteration \(iteration) (\(seed.path))"
            if result.compiled != nil {
                compiledCount += 1
                if !result.errors.isEmpty { violations.append("\(context): compiled despite \(result.errors)") }
            } else if result.errors.isEmpty {
                violations.append("\(context): not compiled, but no error was reported")
            }
            for diagnostic in result.diagnostics {
                let location = diagnostic.location
                guard location.line < 1 || location.column < 1 || location.file != seed.path else { continue }
                violations.append("\(context): diagnostic without a position: \(diagnostic)")
            }
            if result.diagnostics != result.diagnostics.sorted() {
                violations.append("\(context): diagnostics are not sorted")
            }
        }

        #expect(violations.isEmpty, "\(violations.prefix(10).joined(separator: "\n"))")
        #expect(kinds.count == PolicyMutator.Kind.allCases.count, "every kind of mutation was applied")
        // Some mutations (in comments, descriptions) leave a valid policy: both outcomes are exercised.
        #expect(compiledCount > 0)
        #expect(compiledCount < Self.mutationsPerShard)
    }

    @Test("The campaign applies at least 10,000 mutations")
    func campaignSize() {
        #expect(Self.shards.count * Self.mutationsPerShard >= 10_000)
    }

    @Test("SplitMix64 is the published generator, so seeds reproduce")
    func splitMixReference() {
        var random = SplitMix64(seed: 1_234_567)
        #expect(random.next() == 6_457_827_717_110_365_317)
        #expect(random.next() == 3_203_168_211_198_807_973)
    }
}
