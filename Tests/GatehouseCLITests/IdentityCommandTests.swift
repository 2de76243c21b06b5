import Foundation
import GatehouseTestSupport
import Testing

@Suite("gatehouse identity files and development tokens", .timeLimit(.minutes(2)))
struct IdentityCommandTests {
    /// Lints a one-policy directory whose issuer reads `keys` as its JWKS file (named at p.yaml line 6).
    static func lint(keys: String) throws -> GatehouseProcess.Output {
        try GatehouseProcess.withDirectory([
            "p.yaml": """
            kind: Policy
            name: p
            authentication:
              jwt:
                - issuer: https://idp.example
                  jwks: { file: keys.json }
            rules:
              - { name: r, action: allow, paths: [/a] }
            """,
            "keys.json": keys,
        ]) { directory in
            try GatehouseProcess.run(["policy", "lint", directory.path])
        }
    }

    @Test("Lint loads key files: an unusable JWKS is an error at the policy line naming it")
    func lintChecksKeyFiles() throws {
        let output = try Self.lint(keys: #"{"keys":[{"kty":"RSA","kid":"short","n":"AQAB","e":"AQAB"}]}"#)
        #expect(output.status == 2)
        #expect(output.stderr.contains("p.yaml:6:"), "\(output.stderr)")
        #expect(output.stderr.contains("keys.json"), "\(output.stderr)")
    }

    @Test("Lint warns about each skipped key and loads the rest")
    func lintWarnsAboutSkippedKeys() throws {
        let usable = try GatehouseProcess.withDirectory([:]) { directory in
            let certificates = directory.appendingPathComponent("certs").path
            #expect(try GatehouseProcess.run(["certs", "dev", "--out", certificates]).status == 0)
            return try String(contentsOfFile: certificates + "/idp.jwks.json", encoding: .utf8)
        }
        let keys = usable.replacingOccurrences(
            of: #""keys" : ["#, with: #""keys" : [{"kty":"EC","crv":"P-256","use":"enc","x":"AA","y":"AA"},"#)
        let output = try Self.lint(keys: keys)
        #expect(output.status == 0, "\(output.stderr)")
        #expect(output.stderr.contains("p.yaml:6:") && output.stderr.contains(": warning: "), "\(output.stderr)")
    }

    @Test("certs dev writes the identity provider's key and JWKS; certs token signs RS256 with it")
    func developmentToken() throws {
        let output = try GatehouseProcess.withDirectory([:]) { directory in
            let out = directory.appendingPathComponent("certs").path
            #expect(try GatehouseProcess.run(["certs", "dev", "--out", out]).status == 0)
            let jwks = try String(contentsOfFile: out + "/idp.jwks.json", encoding: .utf8)
            #expect(jwks.contains(#""kid" : "idp-dev-1""#) && jwks.contains(#""kty" : "RSA""#), "\(jwks)")
            return try GatehouseProcess.run([
                "certs", "token", "--key", out + "/idp-dev-key.pem", "--subject", "alice", "--claim",
                "realm_access.roles=clerk",
            ])
        }
        #expect(output.status == 0, "\(output.stderr)")
        let token = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        try #require(segments.count == 3)
        var header = String(segments[0]).replacingOccurrences(of: "-", with: "+")
        while header.count % 4 != 0 { header += "=" }
        let decoded = String(decoding: Data(base64Encoded: header) ?? Data(), as: UTF8.self)
        #expect(decoded.contains(#""alg":"RS256""#) && decoded.contains(#""kid":"idp-dev-1""#), "\(decoded)")
    }
}
