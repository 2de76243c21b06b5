import Crypto
import SwiftASN1
import _CryptoExtras

/// Reads a bundle signing key's PEM, telling apart what `openssl` writes so that a wrong key
/// gets a message naming what it is and what to use instead.
enum PrivateKeyPEM {
    private static let ed25519 = ASN1ObjectIdentifier("1.3.101.112")
    private static let x25519 = ASN1ObjectIdentifier("1.3.101.110")
    private static let ecPublicKey = ASN1ObjectIdentifier("1.2.840.10045.2.1")
    private static let rsaEncryption = ASN1ObjectIdentifier("1.2.840.113549.1.1.1")
    private static let howToMake =
        "make one with 'openssl genpkey -algorithm ed25519' or 'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256'"

    static func material(_ pem: String) throws(IdentityError) -> BundleSigningKey.Material {
        let document: PEMDocument
        do {
            document = try PEMDocument(pemString: pem)
        } catch {
            throw BundleSigningKey.invalid("The bundle signing key is not a PEM block; \(Self.howToMake).")
        }
        switch document.discriminator {
        case "PRIVATE KEY": return try Self.pkcs8(document)
        case "EC PRIVATE KEY":
            guard let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) else {
                throw BundleSigningKey.invalid(
                    "The bundle signing key is an EC key on a curve other than P-256, or malformed; bundles are signed with Ed25519 or P-256: \(Self.howToMake)."
                )
            }
            return .p256(key)
        case "RSA PRIVATE KEY":
            throw BundleSigningKey.invalid(
                "The bundle signing key is RSA; bundles are signed with Ed25519 or P-256: \(Self.howToMake).")
        case "ENCRYPTED PRIVATE KEY":
            throw BundleSigningKey.invalid(
                "The bundle signing key is encrypted; decrypt it first ('openssl pkey -in KEY -out PLAIN')."
            )
        case "PUBLIC KEY":
            throw BundleSigningKey.invalid(
                "The bundle signing key is a public key; sign with the private key and give the servers its public JWKS."
            )
        default:
            throw BundleSigningKey.invalid(
                "The bundle signing key is a '\(document.discriminator)' PEM block, not an Ed25519 or P-256 private key; \(Self.howToMake)."
            )
        }
    }

    /// A PKCS#8 `PrivateKeyInfo`: the algorithm identifier decides which key it holds.
    private static func pkcs8(_ document: PEMDocument) throws(IdentityError) -> BundleSigningKey.Material {
        let algorithm: ASN1ObjectIdentifier
        do {
            algorithm = try DER.sequence(DER.parse(document.derBytes), identifier: .sequence) { nodes in
                _ = try Int(derEncoded: &nodes)
                guard let identifier = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "no algorithm") }
                let oid = try DER.sequence(identifier, identifier: .sequence) { fields in
                    let oid = try ASN1ObjectIdentifier(derEncoded: &fields)
                    while fields.next() != nil {}  // the parameters: the key's own parser checks them
                    return oid
                }
                while nodes.next() != nil {}  // the key and attributes: likewise
                return oid
            }
        } catch {
            throw BundleSigningKey.invalid(
                "The bundle signing key is not a well-formed PKCS#8 private key; \(Self.howToMake).")
        }
        switch algorithm {
        case Self.ed25519:
            guard let key = try? Curve25519.Signing.PrivateKey(derRepresentation: document.derBytes) else {
                throw BundleSigningKey.invalid("The bundle signing key is a malformed Ed25519 key; \(Self.howToMake).")
            }
            return .ed25519(key)
        case Self.ecPublicKey:
            guard let key = try? P256.Signing.PrivateKey(derRepresentation: document.derBytes) else {
                throw BundleSigningKey.invalid(
                    "The bundle signing key is an EC key on a curve other than P-256, or malformed; \(Self.howToMake).")
            }
            return .p256(key)
        case Self.rsaEncryption:
            throw BundleSigningKey.invalid(
                "The bundle signing key is RSA; bundles are signed with Ed25519 or P-256: \(Self.howToMake).")
        case Self.x25519:
            throw BundleSigningKey.invalid("The bundle signing key is X25519, a key-agreement key; \(Self.howToMake).")
        default:
            throw BundleSigningKey.invalid(
                "The bundle signing key's algorithm is not Ed25519 or P-256; \(Self.howToMake).")
        }
    }
}
