import Crypto
import GatehouseIdentity
import Testing
import _CryptoExtras

@Suite("JWKS parsing")
struct JWKSTests {
    /// Real public keys as JWK text, made once.
    struct Keys {
        let rsa = try! _RSA.Signing.PrivateKey(keySize: .bits2048)  // Generation of a 2048-bit key does not fail.
        let p256 = P256.Signing.PrivateKey()
        let p384 = P384.Signing.PrivateKey()
        let ed25519 = Curve25519.Signing.PrivateKey()

        var rsaJWK: String {
            // Cannot fail: a generated key always has primitives.
            let primitives = try! self.rsa.publicKey.getKeyPrimitives()
            return
                #"{"kty":"RSA","kid":"rsa","n":"\#(Base64URL.encode(primitives.modulus))","e":"\#(Base64URL.encode(primitives.publicExponent))"}"#
        }

        func ec(_ curve: String, _ point: some Collection<UInt8>, kid: String, extra: String = "") -> String {
            let bytes = Array(point)
            let size = (bytes.count - 1) / 2
            return
                #"{"kty":"EC","crv":"\#(curve)","kid":"\#(kid)","x":"\#(Base64URL.encode(bytes[1...size]))","y":"\#(Base64URL.encode(bytes[(size + 1)...]))"\#(extra)}"#
        }

