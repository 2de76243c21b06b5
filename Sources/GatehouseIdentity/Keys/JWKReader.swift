import Crypto
import GatehouseCore
import _CryptoExtras

/// Turns one JWK (RFC 7517 §4) into a ``VerificationKey``, or says why it cannot verify signatures.
enum JWKReader {
    /// The key and any notes worth a warning even though it loaded (e.g. private members present),
    /// or why it was skipped: an ``IdentityError/Code/keySkipped`` error whose message is a clause
    /// for the key set's warnings.
    static func key(_ entry: ClaimValue) -> Result<(VerificationKey, [String]), IdentityError> {
        Result { () throws(IdentityError) in try self.read(entry) }
    }

    private static func problem(_ text: String) -> IdentityError {
        IdentityError(code: .keySkipped, message: text)
    }

    private static func read(_ entry: ClaimValue) throws(IdentityError) -> (VerificationKey, [String]) {
        guard case .object(let members) = entry else { throw Self.problem("it is not a JSON object") }
        let keyID = try self.optionalString(members["kid"], "kid")
        if let use = try self.optionalString(members["use"], "use"), use != "sig" {
            throw Self.problem("'use' is '\(use)', not 'sig'")
        }
        if let operations = members["key_ops"] {
            guard case .array(let items) = operations,
                items.allSatisfy({ if case .string = $0 { true } else { false } })
            else { throw Self.problem("'key_ops' is not an array of strings") }
            guard items.contains(.string("verify")) else { throw Self.problem("'key_ops' does not include 'verify'") }
        }
        var algorithm: JWSAlgorithm? = nil
        if let name = try self.optionalString(members["alg"], "alg") {
            guard let known = JWSAlgorithm(rawValue: name) else {
                throw Self.problem("'alg' is '\(name)', not a signature algorithm Gatehouse verifies")
            }
            algorithm = known
        }
        guard let type = try self.optionalString(members["kty"], "kty") else { throw Self.problem("'kty' is missing") }
        let material = try self.material(type: type, members)
        let key = VerificationKey(keyID: keyID, material: material, algorithm: algorithm)
        if let algorithm, !key.isUsable(for: algorithm) {
            throw Self.problem("'alg' is '\(algorithm.rawValue)', which a '\(type)' key cannot verify")
        }
        // An `oct` key's `k` is the secret itself, and is what it verifies with.
        let hasPrivateParts = members["d"] != nil || members["p"] != nil || (type != "oct" && members["k"] != nil)
        let notes =
            hasPrivateParts ? ["holds private key members; publish only public keys (the public part is used)"] : []
        return (key, notes)
    }

    private static func material(type: String, _ members: [String: ClaimValue]) throws(IdentityError)
        -> VerificationKey.Material
    {
        switch type {
        case "RSA":
            let modulus = try self.bytes(members["n"], "n").drop { $0 == 0 }
            let exponent = try self.bytes(members["e"], "e")
            let bits = modulus.count * 8 - (modulus.first.map { $0.leadingZeroBitCount } ?? 0)
            guard bits >= 2048 else { throw Self.problem("the RSA key has \(bits) bits; at least 2048 are required") }
            guard let key = try? _RSA.Signing.PublicKey(n: Array(modulus), e: exponent) else {
                throw Self.problem("'n' and 'e' do not form an RSA public key")
            }
            return .rsa(key)
        case "EC":
            let curve = try self.optionalString(members["crv"], "crv") ?? ""
            let x = try self.bytes(members["x"], "x")
            let y = try self.bytes(members["y"], "y")
            switch curve {
            case "P-256":
                guard x.count == 32, y.count == 32,
                    let key = try? P256.Signing.PublicKey(x963Representation: [0x04] + x + y)
                else { throw Self.problem("'x' and 'y' are not a P-256 point") }
                return .p256(key)
            case "P-384":
                guard x.count == 48, y.count == 48,
                    let key = try? P384.Signing.PublicKey(x963Representation: [0x04] + x + y)
                else { throw Self.problem("'x' and 'y' are not a P-384 point") }
                return .p384(key)
            default: throw Self.problem("the EC curve '\(curve)' is not supported (P-256, P-384)")
            }
        case "OKP":
            let curve = try self.optionalString(members["crv"], "crv") ?? ""
            guard curve == "Ed25519" else { throw Self.problem("the OKP curve '\(curve)' is not supported (Ed25519)") }
            let x = try self.bytes(members["x"], "x")
            guard x.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: x) else {
                throw Self.problem("'x' is not an Ed25519 public key")
            }
            return .ed25519(key)
        case "oct":
            // Only from a JWKS file: `KeySet.parse` refuses a document from a URL that holds one.
            let secret = try self.bytes(members["k"], "k")
            guard secret.count >= KeySet.minimumSecretBytes else {
                throw Self.problem(
                    "the shared secret ('k') has \(secret.count) bytes; at least \(KeySet.minimumSecretBytes) are required"
                )
            }
            return .sharedSecret(SymmetricKey(data: secret))
        default:
            throw Self.problem("the key type '\(type)' is not supported (RSA, EC, OKP, oct)")
        }
    }

    private static func optionalString(_ value: ClaimValue?, _ name: String) throws(IdentityError) -> String? {
        switch value {
        case nil: return nil
        case .string(let text)?: return text
        default: throw Self.problem("'\(name)' is not a string")
        }
    }

    private static func bytes(_ value: ClaimValue?, _ name: String) throws(IdentityError) -> [UInt8] {
        guard case .string(let text)? = value else { throw Self.problem("'\(name)' is missing or not a string") }
        guard let bytes = Base64URL.decode(text.utf8), !bytes.isEmpty else {
            throw Self.problem("'\(name)' is not unpadded base64url")
        }
        return bytes
    }
}
