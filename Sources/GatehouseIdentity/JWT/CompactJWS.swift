import GatehouseCore

/// A compact JWS (RFC 7515 §7.1) split into its segments, header and payload decoded.
///
/// Decoding is split in two so that the verifier can look at the header (`alg`, `crit`)
/// before it spends anything on the payload.
struct CompactJWS {
    /// The token's bytes; the segments are ranges of it.
    let bytes: [UInt8]
    /// Where the first dot is.
    let firstDot: Int
    /// Where the second dot is.
    let secondDot: Int

    /// Splits `token` at its dots.
    ///
    /// - Throws: `token_malformed` unless there are exactly three segments; five base64url ones are named as a JWE.
    init(_ token: Substring) throws(TokenRejection) {
        self.bytes = Array(token.utf8)
        var first = -1
        var second = -1
        var dots = 0
        for (index, byte) in self.bytes.enumerated() where byte == UInt8(ascii: ".") {
            dots += 1
            if dots == 1 { first = index } else if dots == 2 { second = index }
        }
        guard dots == 2 else {
            // Five base64url segments are a JWE; five of anything else are not worth naming as one.
            if dots == 4, self.bytes.allSatisfy({ $0 == UInt8(ascii: ".") || Base64URL.isAlphabet($0) }) {
                throw TokenRejection(
                    .tokenMalformed, "The token is encrypted (a JWE with five segments); send a signed JWS.")
            }
            throw TokenRejection(.tokenMalformed, "The token is not a compact JWS of three dot-separated segments.")
        }
        self.firstDot = first
        self.secondDot = second
    }

    /// The ASCII `header.payload` the signature covers.
    var signingInput: ArraySlice<UInt8> { self.bytes[..<self.secondDot] }

    /// The decoded header object.
    func header() throws(TokenRejection) -> [String: ClaimValue] {
        try Self.object(self.bytes[..<self.firstDot], what: "header")
    }

    /// The decoded payload object.
    func payload() throws(TokenRejection) -> [String: ClaimValue] {
        try Self.object(self.bytes[(self.firstDot + 1)..<self.secondDot], what: "payload")
    }

    /// The decoded signature.
    func signature() throws(TokenRejection) -> [UInt8] {
        guard let bytes = Base64URL.decode(self.bytes[(self.secondDot + 1)...]) else {
            throw TokenRejection(.tokenBadEncoding, "The token's signature is not unpadded base64url.")
        }
        return bytes
    }

    private static func object(_ segment: ArraySlice<UInt8>, what: String) throws(TokenRejection) -> [String:
        ClaimValue]
    {
        guard let json = Base64URL.decode(segment) else {
            throw TokenRejection(.tokenBadEncoding, "The token's \(what) is not unpadded base64url.")
        }
        let value: ClaimValue
        do throws(IdentityError) {
            value = try StrictJSON.parse(json)
        } catch {
            if error.code == .jsonDuplicateMember {
                throw TokenRejection(.tokenDuplicateMember, "The token's \(what) names a member twice.")
            }
            throw TokenRejection(.tokenMalformed, "The token's \(what) is not valid JSON: \(error.message).")
        }
        guard case .object(let members) = value else {
            throw TokenRejection(.tokenMalformed, "The token's \(what) is not a JSON object.")
        }
        return members
    }
}
