import Crypto
import GatehouseIdentity
import Testing
import _CryptoExtras

@Suite("Bundle signatures: the bundle key set", .bug(id: "12"))
struct BundleKeySetTests {
    private static let ed = Base64URL.encode(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation)
    private static let edJWK = #"{"kty":"OKP","crv":"Ed25519","kid":"a","x":"\#(ed)"}"#

    private func load(_ keys: String) -> IdentityError? {
        do throws(IdentityError) {
            _ = try JWSBundleVerifier(jwks: Array(#"{"keys":[\#(keys)]}"#.utf8), origin: "bundle.jwks")
            return nil
        } catch {
            return error
        }
    }

    @Test("A set of Ed25519 and P-256 keys, each with its own kid, loads")
    func loads() throws {
        let point = P256.Signing.PrivateKey().publicKey.x963Representation
        let p256 =
            #"{"kty":"EC","crv":"P-256","kid":"b","x":"\#(Base64URL.encode(point[1..<33]))","y":"\#(Base64URL.encode(point[33...]))"}"#
        let verifier = try JWSBundleVerifier(jwks: Array(#"{"keys":[\#(Self.edJWK),\#(p256)]}"#.utf8), origin: "k")
        #expect(verifier.keyIDs == ["a", "b"])
        #expect(verifier.origin == "k")
    }

    @Test("A shared secret (oct) refuses the whole set: bundle signatures are never HMAC")
    func sharedSecret() {
        let secret = Base64URL.encode(Array(repeating: UInt8(7), count: 32))
        let error = self.load(#"\#(Self.edJWK),{"kty":"oct","kid":"s","k":"\#(secret)"}"#)
        #expect(error?.code == .bundleKeySetInvalid)
        #expect(error?.message.contains("shared secret") == true)
    }

    @Test("RSA and P-384 keys refuse the set")
    func otherKeyTypes() {
        let p384 = P384.Signing.PrivateKey().publicKey.x963Representation
        let jwk =
            #"{"kty":"EC","crv":"P-384","kid":"c","x":"\#(Base64URL.encode(p384[1..<49]))","y":"\#(Base64URL.encode(p384[49...]))"}"#
        #expect(self.load("\(Self.edJWK),\(jwk)")?.code == .bundleKeySetInvalid)
        // Generating a 2048-bit key does not fail.
        let rsa = try! _RSA.Signing.PrivateKey(keySize: .bits2048).publicKey.getKeyPrimitives()
        let rsaJWK =
            #"{"kty":"RSA","kid":"r","n":"\#(Base64URL.encode(rsa.modulus))","e":"\#(Base64URL.encode(rsa.publicExponent))"}"#
        #expect(self.load(rsaJWK)?.code == .bundleKeySetInvalid)
    }

    @Test("A key without kid, two keys with one kid, a skipped key and private members refuse the set")
    func strictness() {
        #expect(self.load(#"{"kty":"OKP","crv":"Ed25519","x":"\#(Self.ed)"}"#)?.code == .bundleKeySetInvalid)
        #expect(self.load("\(Self.edJWK),\(Self.edJWK)")?.message.contains("'a' names two keys") == true)
        #expect(
            self.load(#"\#(Self.edJWK),{"kty":"OKP","crv":"X25519","kid":"x","x":"\#(Self.ed)"}"#)?.code
                == .bundleKeySetInvalid)
        #expect(self.load(#"{"kty":"OKP","crv":"Ed25519","kid":"a","use":"enc","x":"\#(Self.ed)"}"#)?.code != nil)
        let withPrivate = #"{"kty":"OKP","crv":"Ed25519","kid":"a","x":"\#(Self.ed)","d":"\#(Self.ed)"}"#
        #expect(self.load(withPrivate)?.message.contains("private key members") == true)
    }

    @Test("A document that is not a JWKS, or an empty one, is the key set's usual error")
    func notJWKS() {
        do throws(IdentityError) {
            _ = try JWSBundleVerifier(jwks: Array("[]".utf8), origin: "bundle.jwks")
            Issue.record("loaded a JSON array as a key set")
        } catch {
            #expect(error.code == .keySetInvalid)
        }
        #expect(self.load("")?.code == .keySetHasNoUsableKey)
    }
}

@Suite("Bundle signatures: error codes", .bug(id: "12"))
struct BundleSignatureCodeTests {
    @Test("The identity error codes and refusal codes of bundle signatures are stable snake_case strings")
    func codes() {
        #expect(IdentityError.Code.bundleKeySetInvalid.description == "bundle_keys_invalid")
        #expect(IdentityError.Code.bundleSigningKeyInvalid.description == "bundle_signing_key_invalid")
        #expect(IdentityError.Code.bundleSigningFailed.description == "bundle_signing_failed")
        #expect(
            [
                BundleSignatureRefusal.malformed, BundleSignatureRefusal.algorithmRefused,
                BundleSignatureRefusal.criticalHeader, BundleSignatureRefusal.unknownKey,
                BundleSignatureRefusal.ambiguousKey, BundleSignatureRefusal.invalid,
            ] == [
                "signature_malformed", "signature_algorithm_refused", "signature_crit_unsupported",
                "signature_unknown_key", "signature_key_ambiguous", "signature_invalid",
            ])
    }
}
