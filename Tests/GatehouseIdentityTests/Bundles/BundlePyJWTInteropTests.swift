import Foundation
import GatehouseIdentity
import GatehouseTestSupport
import Testing

/// Gatehouse's signatures checked by a real JOSE library, when one is installed.
///
/// The other direction (PyJWT's signatures verify here) needs no Python: its output is
/// committed in `Fixtures/vectors.json`.
@Suite("Bundle signatures: PyJWT verifies what BundleSigningKey signs", .bug(id: "12"))
struct BundlePyJWTInteropTests {
    /// `python3` that can `import jwt, cryptography`, or `nil`.
    static let python: String? = {
        // The end-to-end tests' virtualenv has PyJWT when they have run; else a system-wide install.
        let venv = ProcessInfo.processInfo.environment["GATEHOUSE_E2E_VENV"] ?? Repository.url(".build/e2e-venv").path
        // Only a finished virtualenv (provision.sh's stamp): in a fresh clone the end-to-end tests
        // provision it while this suite runs, and a half-installed PyJWT failed this test in CI.
        let provisioned = FileManager.default.fileExists(atPath: venv + "/.provisioned-2")
        for candidate in (provisioned ? [venv + "/bin/python3"] : []) + ["/usr/bin/python3", "/usr/local/bin/python3"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            let output = try? ProcessRunner.run(candidate, ["-c", "import jwt, cryptography"], timeout: .seconds(30))
            if output?.status == 0 { return candidate }
        }
        return nil
    }()

    @Test(
        "EdDSA and ES256 signatures made here verify with PyJWT against the derived JWKS",
        .enabled(if: Self.python != nil, "python3 with PyJWT is not installed (pip install pyjwt cryptography)"))
    func pyJWTVerifies() async throws {
        let python = try #require(Self.python)
        let ed = try BundleSignatureFixtures.signingKey("test-only-ed25519-2026")
        let p256 = try BundleSignatureFixtures.signingKey("test-only-p256-sec1", keyID: "test-only-p256")
        let payload = Array(#"{"files":[{"name":".manifest","hash":"ab"}]}"#.utf8)
        try await withTemporaryDirectory("pyjwt") { directory in
            // One JWKS with both public keys: the two single-key documents' entries joined.
            let entries = [ed, p256].map { key in
                let text = String(decoding: key.publicJWKS(), as: UTF8.self)
                return text.dropFirst(#"{"keys":["#.count).dropLast("]}\n".count)
            }
            let jwks = directory.appendingPathComponent("keys.jwks")
            try Data(#"{"keys":[\#(entries.joined(separator: ","))]}"#.utf8).write(to: jwks)
            let tokens = [try ed.sign(payload: payload), try p256.sign(payload: payload)]
            let output = try ProcessRunner.run(
                python, [BundleSignatureFixtures.url("make-vectors.py").path, "--verify", jwks.path] + tokens)
            #expect(output.status == 0, "\(output.combined)")
            #expect(output.stdout.contains("verified EdDSA kid=test-only-ed25519-2026 payload=\(payload.count) bytes"))
            #expect(output.stdout.contains("verified ES256 kid=test-only-p256 payload=\(payload.count) bytes"))
        }
    }
}
