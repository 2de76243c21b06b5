import Crypto
import GatehouseCore
import GatehouseIdentity
import Testing

@Suite("Bundle signatures: JWSBundleVerifier", .bug(id: "12"))
struct JWSBundleVerifierTests {
    typealias F = BundleSignatureFixtures

    private func code(_ verification: BundleSignatureVerification) -> String? {
        if case .refused(let code, _) = verification { return code }
        return nil
    }

    @Test("PyJWT's EdDSA and ES256 signatures verify, under each key of a rotation, and return the payload's bytes")
    func pyJWTVectors() throws {
        let verifier = try F.verifier()
        let vectors = try F.vectors()
        let payload = Array(vectors.payload.utf8)
        for (name, keyID) in [
            ("eddsa-2025", "test-only-ed25519-2025"), ("eddsa-2026", "test-only-ed25519-2026"),
            ("es256", "test-only-p256"),
        ] {
            let token = try #require(vectors.tokens[name])
            #expect(verifier.verify(compactJWS: token) == .verified(keyID: keyID, payload: payload), "\(name)")
        }
        #expect(verifier.keyIDs == ["test-only-ed25519-2025", "test-only-ed25519-2026", "test-only-p256"])
    }

    @Test("Rotation: with only the new key configured, the old key's signature is signature_unknown_key")
    func rotationDropsOldKey() throws {
        let newKey = try F.signingKey("test-only-ed25519-2026")
        let verifier = try JWSBundleVerifier(jwks: newKey.publicJWKS(), origin: "new.jwks")
        let vectors = try F.vectors()
        #expect(
            code(verifier.verify(compactJWS: try #require(vectors.tokens["eddsa-2025"]))) == "signature_unknown_key")
        #expect(
            verifier.verify(compactJWS: try #require(vectors.tokens["eddsa-2026"]))
                == .verified(keyID: "test-only-ed25519-2026", payload: Array(vectors.payload.utf8)))
    }

    @Test("An unknown kid is signature_unknown_key, and the message names the configured keys")
    func unknownKeyID() throws {
        let verdict = try F.verifier().verify(compactJWS: try #require(F.vectors().tokens["eddsa-unknown-kid"]))
        guard case .refused(let code, let message) = verdict else {
            Issue.record("verified a signature by a key that is not configured")
            return
        }
        #expect(code == "signature_unknown_key")
        #expect(message.contains("'test-only-unknown'") && message.contains("'test-only-ed25519-2026'"))
    }

    @Test("Without kid: the only key of the algorithm verifies; with two such keys it is signature_key_ambiguous")
    func withoutKeyID() throws {
        let verifier = try F.verifier()
        let vectors = try F.vectors()
        // One P-256 key is configured: PyJWT's kid-less ES256 signature verifies under it.
        #expect(
            verifier.verify(compactJWS: try #require(vectors.tokens["es256-no-kid"]))
                == .verified(keyID: "test-only-p256", payload: Array(vectors.payload.utf8)))
        // Two Ed25519 keys are configured: a kid-less EdDSA signature is not tried against each.
        let key = try F.ed25519("test-only-ed25519-2025")
        let token = try F.compact(header: #"{"alg":"EdDSA"}"#, payload: F.payload) { Array(try key.signature(for: $0)) }
        #expect(code(verifier.verify(compactJWS: token)) == "signature_key_ambiguous")
        // With that key alone, the same signature verifies.
        let single = try JWSBundleVerifier(
            jwks: F.signingKey("test-only-ed25519-2025").publicJWKS(), origin: "single.jwks")
        #expect(single.verify(compactJWS: token) == .verified(keyID: "test-only-ed25519-2025", payload: F.payload))
        // And a kid-less ES256 signature against a set without P-256 keys names no key.
        #expect(
            code(single.verify(compactJWS: try #require(vectors.tokens["es256-no-kid"]))) == "signature_unknown_key")
    }

    @Test("A changed payload or signature is signature_invalid")
    func badSignature() throws {
        let verifier = try F.verifier()
        let token = try #require(F.vectors().tokens["eddsa-2025"])
        let parts = token.split(separator: ".").map(String.init)
        // Another payload under the original header and signature.
        let otherPayload = Base64URL.encode(Array(#"{"files":[{"name":"x"}]}"#.utf8))
        #expect(
            code(verifier.verify(compactJWS: [parts[0], otherPayload, parts[2]].joined(separator: ".")))
                == "signature_invalid")
        // One signature bit flipped (the first character: all six of its bits are signature bits).
        var signature = Array(parts[2].utf8)
        signature[0] = signature[0] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let flipped = [parts[0], parts[1], String(decoding: signature, as: UTF8.self)].joined(separator: ".")
        #expect(code(verifier.verify(compactJWS: flipped)) == "signature_invalid")
        // A valid signature by the other key, under this key's id.
        let other = try F.ed25519("test-only-ed25519-2026")
        let swapped = try F.compact(header: #"{"alg":"EdDSA","kid":"test-only-ed25519-2025"}"#, payload: F.payload) {
            Array(try other.signature(for: $0))
        }
        #expect(code(verifier.verify(compactJWS: swapped)) == "signature_invalid")
    }

    @Test(
        "Malformed or truncated signatures are signature_malformed",
        arguments: [
            "", "abc", "a.b", "a.b.c.d", "a.b.c.d.e", "....", "eyJhbGciOiJFZERTQSJ9..", "not base64!.e30.AA",
            "e30.e30.AA",  // header {} without alg
            "eyJhbGciOiJFZERTQSIsImFsZyI6IkVkRFNBIn0.e30.AA",  // {"alg":"EdDSA","alg":"EdDSA"}: duplicate member
            "W10.e30.AA",  // header [] is not an object
        ])
    func malformed(token: String) throws {
        #expect(code(try F.verifier().verify(compactJWS: token)) == "signature_malformed")
    }

    @Test("Truncations of a valid signature are refused, and those that cut into the signature are signature_malformed")
    func truncated() throws {
        let verifier = try F.verifier()
        for name in ["eddsa-2025", "es256"] {
            let token = try #require(F.vectors().tokens[name])
            let signatureStart = try #require(token.lastIndex(of: ".")).utf16Offset(in: token) + 1
            for length in [1, 10, signatureStart - 1, signatureStart, signatureStart + 5, token.utf8.count - 1] {
                let cut = String(token.prefix(length))
                let verdict = verifier.verify(compactJWS: cut)
                #expect(code(verdict) != nil, "\(name) cut to \(length) verified")
                if length >= signatureStart - 1 {
                    #expect(code(verdict) == "signature_malformed", "\(name) cut to \(length)")
                }
            }
        }
    }

    @Test("An ES256 signature in DER instead of r||s is signature_malformed")
    func derSignature() throws {
        let key = try F.signingKey("test-only-p256")
        let pem = try F.text("test-only-p256.pem")
        let raw = try P256.Signing.PrivateKey(pemRepresentation: pem)
        let token = try F.compact(header: #"{"alg":"ES256","kid":"test-only-p256"}"#, payload: F.payload) {
            Array(try raw.signature(for: SHA256.hash(data: $0)).derRepresentation)
        }
        #expect(code(try F.verifier().verify(compactJWS: token)) == "signature_malformed")
        #expect(key.algorithm == "ES256")
    }

    @Test("An empty (detached) payload is signature_malformed")
    func emptyPayload() throws {
        let key = try F.ed25519("test-only-ed25519-2025")
        let token = try F.compact(header: #"{"alg":"EdDSA","kid":"test-only-ed25519-2025"}"#, payload: []) {
            Array(try key.signature(for: $0))
        }
        #expect(code(try F.verifier().verify(compactJWS: token)) == "signature_malformed")
    }

    @Test("A crit header is refused even when the signature over it verifies")
    func criticalHeader() throws {
        let key = try F.ed25519("test-only-ed25519-2025")
        let token = try F.compact(
            header: #"{"alg":"EdDSA","kid":"test-only-ed25519-2025","crit":["b64"],"b64":true}"#, payload: F.payload
        ) { Array(try key.signature(for: $0)) }
        #expect(code(try F.verifier().verify(compactJWS: token)) == "signature_crit_unsupported")
    }

    @Test(
        "Algorithms other than EdDSA and ES256 are refused before any key is tried",
        arguments: ["none", "NONE", "nOnE", "HS256", "HS512", "RS256", "PS256", "ES384", "ES512", "Ed25519", "eddsa"])
    func algorithmsRefused(algorithm: String) throws {
        let header = #"{"alg":"\#(algorithm)","kid":"test-only-ed25519-2025"}"#
        let token = F.compact(header: header, payload: F.payload) { _ in Array(repeating: 1, count: 64) }
        #expect(code(try F.verifier().verify(compactJWS: token)) == "signature_algorithm_refused")
        // Unsigned, with an empty signature segment, as alg none is written.
        let unsigned = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(F.payload) + "."
        #expect(code(try F.verifier().verify(compactJWS: unsigned)) == "signature_algorithm_refused")
    }

    @Test("Algorithm confusion: HS256 keyed with an Ed25519 public key's bytes, and ES256 naming an Ed25519 key")
    func algorithmConfusion() throws {
        let verifier = try F.verifier()
        let publicKey = try F.ed25519("test-only-ed25519-2025").publicKey.rawRepresentation
        let hmac = F.compact(header: #"{"alg":"HS256","kid":"test-only-ed25519-2025"}"#, payload: F.payload) {
            Array(HMAC<SHA256>.authenticationCode(for: $0, using: SymmetricKey(data: publicKey)))
        }
        #expect(code(verifier.verify(compactJWS: hmac)) == "signature_algorithm_refused")
        // An ES256 header naming the Ed25519 key, with a real P-256 signature: the key's type decides.
        let p256 = try P256.Signing.PrivateKey(pemRepresentation: F.text("test-only-p256.pem"))
        let confused = try F.compact(header: #"{"alg":"ES256","kid":"test-only-ed25519-2025"}"#, payload: F.payload) {
            Array(try p256.signature(for: SHA256.hash(data: $0)).rawRepresentation)
        }
        #expect(code(verifier.verify(compactJWS: confused)) == "signature_unknown_key")
        // And EdDSA naming the P-256 key.
        let ed = try F.ed25519("test-only-ed25519-2025")
        let reversed = try F.compact(header: #"{"alg":"EdDSA","kid":"test-only-p256"}"#, payload: F.payload) {
            Array(try ed.signature(for: $0))
        }
        #expect(code(verifier.verify(compactJWS: reversed)) == "signature_unknown_key")
    }

    @Test(
        "Header key sources (jwk, jku, x5u) are ignored: an embedded key does not verify a signature by an unknown key")
    func embeddedKeysIgnored() throws {
        let unknown = try F.ed25519("test-only-unknown")
        let x = Base64URL.encode(unknown.publicKey.rawRepresentation)
        let header =
            #"{"alg":"EdDSA","kid":"test-only-ed25519-2025","jwk":{"kty":"OKP","crv":"Ed25519","x":"\#(x)"},"jku":"https://evil.example/k"}"#
        let token = try F.compact(header: header, payload: F.payload) { Array(try unknown.signature(for: $0)) }
        #expect(code(try F.verifier().verify(compactJWS: token)) == "signature_invalid")
    }

    @Test("A kid that is not a string is signature_malformed")
    func keyIDNotString() throws {
        let key = try F.ed25519("test-only-ed25519-2025")
        let token = try F.compact(header: #"{"alg":"EdDSA","kid":7}"#, payload: F.payload) {
            Array(try key.signature(for: $0))
        }
        #expect(code(try F.verifier().verify(compactJWS: token)) == "signature_malformed")
    }
}
