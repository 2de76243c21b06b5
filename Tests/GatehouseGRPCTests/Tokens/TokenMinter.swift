import GatehouseIdentity

/// Makes compact JWS text from raw header and payload JSON, signed or deliberately broken.
struct TokenMinter {
    /// The catalogue's reference time: every token's times are relative to it, and every check is sent at it.
    static let now: Int64 = 1_750_000_000

    /// A header with `alg` and, when given, `kid`, plus extra raw members.
    static func header(_ algorithm: String, kid: String?, extra: [(String, String)] = []) -> [(String, String)] {
        [("alg", "\"\(algorithm)\"")] + (kid.map { [("kid", "\"\($0)\"")] } ?? []) + extra
    }

    /// The claims of a token that passes every check for `issuer`, as raw JSON members.
    static func claims(issuer: String = "https://idp.example", role: String = "reader") -> [(String, String)] {
        [
            ("iss", "\"\(issuer)\""), ("sub", "\"user-42\""), ("aud", "\"gatehouse\""),
            ("exp", "\(Self.now + 3600)"), ("iat", "\(Self.now - 60)"), ("role", "[\"\(role)\"]"),
        ]
    }

    /// `members` with `name` set to `value` (replaced in place, or appended).
    static func setting(_ members: [(String, String)], _ name: String, _ value: String) -> [(String, String)] {
        guard members.contains(where: { $0.0 == name }) else { return members + [(name, value)] }
        return members.map { $0.0 == name ? (name, value) : $0 }
    }

    /// `members` without `name`.
    static func removing(_ members: [(String, String)], _ name: String) -> [(String, String)] {
        members.filter { $0.0 != name }
    }

    /// Signs `header.payload` (given as JSON text) with `key` as `algorithm`.
    static func sign(header: String, payload: String, key: SigningKey, as algorithm: JWSAlgorithm) throws -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        return input + "." + Base64URL.encode(try key.sign(Array(input.utf8), as: algorithm))
    }

    /// A normal token: `alg`/`kid` header and `claims`, signed with `key`.
    static func token(
        _ algorithm: JWSAlgorithm, kid: String?, key: SigningKey, claims: [(String, String)] = claims(),
        headerExtra: [(String, String)] = []
    ) throws -> String {
        try self.sign(
            header: JSONText.object(self.header(algorithm.rawValue, kid: kid, extra: headerExtra)),
            payload: JSONText.object(claims), key: key, as: algorithm)
    }

    /// `token` with segment `index` replaced by `transform` of it.
    static func replacingSegment(_ token: String, _ index: Int, _ transform: (String) -> String) -> String {
        var parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        parts[index] = transform(parts[index])
        return parts.joined(separator: ".")
    }

    /// `token`'s signature with one bit flipped.
    static func flippingSignatureBit(_ token: String) -> String {
        self.replacingSegment(token, 2) { segment in
            // Cannot fail: the segment was produced by Base64URL.encode.
            var bytes = Base64URL.decode(segment.utf8)!
            bytes[bytes.count / 2] ^= 0x01
            return Base64URL.encode(bytes)
        }
    }
}
