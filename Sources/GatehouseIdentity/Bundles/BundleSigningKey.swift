import Crypto
import Foundation
import _CryptoExtras

/// A policy admin's private key for signing bundles: Ed25519 (`EdDSA`) or P-256 (`ES256`).
///
/// It writes the compact JWS that ``JWSBundleVerifier`` verifies, with the header
/// `{"alg":…,"kid":…}` and nothing else, and the public JWKS to configure as the servers'
/// bundle keys. `gatehouse bundle sign` uses it.
///
/// ```swift
/// let key = try BundleSigningKey(pem: String(decoding: pemBytes, as: UTF8.self), keyID: "admin-2026")
/// let signature = try key.sign(payload: manifestPayload)
/// let jwks = key.publicJWKS()  // {"keys":[{"kty":"OKP","crv":"Ed25519","x":…,"kid":"admin-2026",…}]}
/// ```
package struct BundleSigningKey: Sendable {
    enum Material: Sendable {
        case ed25519(Curve25519.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
    }

    /// The `kid` written into every signature's header.
    package let keyID: String
    let material: Material

    /// The JWS algorithm the key signs with: `EdDSA` for Ed25519, `ES256` for P-256.
    package var algorithm: String {
        switch self.material {
        case .ed25519: return JWSAlgorithm.edDSA.rawValue
        case .p256: return JWSAlgorithm.es256.rawValue
        }
    }

    /// Reads a private key in PEM.
    ///
    /// - Parameters:
    ///   - pem: PKCS#8 (`PRIVATE KEY`) Ed25519 as `openssl genpkey -algorithm ed25519` writes it,
    ///     PKCS#8 P-256 as `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` writes
    ///     it, or SEC1 (`EC PRIVATE KEY`) P-256 as `openssl ecparam -genkey` writes it.
    ///   - keyID: The `kid` to sign under: the id its public key has in the servers' bundle keys.
    /// - Throws: ``IdentityError`` with ``IdentityError/Code/bundleSigningKeyInvalid`` when the key
    ///   id is empty or the PEM is not one of those keys (encrypted, RSA, another curve, a public key).
    package init(pem: String, keyID: String) throws(IdentityError) {
        guard !keyID.isEmpty else {
            throw Self.invalid(
                "The bundle signing key needs a non-empty key id ('kid'), the one its public key has in the servers' bundle keys."
            )
        }
        self.keyID = keyID
        self.material = try PrivateKeyPEM.material(pem)
    }

    /// Signs `payload` as a compact JWS: `base64url(header).base64url(payload).base64url(signature)`.
    ///
    /// ES256 signatures are the raw `r||s` JWS requires (RFC 7518 §3.4), not DER.
    ///
    /// - Throws: ``IdentityError`` with ``IdentityError/Code/bundleSigningFailed`` if the
    ///   cryptography library fails to sign (it does not for valid keys).
    package func sign(payload: [UInt8]) throws(IdentityError) -> String {
        let header = "{\"alg\":\"\(self.algorithm)\",\"kid\":\(Self.jsonString(self.keyID))}"
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(payload)
        let signature: [UInt8]
        do {
            switch self.material {
            case .ed25519(let key): signature = Array(try key.signature(for: Array(signingInput.utf8)))
            case .p256(let key):
                signature = Array(try key.signature(for: SHA256.hash(data: Array(signingInput.utf8))).rawRepresentation)
            }
        } catch {
            throw IdentityError(
                code: .bundleSigningFailed,
                message: "Signing with the \(self.algorithm) key '\(self.keyID)' failed in the cryptography library.",
                cause: error)
        }
        return signingInput + "." + Base64URL.encode(signature)
    }

    /// The public half as a JWKS document with one key (`kid`, `alg`, `use: sig`), to configure
    /// as (or add to) the servers' bundle keys.
    package func publicJWKS() -> [UInt8] {
        var members: [(String, String)]
        switch self.material {
        case .ed25519(let key):
            members = [("kty", "OKP"), ("crv", "Ed25519"), ("x", Base64URL.encode(key.publicKey.rawRepresentation))]
        case .p256(let key):
            // x963 is 0x04 || x || y, 32 bytes each.
            let point = Array(key.publicKey.x963Representation)
            members = [
                ("kty", "EC"), ("crv", "P-256"), ("x", Base64URL.encode(point[1..<33])),
                ("y", Base64URL.encode(point[33..<65])),
            ]
        }
        members += [("kid", self.keyID), ("alg", self.algorithm), ("use", "sig")]
        let key = members.map { "\(Self.jsonString($0.0)):\(Self.jsonString($0.1))" }.joined(separator: ",")
        return Array("{\"keys\":[{\(key)}]}\n".utf8)
    }

    /// `text` as a JSON string literal (RFC 8259 §7): quotes, backslashes and control characters escaped.
    static func jsonString(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }

    static func invalid(_ message: String) -> IdentityError {
        IdentityError(code: .bundleSigningKeyInvalid, message: message)
    }
}
