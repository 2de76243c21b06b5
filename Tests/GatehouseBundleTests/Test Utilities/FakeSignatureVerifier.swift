import Foundation
import GatehouseBundle
import GatehouseCore

/// A stand-in for the JWS verifier: a "signature" is `<base64url {"kid":…}>.<base64url payload>.sig-<kid>`,
/// and verifies when its kid is one of `keys`. Refusals use the real verifier's codes.
struct FakeSignatureVerifier: BundleSignatureVerifier {
    var keys: Set<String>

    func verify(compactJWS: String) -> BundleSignatureVerification {
        let parts = compactJWS.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let header = Self.decode(parts[0]), let payload = Self.decode(parts[1]),
            let object = try? JSONSerialization.jsonObject(with: Data(header)) as? [String: String],
            let kid = object["kid"]
        else { return .refused(code: "signature_malformed", message: "not a compact JWS") }
        guard self.keys.contains(kid) else {
            return .refused(code: "signature_unknown_key", message: "no configured key has kid '\(kid)'")
        }
        guard parts[2] == "sig-" + kid else {
            return .refused(code: "signature_invalid", message: "the signature does not verify")
        }
        return .verified(keyID: kid, payload: payload)
    }

    /// A fake signature by `kid` over `payload`; `valid: false` makes the signature part wrong.
    static func sign(_ payload: [UInt8], kid: String, valid: Bool = true) -> String {
        Self.encode(Array("{\"kid\":\"\(kid)\"}".utf8)) + "." + Self.encode(payload) + "."
            + (valid ? "sig-" + kid : "forged")
    }

    /// A fake signature by `kid` over `manifest`'s signed content.
    static func sign(_ manifest: BundleManifest, kid: String, valid: Bool = true) -> String {
        Self.sign(BundleSignedContent(manifest).payload, kid: kid, valid: valid)
    }

    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> [UInt8]? {
        var text = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: text).map(Array.init)
    }
}
