import GatehouseIdentity

extension TokenKeys {
    /// The first `oct` secret of the fixture's JWKS file (`kid` `oct-2024`).
    static let octFirst = SigningKey.secret(Array("the first oct secret of the JWKS file, 32+ bytes".utf8))
    /// The second `oct` secret (`kid` `oct-2025`, `alg` HS512 only).
    static let octSecond = SigningKey.secret(Array("the second oct secret of the JWKS file, rotated in".utf8))

    /// The fixture's `octs.jwks`: both secrets as `oct` keys.
    static var octJWKS: String {
        guard case .secret(let first) = octFirst, case .secret(let second) = octSecond else { return "" }
        return """
            {"keys":[\
            {"kty":"oct","kid":"oct-2024","k":"\(Base64URL.encode(first))"},\
            {"kty":"oct","kid":"oct-2025","alg":"HS512","k":"\(Base64URL.encode(second))"}]}
            """
    }
}

extension TokenCatalogue {
    /// Issue #11 item 8: shared secrets with a key id (`secretFile` + `kid`, `oct` keys in a JWKS file).
    static let sharedSecretKeyIDs: [TokenCase] = [
        .bearer("HS256 naming the kid of the issuer's secretFile verifies", .allowed) {
            try M.token(.hs256, kid: "hs-1", key: $0.secret, claims: M.claims(issuer: "https://hs-kid.example"))
        },
        .bearer("HS256 without kid for a secretFile with a kid verifies", .allowed) {
            try M.token(.hs256, kid: nil, key: $0.secret, claims: M.claims(issuer: "https://hs-kid.example"))
        },
        .bearer("HS256 naming another kid than the secretFile's is token_key_unknown", .invalid("token_key_unknown")) {
            try M.token(.hs256, kid: "hs-2", key: $0.secret, claims: M.claims(issuer: "https://hs-kid.example"))
        },
        .bearer("HS256 naming a kid for a secretFile without one is token_key_unknown", .invalid("token_key_unknown")) {
            try M.token(.hs256, kid: "hs-1", key: $0.secret, claims: M.claims(issuer: "https://hs.example"))
        },
        .bearer("HS256 naming the first oct key of the JWKS file verifies", .allowed) { _ in
            try M.token(
                .hs256, kid: "oct-2024", key: TokenKeys.octFirst, claims: M.claims(issuer: "https://octs.example"))
        },
        .bearer("HS512 naming the second oct key of the JWKS file verifies", .allowed) { _ in
            try M.token(
                .hs512, kid: "oct-2025", key: TokenKeys.octSecond, claims: M.claims(issuer: "https://octs.example"))
        },
        .bearer("HS256 naming the HS512-only oct key is token_key_unknown", .invalid("token_key_unknown")) { _ in
            try M.token(
                .hs256, kid: "oct-2025", key: TokenKeys.octSecond, claims: M.claims(issuer: "https://octs.example"))
        },
        .bearer("HS512 signed with the first oct secret but naming the second", .invalid("token_signature_invalid")) {
            _ in
            try M.token(
                .hs512, kid: "oct-2025", key: TokenKeys.octFirst, claims: M.claims(issuer: "https://octs.example"))
        },
        .bearer("HS256 naming a kid the JWKS file lacks is token_key_unknown", .invalid("token_key_unknown")) { _ in
            try M.token(
                .hs256, kid: "oct-2023", key: TokenKeys.octFirst, claims: M.claims(issuer: "https://octs.example"))
        },
        .bearer(
            "HS512 without kid, which both oct keys could verify, is token_key_ambiguous",
            .invalid("token_key_ambiguous")
        ) { _ in
            try M.token(.hs512, kid: nil, key: TokenKeys.octFirst, claims: M.claims(issuer: "https://octs.example"))
        },
        .bearer("An RS256 token for the oct issuer is token_alg_not_allowed", .invalid("token_alg_not_allowed")) {
            try M.token(.rs256, kid: "rsa-1", key: $0.rsa, claims: M.claims(issuer: "https://octs.example"))
        },
        .bearer(
            "HS256 for the main issuer keyed with an oct secret is token_alg_not_allowed",
            .invalid("token_alg_not_allowed")
        ) { _ in
            try M.token(.hs256, kid: "oct-2024", key: TokenKeys.octFirst)
        },
    ]

    /// Issue #11 item 11: Envoy joins repeated headers with `,` in the `headers` map.
    static let joinedHeaders: [TokenCase] = [
        TokenCase("Two Authorization headers joined by Envoy are token_ambiguous", .invalid("token_ambiguous")) {
            keys in
            let first = try M.token(.rs256, kid: "rsa-1", key: keys.rsa)
            let second = try M.token(.es256, kid: "ec-256", key: keys.p256)
            return .init(headers: ["authorization": "Bearer \(first),Bearer \(second)"], tokens: [first, second])
        },
        TokenCase("Two partner headers joined by Envoy are token_ambiguous", .invalid("token_ambiguous")) { keys in
            let claims = M.claims(issuer: "https://partner.example")
            let first = try M.token(.es256, kid: "ec-256", key: keys.p256, claims: claims)
            let second = try M.token(.es256, kid: "ec-256-b", key: keys.p256Second, claims: claims)
            return .init(headers: ["x-partner-token": "\(first), \(second)"], tokens: [first, second])
        },
        TokenCase("A bearer token joined with a Basic credential is the bearer token", .allowed) { keys in
            let token = try M.token(.rs256, kid: "rsa-1", key: keys.rsa)
            return .init(headers: ["authorization": "Basic dXNlcjpwYXNz,Bearer \(token)"], tokens: [token])
        },
        TokenCase("The same bearer token joined twice is that token", .allowed) { keys in
            let token = try M.token(.rs256, kid: "rsa-1", key: keys.rsa)
            return .init(headers: ["authorization": "Bearer \(token),Bearer \(token)"], tokens: [token])
        },
    ]
}
