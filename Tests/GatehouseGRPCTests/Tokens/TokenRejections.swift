import Crypto
import Foundation
import GatehouseIdentity

/// The catalogue's rejections: every attack and defect the verifier must refuse, each with its reason.
enum TokenRejections {
    typealias M = TokenMinter

    static let all: [TokenCase] = algorithms + structure + keys + claims

    /// A token signed properly by the main RSA key, with `header` members and `claims` as given.
    private static func rsa(
        _ keys: TokenKeys, header: [(String, String)] = M.header("RS256", kid: "rsa-1"),
        claims: [(String, String)] = M.claims()
    ) throws -> String {
        try M.sign(header: JSONText.object(header), payload: JSONText.object(claims), key: keys.rsa, as: .rs256)
    }

    /// A token whose header says `alg` but which carries `signature` (base64url text) as its third segment.
    private static func unsigned(alg: String, signature: String = "") -> String {
        Base64URL.encode(Array(JSONText.object(M.header(alg, kid: nil)).utf8)) + "."
            + Base64URL.encode(Array(JSONText.object(M.claims()).utf8)) + "." + signature
    }

    static let algorithms: [TokenCase] = [
        .bearer("alg none with an empty signature", .invalid("token_alg_none")) { _ in unsigned(alg: "none") },
        .bearer("alg NONE", .invalid("token_alg_none")) { _ in unsigned(alg: "NONE") },
        .bearer("alg None", .invalid("token_alg_none")) { _ in unsigned(alg: "None") },
        .bearer("alg nOnE with a signature", .invalid("token_alg_none")) { _ in unsigned(alg: "nOnE", signature: "c2ln")
        },
        .bearer("RS256 swapped to HS256 with the public key as the HMAC secret", .invalid("token_alg_not_allowed")) {
            try M.token(.hs256, kid: "rsa-1", key: .secret($0.rsaPublicDER))
        },
        .bearer("An HS256 token with another secret", .invalid("token_signature_invalid")) { _ in
            try M.token(
                .hs256, kid: nil, key: .secret(Array("another secret, also at least 32 bytes long".utf8)),
                claims: M.claims(issuer: "https://hs.example"))
        },
        .bearer("An RS256 token for the shared-secret issuer", .invalid("token_alg_not_allowed")) {
            try M.token(.rs256, kid: "rsa-1", key: $0.rsa, claims: M.claims(issuer: "https://hs.example"))
        },
        .bearer("An algorithm Gatehouse does not know", .invalid("token_alg_not_allowed")) {
            try rsa($0, header: M.header("RS1", kid: "rsa-1"))
        },
        .bearer("ES512 is not supported", .invalid("token_alg_not_allowed")) {
            try rsa($0, header: M.header("ES512", kid: "ec-256"))
        },
        .bearer("No alg at all", .invalid("token_malformed")) { try rsa($0, header: [("kid", #""rsa-1""#)]) },
        .bearer("alg as a number", .invalid("token_malformed")) { try rsa($0, header: [("alg", "256")]) },
        .bearer("crit naming exp", .invalid("token_crit_unsupported")) {
            try rsa($0, header: M.header("RS256", kid: "rsa-1", extra: [("crit", #"["exp"]"#), ("exp", "1")]))
        },
        .bearer("crit naming b64 (unencoded payload)", .invalid("token_crit_unsupported")) {
            try rsa($0, header: M.header("RS256", kid: "rsa-1", extra: [("crit", #"["b64"]"#), ("b64", "false")]))
        },
    ]

    static let structure: [TokenCase] = [
        .bearer("Two segments", .invalid("token_malformed")) { keys in
            String(try rsa(keys).split(separator: ".").dropLast().joined(separator: "."))
        },
        .bearer("Four segments", .invalid("token_malformed")) { try rsa($0) + ".c2ln" },
        .bearer("Five segments (a JWE)", .invalid("token_malformed")) { _ in
            Base64URL.encode(Array(#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#.utf8)) + ".a2V5.aXY.Y2lwaGVy.dGFn"
        },
        .bearer("Padded base64", .invalid("token_bad_encoding")) { try rsa($0) + "==" },
        .bearer("The + and / alphabet", .invalid("token_bad_encoding")) { keys in
            // `????` encodes to `Pz8_` in base64url, so the header surely holds a `_` to turn into `/`.
            let token = try rsa(keys, header: M.header("RS256", kid: "rsa-1", extra: [("x", #""?????????""#)]))
            return token.replacingOccurrences(of: "_", with: "/").replacingOccurrences(of: "-", with: "+")
        },
        .bearer("Non-canonical trailing bits in the signature", .invalid("token_bad_encoding")) { keys in
            // 256 signature bytes leave 4 spare bits in the last character; setting one keeps the bytes.
            M.replacingSegment(try rsa(keys), 2) { segment in
                let last = segment.last!  // Cannot fail: a signature segment is never empty here.
                let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
                let index = alphabet.firstIndex(of: last)! | 1  // Cannot fail: `last` is base64url.
                return String(segment.dropLast()) + String(alphabet[index])
            }
        },
        .bearer("A header that is not JSON", .invalid("token_malformed")) { keys in
            M.replacingSegment(try rsa(keys), 0) { _ in Base64URL.encode(Array("alg=RS256".utf8)) }
        },
        .bearer("A header that is a JSON string", .invalid("token_malformed")) { keys in
            M.replacingSegment(try rsa(keys), 0) { _ in Base64URL.encode(Array(#""RS256""#.utf8)) }
        },
        .bearer("Duplicate alg in the header", .invalid("token_duplicate_member")) {
            try rsa($0, header: [("alg", #""RS256""#), ("kid", #""rsa-1""#), ("alg", #""none""#)])
        },
        .bearer("Duplicate exp in the payload", .invalid("token_duplicate_member")) {
            try rsa($0, claims: M.claims() + [("exp", "\(M.now + 99_999)")])
        },
        .bearer("A duplicate member nested in a claim", .invalid("token_duplicate_member")) {
            try rsa($0, claims: M.claims() + [("realm", #"{"roles":["a"],"roles":["b"]}"#)])
        },
        .bearer("A payload that is an array", .invalid("token_malformed")) { keys in
            try M.sign(
                header: JSONText.object(M.header("RS256", kid: "rsa-1")), payload: #"[{"iss":"https://idp.example"}]"#,
                key: keys.rsa, as: .rs256)
        },
        .bearer("A payload with text after the object", .invalid("token_malformed")) {
            try M.sign(
                header: JSONText.object(M.header("RS256", kid: "rsa-1")), payload: JSONText.object(M.claims()) + "x",
                key: $0.rsa, as: .rs256)
        },
        .bearer("A payload with a lone surrogate escape", .invalid("token_malformed")) {
            try rsa($0, claims: M.setting(M.claims(), "sub", #""\ud800x""#))
        },
        .bearer("A payload with invalid UTF-8", .invalid("token_malformed")) { keys in
            var payload = Array(JSONText.object(M.claims()).utf8)
            payload.insert(contentsOf: [0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x2C], at: 1)  // "\xC3(":1,
            let input =
                Base64URL.encode(Array(JSONText.object(M.header("RS256", kid: "rsa-1")).utf8)) + "."
                + Base64URL.encode(payload)
            return input + "." + Base64URL.encode(try keys.rsa.sign(Array(input.utf8), as: .rs256))
        },
        .bearer("A number with a leading zero", .invalid("token_malformed")) {
            try rsa($0, claims: M.setting(M.claims(), "exp", "0\(M.now + 3600)"))
        },
        .bearer("A 100 KB token is rejected before decoding", .invalid("token_too_large")) { _ in
            String(repeating: "!", count: 100 * 1024)
        },
        .bearer("A token just over the 8 KB limit", .invalid("token_too_large")) {
            try rsa($0, claims: M.claims() + [("pad", "\"" + String(repeating: "p", count: 6000) + "\"")])
        },
    ]

    static let keys: [TokenCase] = [
        .bearer("An unknown kid", .invalid("token_key_unknown")) { try M.token(.rs256, kid: "rsa-2", key: $0.rsa) },
        .bearer("kid as a number", .invalid("token_malformed")) {
            try rsa($0, header: [("alg", #""RS256""#), ("kid", "1")])
        },
        .bearer("The kid of an EC key on an RS256 token", .invalid("token_key_unknown")) {
            try M.token(.rs256, kid: "ec-256", key: $0.rsa)
        },
        .bearer("No kid with two usable P-256 keys", .invalid("token_key_ambiguous")) {
            try M.token(.es256, kid: nil, key: $0.p256)
        },
        .bearer("Signed by another issuer's key, claiming our iss, with our kid", .invalid("token_signature_invalid")) {
            try M.token(.rs256, kid: "rsa-1", key: $0.otherRSA)
        },
        .bearer("Signed by another issuer's key, claiming our iss, with its kid", .invalid("token_key_unknown")) {
            try M.token(.rs256, kid: "other-1", key: $0.otherRSA)
        },
        .bearer("Signed by the key in its own jwk header", .invalid("token_signature_invalid")) {
            try M.token(.rs256, kid: nil, key: $0.otherRSA, headerExtra: [("jwk", try $0.otherRSA.jwk(kid: "other-1"))])
        },
        .bearer("Signed by a key behind its own jku, naming that key's kid", .invalid("token_key_unknown")) {
            try M.token(
                .rs256, kid: "other-1", key: $0.otherRSA, headerExtra: [("jku", #""https://evil.example/jwks""#)])
        },
        .bearer("Signed by the key in its own x5c, with our kid", .invalid("token_signature_invalid")) {
            try M.token(.es256, kid: "ec-256", key: $0.otherP256, headerExtra: [("x5c", #"["MIIBattacker"]"#)])
        },
        .bearer("Signature tampered", .invalid("token_signature_invalid")) {
            M.flippingSignatureBit(try M.token(.rs256, kid: "rsa-1", key: $0.rsa))
        },
        .bearer("Payload tampered (role changed after signing)", .invalid("token_signature_invalid")) { keys in
            M.replacingSegment(try M.token(.es256, kid: "ec-256", key: keys.p256, claims: M.claims(role: "guest")), 1) {
                _ in
                Base64URL.encode(Array(JSONText.object(M.claims()).utf8))
            }
        },
        .bearer("Header tampered (PS256 signature relabelled RS256)", .invalid("token_signature_invalid")) { keys in
            M.replacingSegment(try M.token(.ps256, kid: "rsa-1", key: keys.rsa), 0) { _ in
                Base64URL.encode(Array(JSONText.object(M.header("RS256", kid: "rsa-1")).utf8))
            }
        },
        .bearer("A DER-encoded ECDSA signature", .invalid("token_signature_malformed")) { keys in
            guard case .p256(let key) = keys.p256 else { throw SigningKeyMismatch() }
            let input =
                Base64URL.encode(Array(JSONText.object(M.header("ES256", kid: "ec-256")).utf8)) + "."
                + Base64URL.encode(Array(JSONText.object(M.claims()).utf8))
            return input + "." + Base64URL.encode(try key.signature(for: Array(input.utf8)).derRepresentation)
        },
        .bearer("A truncated RSA signature", .invalid("token_signature_malformed")) { keys in
            M.replacingSegment(try M.token(.rs256, kid: "rsa-1", key: keys.rsa), 2) { segment in
                Base64URL.encode(Base64URL.decode(segment.utf8)!.dropLast(16))  // Cannot fail: minted above.
            }
        },
        .bearer("An empty signature on an RS256 token", .invalid("token_signature_malformed")) { keys in
            M.replacingSegment(try M.token(.rs256, kid: "rsa-1", key: keys.rsa), 2) { _ in "" }
        },
        .bearer("An ES256 signature with one byte too many", .invalid("token_signature_malformed")) { keys in
            M.replacingSegment(try M.token(.es256, kid: "ec-256", key: keys.p256), 2) { segment in
                Base64URL.encode(Base64URL.decode(segment.utf8)! + [0])  // Cannot fail: minted above.
            }
        },
    ]

    static let claims: [TokenCase] = [
        .bearer("exp 61 s ago is outside the leeway", .invalid("token_expired")) {
            try rsa($0, claims: M.setting(M.claims(), "exp", "\(M.now - 61)"))
        },
        .bearer("exp exactly the leeway ago is expired", .invalid("token_expired")) {
            try rsa($0, claims: M.setting(M.claims(), "exp", "\(M.now - 60)"))
        },
        .bearer("exp a day ago", .invalid("token_expired")) {
            try rsa($0, claims: M.setting(M.claims(), "exp", "\(M.now - 86_400)"))
        },
        .bearer("nbf two minutes ahead", .invalid("token_not_yet_valid")) {
            try rsa($0, claims: M.claims() + [("nbf", "\(M.now + 120)")])
        },
        .bearer("iat two minutes ahead", .invalid("token_issued_in_future")) {
            try rsa($0, claims: M.setting(M.claims(), "iat", "\(M.now + 120)"))
        },
        .bearer("exp as a string", .invalid("token_claim_invalid")) {
            try rsa($0, claims: M.setting(M.claims(), "exp", "\"\(M.now + 3600)\""))
        },
        .bearer("exp beyond year 9999", .invalid("token_claim_invalid")) {
            try rsa($0, claims: M.setting(M.claims(), "exp", "253402300800"))
        },
        .bearer("exp as 1e400 (overflows a double)", .invalid("token_claim_invalid")) {
            try rsa($0, claims: M.setting(M.claims(), "exp", "1e400"))
        },
        .bearer("nbf as true", .invalid("token_claim_invalid")) { try rsa($0, claims: M.claims() + [("nbf", "true")]) },
        .bearer("No exp, which is required by default", .invalid("token_claim_missing")) {
            try rsa($0, claims: M.removing(M.claims(), "exp"))
        },
        .bearer("A wrong iss", .invalid("token_issuer_unknown")) {
            try rsa($0, claims: M.claims(issuer: "https://idp.example.evil"))
        },
        .bearer("iss differing only in case", .invalid("token_issuer_unknown")) {
            try rsa($0, claims: M.claims(issuer: "https://IDP.example"))
        },
        .bearer("No iss", .invalid("token_issuer_unknown")) { try rsa($0, claims: M.removing(M.claims(), "iss")) },
        .bearer("iss as an array", .invalid("token_claim_invalid")) {
            try rsa($0, claims: M.setting(M.claims(), "iss", #"["https://idp.example"]"#))
        },
        .bearer("A wrong aud string", .invalid("token_audience_mismatch")) {
            try rsa($0, claims: M.setting(M.claims(), "aud", #""someone-else""#))
        },
        .bearer("A wrong aud array", .invalid("token_audience_mismatch")) {
            try rsa($0, claims: M.setting(M.claims(), "aud", #"["a","b"]"#))
        },
        .bearer("No aud where audiences are configured", .invalid("token_audience_mismatch")) {
            try rsa($0, claims: M.removing(M.claims(), "aud"))
        },
        .bearer("aud as a number", .invalid("token_claim_invalid")) {
            try rsa($0, claims: M.setting(M.claims(), "aud", "7"))
        },
        .bearer("sub as a number", .invalid("token_claim_invalid")) {
            try rsa($0, claims: M.setting(M.claims(), "sub", "42"))
        },
    ]
}