        var p256JWK: String {
            self.ec("P-256", self.p256.publicKey.x963Representation, kid: "p256", extra: #","use":"sig","alg":"ES256""#)
        }
        var p384JWK: String {
            self.ec("P-384", self.p384.publicKey.x963Representation, kid: "p384", extra: #","key_ops":["verify"]"#)
        }
        var edJWK: String {
            #"{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"\#(Base64URL.encode(self.ed25519.publicKey.rawRepresentation))"}"#
        }
    }

    static let keys = Keys()

    /// A 1024-bit modulus: only its length matters, the key is refused before it is built.
    static let shortModulus = Base64URL.encode([0xC1] + [UInt8](repeating: 0x5A, count: 127))

    static let skipped: [(String, String)] = [
        (#"{"kty":"RSA","kid":"short","n":"\#(shortModulus)","e":"AQAB"}"#, "1024 bits"),
        (#"{"kty":"EC","crv":"P-256","kid":"enc","use":"enc","x":"AA","y":"AA"}"#, "'use' is 'enc'"),
        (
            #"{"kty":"OKP","crv":"Ed25519","kid":"ops","key_ops":["sign"],"x":"AA"}"#,
            "'key_ops' does not include 'verify'"
        ),
        (#"{"kty":"XYZ","kid":"kty"}"#, "key type 'XYZ'"),
        (#"{"kty":"EC","crv":"P-521","kid":"crv","x":"AA","y":"AA"}"#, "curve 'P-521'"),
        (#"{"kty":"OKP","crv":"X25519","kid":"x25519","x":"AA"}"#, "curve 'X25519'"),
        (#"{"kty":"RSA","kid":"oaep","alg":"RSA-OAEP","n":"AA","e":"AQAB"}"#, "'alg' is 'RSA-OAEP'"),
        (#"{"kty":"oct","kid":"oct","k":"c2VjcmV0"}"#, "the shared secret ('k') has 6 bytes"),
        (#"{"kty":"RSA","kid":"bad-n","n":"a+b/","e":"AQAB"}"#, "'n' is not unpadded base64url"),
        (
            #"{"kty":"EC","crv":"P-256","kid":"off-curve","x":"\#(Base64URL.encode([UInt8](repeating: 1, count: 32)))","y":"\#(Base64URL.encode([UInt8](repeating: 2, count: 32)))"}"#,
            "not a P-256 point"
        ),
        (#"{"kid":"no-kty"}"#, "'kty' is missing"),
        (#"{"kty":"RSA","kid":7}"#, "'kid' is not a string"),
        (#"7"#, "not a JSON object"),
    ]

    @Test("Usable keys load and every unusable one is skipped with a warning naming why")
    func skipsUnusable() throws {
        let keys = Self.keys
        let document =
            "{\"keys\":["
            + ([keys.rsaJWK, keys.p256JWK, keys.p384JWK, keys.edJWK] + Self.skipped.map(\.0)).joined(separator: ",")
            + "]}"
        let set = try KeySet.parse(jwks: Array(document.utf8), origin: "keys.json", source: .file)
        #expect(set.keys.map(\.keyID) == ["rsa", "p256", "p384", "ed"])
        #expect(set.keys[1].algorithm == .es256)
        #expect(set.warnings.count == Self.skipped.count)
        for ((_, reason), warning) in zip(Self.skipped, set.warnings) {
            #expect(warning.contains(reason), "\(warning)")
            #expect(warning.hasPrefix("keys.json: key "))
        }
    }

    @Test("A key with an alg its type cannot verify is skipped")
    func algorithmMismatch() throws {
        let document =
            "{\"keys\":[\(Self.keys.edJWK), \(Self.keys.ec("P-384", Self.keys.p384.publicKey.x963Representation, kid: "x", extra: #","alg":"ES256""#))]}"
        let set = try KeySet.parse(jwks: Array(document.utf8), origin: "k", source: .file)
        #expect(set.keys.count == 1)
        #expect(set.warnings.first?.contains("which a 'EC' key cannot verify") == true)
    }

    @Test("A key set holding private members loads its public part with a warning")
    func privateMembers() throws {
        let document = #"{"keys":[\#(Self.keys.edJWK.dropLast()),"d":"AAAA"}]}"#
        let set = try KeySet.parse(jwks: Array(document.utf8), origin: "k", source: .file)
        #expect(set.keys.count == 1)
        #expect(set.warnings.first?.contains("private key members") == true)
    }

    @Test(
        "A document that is not a JWKS is refused whole",
        arguments: ["[]", #"{"keys":{}}"#, #"{"key":[]}"#, "not json", #"{"keys":[],"keys":[]}"#])
    func notJWKS(text: String) {
        let error = #expect(throws: IdentityError.self) {
            try KeySet.parse(jwks: Array(text.utf8), origin: "k", source: .file)
        }
        #expect(error?.code == .keySetInvalid)
        #expect(error?.message.contains("'k'") == true, "the message names the file or URL")
    }

    @Test("A key set without one usable key is refused, naming every skipped key")
    func noUsableKey() {
        let document = "{\"keys\":[\(Self.skipped[0].0),\(Self.skipped[1].0)]}"
        do {
            _ = try KeySet.parse(jwks: Array(document.utf8), origin: "https://idp.example/jwks", source: .url)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .keySetHasNoUsableKey)
            // The message lists why each key was skipped, so the operator can fix the set in one go.
            #expect(error.message.contains("1024 bits"))
            #expect(error.message.contains("'use' is 'enc'"))
        }
        let empty = #expect(throws: IdentityError.self) {
            try KeySet.parse(jwks: Array(#"{"keys":[]}"#.utf8), origin: "k", source: .file)
        }
        #expect(empty?.code == .keySetHasNoUsableKey)
    }

    @Test("A shared secret needs 32 bytes")
    func sharedSecret() throws {
        let error = #expect(throws: IdentityError.self) {
            try KeySet.sharedSecret([UInt8](repeating: 7, count: 31), origin: "s")
        }
        #expect(error?.code == .secretTooShort)
        let set = try KeySet.sharedSecret([UInt8](repeating: 7, count: 32), origin: "s")
        #expect(set.keys.count == 1)
        #expect(set.keys[0].isUsable(for: .hs256))
        #expect(!set.keys[0].isUsable(for: .rs256))
    }

    @Test("Each key type verifies exactly its own algorithms")
    func usability() throws {
        let set = try KeySet.parse(
            jwks: Array("{\"keys\":[\(Self.keys.rsaJWK),\(Self.keys.p384JWK),\(Self.keys.edJWK)]}".utf8), origin: "k",
            source: .file)
        let usable = set.keys.map { key in JWSAlgorithm.allCases.filter { key.isUsable(for: $0) } }
        #expect(usable[0] == [.rs256, .rs384, .rs512, .ps256, .ps384, .ps512])
        #expect(usable[1] == [.es384])
        #expect(usable[2] == [.edDSA])
    }

    @Test("ECDSA verifies raw r||s only; HMAC verifies the exact tag")
    func signatures() throws {
        let input = Array("header.payload".utf8)
        let signature = try Self.keys.p256.signature(for: input)
        let key = VerificationKey(keyID: nil, material: .p256(Self.keys.p256.publicKey))
        #expect(key.isValidSignature(signature.rawRepresentation, for: input, algorithm: .es256))
        #expect(!key.isValidSignature(signature.derRepresentation, for: input, algorithm: .es256))
        #expect(!key.isValidSignature(signature.rawRepresentation, for: input + [0], algorithm: .es256))
        let secret = VerificationKey(keyID: nil, material: .sharedSecret(SymmetricKey(size: .bits256)))
        guard case .sharedSecret(let symmetric) = secret.material else { return }
        let tag = Array(HMAC<SHA384>.authenticationCode(for: input, using: symmetric))
        #expect(secret.isValidSignature(tag, for: input, algorithm: .hs384))
        #expect(!secret.isValidSignature(tag, for: input, algorithm: .hs256))
        #expect(!secret.isValidSignature(tag.dropLast(), for: input, algorithm: .hs384))
    }
}
