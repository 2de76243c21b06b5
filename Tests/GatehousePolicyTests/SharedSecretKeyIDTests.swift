import GatehouseCore
import GatehousePolicy
import Testing

@Suite("Policy: shared secrets with a kid, and which key sets may hold secrets")
struct SharedSecretKeyIDTests {
    /// A policy whose one issuer is written as `issuer` (lines 6 on, indented under `- issuer:`).
    ///
    ///     1 kind: Policy
    ///     2 name: p
    ///     3 authentication:
    ///     4   jwt:
    ///     5     - issuer: https://hs.example
    static func policy(_ issuer: String) -> String {
        """
        kind: Policy
        name: p
        authentication:
          jwt:
            - issuer: https://hs.example
        \(issuer)
        rules:
          - { name: r, action: allow, paths: [/a] }
        """
    }

    static func compile(_ text: String) -> PolicyCompiler.Result {
        PolicyCompiler.compile(sources: [PolicySource(path: "p.yaml", text: text)])
    }

    @Test("secretFile with kid compiles to a secret named by that kid")
    func secretWithKeyID() throws {
        let result = Self.compile(
            Self.policy("      secretFile: hs.secret\n      kid: hs-2025\n      algorithms: [HS256, HS512]"))
        let compiled = try #require(result.compiled, "\(result.diagnostics)")
        let issuer = try #require(compiled.authentication.first??.jwt.first)
        #expect(issuer.keys == .secretFile("hs.secret", keyID: "hs-2025"))
        #expect(issuer.algorithms == ["HS256", "HS512"])
    }

    @Test("secretFile without kid compiles as before: a secret no kid names")
    func secretWithoutKeyID() throws {
        let result = Self.compile(Self.policy("      secretFile: hs.secret\n      algorithms: [HS256]"))
        let compiled = try #require(result.compiled, "\(result.diagnostics)")
        #expect(compiled.authentication.first??.jwt.first?.keys == .secretFile("hs.secret", keyID: nil))
    }

    @Test("A JWKS file may back HS algorithms: its oct keys are the secrets")
    func jwksFileWithSharedSecretAlgorithms() throws {
        let result = Self.compile(Self.policy("      jwks: { file: keys.jwks }\n      algorithms: [HS256, HS384]"))
        let compiled = try #require(result.compiled, "\(result.diagnostics)")
        let issuer = try #require(compiled.authentication.first??.jwt.first)
        #expect(issuer.keys == .file("keys.jwks"))
        #expect(issuer.algorithms == ["HS256", "HS384"])
        #expect(issuer.keys.mayHoldSecrets)
    }

    /// One issuer entry that must not compile: the first error's code, place and words.
    struct Broken: Sendable, CustomTestStringConvertible {
        var name: String
        var issuer: String
        var line: Int
        var column: Int
        var message: String
        var testDescription: String { self.name }
    }

    static let broken: [Broken] = [
        Broken(
            name: "kid beside a JWKS file", issuer: "      jwks: { file: keys.jwks }\n      kid: k1",
            line: 7, column: 12, message: "'kid' without 'secretFile'"),
        Broken(
            name: "kid with both a JWKS and a secretFile",
            issuer: "      kid: k1\n      secretFile: s\n      jwks: { file: k }",
            line: 7, column: 19, message: "both 'jwks' and 'secretFile'"),
        Broken(
            name: "an empty kid", issuer: "      secretFile: hs.secret\n      kid: ''\n      algorithms: [HS256]",
            line: 7, column: 12, message: "empty 'kid'"),
        Broken(
            name: "HS256 with a JWKS URL",
            issuer: "      jwks: { url: https://idp.example/jwks }\n      algorithms: [HS256]",
            line: 7, column: 20, message: "fetched from a URL"),
        Broken(
            name: "HS256 with OpenID discovery", issuer: "      jwks: { discovery: true }\n      algorithms: [HS256]",
            line: 7, column: 20, message: "fetched from a URL"),
        Broken(
            name: "HS and RS algorithms mixed over one JWKS file",
            issuer: "      jwks: { file: keys.jwks }\n      algorithms: [RS256, HS256]",
            line: 7, column: 19, message: "mixes shared-secret algorithms (HS256) with public-key ones"),
        Broken(
            name: "an RS algorithm with a secret file",
            issuer: "      secretFile: hs.secret\n      algorithms: [RS256]",
            line: 7, column: 20, message: "only HS256/384/512"),
    ]

    @Test(
        "An issuer whose keys and algorithms confuse secrets with public keys does not compile", arguments: Self.broken)
    func brokenIssuer(_ broken: Broken) throws {
        let result = Self.compile(Self.policy(broken.issuer))
        #expect(result.compiled == nil)
        let error = try #require(result.errors.first)
        #expect(error.code.rawValue == "policy_invalid_value")
        #expect("\(error.location)" == "p.yaml:\(broken.line):\(broken.column)", "\(error)")
        #expect(error.message.contains(broken.message), "\(error.message)")
    }
}

@Suite("Policy tests: the server's paths.dotSegments per case")
struct PolicyTestDotSegmentsTests {
    static let policy = """
        kind: Policy
        name: p
        rules:
          - { name: read, action: allow, paths: [/records/*] }
        """

    static func run(_ tests: String) throws -> PolicyTestRunner.Report {
        let result = PolicyCompiler.compile(sources: [
            PolicySource(path: "p.yaml", text: Self.policy), PolicySource(path: "p_test.yaml", text: tests),
        ])
        return PolicyTestRunner.run(try #require(result.compiled, "\(result.diagnostics)"))
    }

    @Test("A case decides under dotSegments reject by default, and under normalize when it says so")
    func perCaseSetting() throws {
        let report = try Self.run(
            """
            kind: PolicyTests
            tests:
              - name: by default a dot segment is ambiguous
                request: { path: /records/x/../y }
                expect: { decision: deny, status: 400, reason: ambiguous_path }
              - name: behind a normalizing Envoy it is resolved
                request: { path: /records/x/../y, dotSegments: normalize }
                expect: { decision: allow, rule: read }
              - name: reject can be written out
                request: { path: /records/%2e%2e, dotSegments: reject }
                expect: { decision: deny, status: 400, reason: ambiguous_path }
            """)
        #expect(report.failedCount == 0, "\(report.diagnostics)")
        #expect(report.results.count == 3)
    }

    @Test("An unknown dotSegments value is an error at its place, naming the two values")
    func unknownValue() throws {
        let result = PolicyCompiler.compile(sources: [
            PolicySource(path: "p.yaml", text: Self.policy),
            PolicySource(
                path: "p_test.yaml",
                text: """
                    kind: PolicyTests
                    tests:
                      - name: t
                        request: { path: /records/a, dotSegments: resolve }
                        expect: { decision: allow }
                    """),
        ])
        let error = try #require(result.errors.first)
        #expect(error.code.rawValue == "policy_invalid_value")
        #expect("\(error.location)" == "p_test.yaml:4:47")
        #expect(error.message.contains("'resolve'; write reject or normalize"))
    }
}
