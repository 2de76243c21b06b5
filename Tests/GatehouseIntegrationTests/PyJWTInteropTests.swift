import Crypto
import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import Testing
import _CryptoExtras

/// Tokens minted by a real JOSE library (PyPI `PyJWT`) verify, for every algorithm.
///
/// PyJWT and cryptography come from the end-to-end virtualenv (`Scripts/provision.sh`); a
/// provisioning failure is a test failure, never a skip.
@Suite("PyJWT interoperability", .timeLimit(.minutes(2)))
struct PyJWTInteropTests {
    /// Reads keys and claims as JSON on stdin, prints one token per algorithm, one per line.
    static let script = """
        import json, sys, jwt
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        spec = json.load(sys.stdin)
        pem = lambda text: serialization.load_pem_private_key(text.encode(), password=None)
        keys = {"rsa": pem(spec["rsa"]), "p256": pem(spec["p256"]), "p384": pem(spec["p384"]),
                "ed": Ed25519PrivateKey.from_private_bytes(bytes.fromhex(spec["ed"])), "hs": bytes.fromhex(spec["hs"])}
        for alg, key in spec["algorithms"]:
            print(jwt.encode(spec["claims"], keys[key], algorithm=alg, headers={"kid": key}))
        """

    static let algorithms: [(JWSAlgorithm, String)] = [
        (.rs256, "rsa"), (.rs384, "rsa"), (.rs512, "rsa"), (.ps256, "rsa"), (.ps384, "rsa"), (.ps512, "rsa"),
        (.es256, "p256"), (.es384, "p384"), (.edDSA, "ed"), (.hs256, "hs"), (.hs384, "hs"), (.hs512, "hs"),
    ]

    @Test("Every algorithm's PyJWT token verifies")
    func pyJWTTokensVerify() async throws {
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let p256 = P256.Signing.PrivateKey()
        let p384 = P384.Signing.PrivateKey()
        let ed = Curve25519.Signing.PrivateKey()
        let secret = SymmetricKey(size: .bits256)
        let now: Int64 = 1_750_000_000
        let spec: [String: Any] = [
            "rsa": rsa.pemRepresentation, "p256": p256.pemRepresentation, "p384": p384.pemRepresentation,
            "ed": Self.hex(ed.rawRepresentation), "hs": secret.withUnsafeBytes { Self.hex($0) },
            "algorithms": Self.algorithms.map { [$0.0.rawValue, $0.1] },
            "claims": ["iss": "https://idp.example", "sub": "py", "aud": "gatehouse", "exp": now + 300, "iat": now],
        ]
        let input = String(decoding: try JSONSerialization.data(withJSONObject: spec), as: UTF8.self)
        // Only the token lines, should the library ever print anything else on stdout.
        let tokens = try await Self.run(Self.script, input: input).split(separator: "\n").map(String.init).filter {
            $0.split(separator: ".", omittingEmptySubsequences: false).count == 3 && !$0.contains(" ")
        }
        try #require(tokens.count == Self.algorithms.count)
        let publicKeys = KeySet(keys: [
            VerificationKey(keyID: "rsa", material: .rsa(rsa.publicKey)),
            VerificationKey(keyID: "p256", material: .p256(p256.publicKey)),
            VerificationKey(keyID: "p384", material: .p384(p384.publicKey)),
            VerificationKey(keyID: "ed", material: .ed25519(ed.publicKey)),
        ])
        for ((algorithm, _), token) in zip(Self.algorithms, tokens) {
            let keys =
                algorithm.isSharedSecret
                ? KeySet(keys: [VerificationKey(keyID: "hs", material: .sharedSecret(secret))]) : publicKeys
            let verifier = TokenVerifier(issuers: [
                IssuerSettings(
                    issuer: "https://idp.example", audiences: ["gatehouse"], algorithms: [algorithm],
                    keys: StaticKeySet(keys))
            ])
            let request = AuthzRequest(headers: [("authorization", "Bearer " + token)], time: UnixTime(seconds: now))
            let result = await verifier.verify(request)
            guard case .verified(let verified) = result else {
                Issue.record("\(algorithm.rawValue): \(result)")
                continue
            }
            #expect(verified.subject == "py", "\(algorithm.rawValue)")
        }
    }

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// Runs the virtualenv's `python3 -c script` with `input` on stdin and returns stdout; throws on a non-zero exit.
    private static func run(_ script: String, input: String) async throws -> String {
        let result = try await ProcessRunner.run(try await Provisioning.python(), ["-c", script], input: input)
        guard result.status == 0 else {
            throw ChildProcessError(message: "python3 exited \(result.status): \(result.combined)")
        }
        return result.stdout
    }
}
