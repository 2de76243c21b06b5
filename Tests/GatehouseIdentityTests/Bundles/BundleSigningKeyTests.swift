import Crypto
import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import Testing
import _CryptoExtras

@Suite("Bundle signatures: BundleSigningKey", .bug(id: "12"))
struct BundleSigningKeyTests {
    typealias F = BundleSignatureFixtures

    @Test(
        "PEM keys as openssl writes them sign, and the signature verifies with the committed and the derived JWKS",
        arguments: [
            ("test-only-ed25519-2025", "test-only-ed25519-2025", "EdDSA"),
            ("test-only-p256", "test-only-p256", "ES256"),
            ("test-only-p256-sec1", "test-only-p256", "ES256"),
        ])
    func signs(file: String, keyID: String, algorithm: String) throws {
        let key = try F.signingKey(file, keyID: keyID)
        #expect(key.algorithm == algorithm)
        #expect(key.keyID == keyID)
        let payload = Array(#"{"files":[{"name":"a","hash":"00"}]}"#.utf8)
        let token = try key.sign(payload: payload)
        let header = try #require(token.split(separator: ".").first)
        #expect(Base64URL.decode(header.utf8) == Array(#"{"alg":"\#(algorithm)","kid":"\#(keyID)"}"#.utf8))
        // The public key in bundle-keys.jwks was written by PyJWT's side from the same private key.
        #expect(try F.verifier().verify(compactJWS: token) == .verified(keyID: keyID, payload: payload))
        let own = try JWSBundleVerifier(jwks: key.publicJWKS(), origin: "derived")
        #expect(own.verify(compactJWS: token) == .verified(keyID: keyID, payload: payload))
        #expect(own.keyIDs == [keyID])
    }

    @Test("The derived JWKS holds exactly the committed public key, kid, alg and use")
    func publicJWKS() throws {
        let committed = try JSONSerialization.jsonObject(with: Data(F.bytes("bundle-keys.jwks"))) as? [String: Any]
        let committedKeys = try #require(committed?["keys"] as? [[String: String]])
        for kid in ["test-only-ed25519-2025", "test-only-ed25519-2026", "test-only-p256"] {
            let derived = try JSONSerialization.jsonObject(with: Data(F.signingKey(kid).publicJWKS())) as? [String: Any]
            let keys = try #require(derived?["keys"] as? [[String: String]])
            #expect(keys == committedKeys.filter { $0["kid"] == kid }, "\(kid)")
        }
    }

    @Test("A key id with quotes and control characters is escaped in the header and the JWKS")
    func escapedKeyID() throws {
        let keyID = "a\"b\\c\u{1}d"
        let key = try F.signingKey("test-only-ed25519-2026", keyID: keyID)
        let verifier = try JWSBundleVerifier(jwks: key.publicJWKS(), origin: "escaped")
        #expect(verifier.keyIDs == [keyID])
        #expect(verifier.verify(compactJWS: try key.sign(payload: [1])) == .verified(keyID: keyID, payload: [1]))
    }

    @Test(
        "Keys that are not Ed25519 or P-256 private keys are bundle_signing_key_invalid, with a message saying what they are",
        arguments: [
            ("", "not a PEM block"),
            ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", "encrypted"),
            ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "'CERTIFICATE'"),
            ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "PKCS#8"),
        ])
    func refused(pem: String, phrase: String) {
        self.expectRefused(pem, phrase)
    }

    @Test("RSA, P-384, X25519 and public keys are refused by name")
    func refusedKinds() throws {
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        self.expectRefused(rsa.pemRepresentation, "is RSA")  // PKCS#1, as openssl genrsa writes
        self.expectRefused(rsa.pkcs8PEMRepresentation, "is RSA")  // PKCS#8, as openssl genpkey writes
        self.expectRefused(P384.Signing.PrivateKey().pemRepresentation, "other than P-256")
        self.expectRefused(Curve25519.KeyAgreement.PrivateKey().pemRepresentation, "X25519")
        self.expectRefused(P256.Signing.PrivateKey().publicKey.pemRepresentation, "a public key")
        self.expectRefused(
            try F.text("test-only-p256.pem"), "non-empty key id", keyID: "")
    }

    private func expectRefused(
        _ pem: String, _ phrase: String, keyID: String = "k", sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        do throws(IdentityError) {
            _ = try BundleSigningKey(pem: pem, keyID: keyID)
            Issue.record("accepted a key that should be refused (\(phrase))", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .bundleSigningKeyInvalid, sourceLocation: sourceLocation)
            #expect(error.message.contains(phrase), "\(error.message)", sourceLocation: sourceLocation)
        }
    }
}
