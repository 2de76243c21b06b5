import GatehouseIdentity

/// The token catalogue: every algorithm that must verify, and where tokens may be presented.
enum TokenCatalogue {
    typealias M = TokenMinter

    static let all: [TokenCase] = valid + sources + TokenRejections.all + sharedSecretKeyIDs + joinedHeaders

    /// One valid token per algorithm, plus the policy deciding on a verified identity.
    static let valid: [TokenCase] = [
        .bearer("RS256 verifies", .allowed) { try M.token(.rs256, kid: "rsa-1", key: $0.rsa) },
        .bearer("RS384 verifies", .allowed) { try M.token(.rs384, kid: "rsa-1", key: $0.rsa) },
        .bearer("RS512 verifies", .allowed) { try M.token(.rs512, kid: "rsa-1", key: $0.rsa) },
        .bearer("PS256 verifies", .allowed) { try M.token(.ps256, kid: "rsa-1", key: $0.rsa) },
        .bearer("PS384 verifies", .allowed) { try M.token(.ps384, kid: "rsa-1", key: $0.rsa) },
        .bearer("PS512 verifies", .allowed) { try M.token(.ps512, kid: "rsa-1", key: $0.rsa) },
        .bearer("ES256 verifies", .allowed) { try M.token(.es256, kid: "ec-256", key: $0.p256) },
        .bearer("ES256 with the second P-256 key verifies", .allowed) {
            try M.token(.es256, kid: "ec-256-b", key: $0.p256Second)
        },
        .bearer("ES384 verifies", .allowed) { try M.token(.es384, kid: "ec-384", key: $0.p384) },
        .bearer("EdDSA verifies", .allowed) { try M.token(.edDSA, kid: "ed-1", key: $0.ed25519) },
        .bearer("HS256 with the configured secret verifies", .allowed) {
            try M.token(.hs256, kid: nil, key: $0.secret, claims: M.claims(issuer: "https://hs.example"))
        },
        .bearer("HS384 with the configured secret verifies", .allowed) {
            try M.token(.hs384, kid: nil, key: $0.secret, claims: M.claims(issuer: "https://hs.example"))
        },
        .bearer("HS512 with the configured secret verifies", .allowed) {
            try M.token(.hs512, kid: nil, key: $0.secret, claims: M.claims(issuer: "https://hs.example"))
        },
        .bearer("Without kid, the issuer's only RSA key verifies", .allowed) {
            try M.token(.rs256, kid: nil, key: $0.rsa)
        },
        .bearer("An aud array holding our audience verifies", .allowed) {
            try M.token(.rs256, kid: "rsa-1", key: $0.rsa, claims: M.setting(M.claims(), "aud", #"["x","gatehouse"]"#))
        },
        .bearer("A verified caller without the role is forbidden", .forbidden) {
            try M.token(.rs256, kid: "rsa-1", key: $0.rsa, claims: M.claims(role: "writer"))
        },
        .bearer("exp 30 s ago is inside the 60 s leeway", .allowed) {
            try M.token(.rs256, kid: "rsa-1", key: $0.rsa, claims: M.setting(M.claims(), "exp", "\(M.now - 30)"))
        },
        .bearer("nbf 30 s ahead is inside the leeway", .allowed) {
            try M.token(.rs256, kid: "rsa-1", key: $0.rsa, claims: M.claims() + [("nbf", "\(M.now + 30)")])
        },
        .bearer("iat 30 s ahead is inside the leeway", .allowed) {
            try M.token(.rs256, kid: "rsa-1", key: $0.rsa, claims: M.setting(M.claims(), "iat", "\(M.now + 30)"))
        },
        .bearer("A fractional exp is a NumericDate too", .allowed) {
            try M.token(.rs256, kid: "rsa-1", key: $0.rsa, claims: M.setting(M.claims(), "exp", "\(M.now + 10).5"))
        },
        .bearer("jku, x5u, jwk and x5c in the header are ignored when the configured key verifies", .allowed) {
            try M.token(
                .rs256, kid: "rsa-1", key: $0.rsa,
                headerExtra: [
                    ("jku", #""https://evil.example/jwks""#), ("x5u", #""https://evil.example/cert""#),
                    ("jwk", try $0.otherRSA.jwk(kid: "other-1")), ("x5c", #"["MIIB"]"#),
                ])
        },
    ]

    /// Where tokens are looked for: schemes, cookies, query parameters, named headers.
    static let sources: [TokenCase] = [
        TokenCase("The Bearer scheme in lower case", .allowed) { keys in
            let token = try M.token(.rs256, kid: "rsa-1", key: keys.rsa)
            return .init(headers: ["authorization": "bearer " + token], tokens: [token])
        },
        TokenCase("The Bearer scheme in upper case with extra spaces", .allowed) { keys in
            let token = try M.token(.rs256, kid: "rsa-1", key: keys.rsa)
            return .init(headers: ["authorization": "  BEARER    \(token)  "], tokens: [token])
        },
        TokenCase("The Basic scheme is no bearer token: missing credentials", .missing) { _ in
            .init(headers: ["authorization": "Basic dXNlcjpwYXNz"])
        },
        TokenCase("No credentials at all", .missing) { _ in .init() },
        TokenCase("Bearer without a token", .invalid("token_malformed")) { _ in
            .init(headers: ["authorization": "Bearer   "])
        },
        TokenCase("A token in the configured cookie", .allowed) { keys in
            let token = try M.token(.rs256, kid: "rsa-1", key: keys.rsa)
            return .init(headers: ["cookie": "theme=dark; session=\(token); lang=et"], tokens: [token])
        },
        TokenCase("The same token in the header and the cookie", .allowed) { keys in
            let token = try M.token(.rs256, kid: "rsa-1", key: keys.rsa)
            return .init(headers: ["authorization": "Bearer " + token, "cookie": "session=" + token], tokens: [token])
        },
        TokenCase("Two different tokens in the header and the cookie", .invalid("token_ambiguous")) { keys in
            let first = try M.token(.rs256, kid: "rsa-1", key: keys.rsa)
            let second = try M.token(.es256, kid: "ec-256", key: keys.p256)
            return .init(
                headers: ["authorization": "Bearer " + first, "cookie": "session=" + second], tokens: [first, second])
        },
        TokenCase("A cookie of another name is not read", .missing) { keys in
            let token = try M.token(.rs256, kid: "rsa-1", key: keys.rsa)
            return .init(headers: ["cookie": "sessionid=" + token], tokens: [token])
        },
        TokenCase("A partner token in its query parameter", .allowed) { keys in
            let token = try M.token(
                .es256, kid: "ec-256", key: keys.p256, claims: M.claims(issuer: "https://partner.example"))
            return .init(query: "access_token=" + token, tokens: [token])
        },
        TokenCase("A partner token in its named header without a scheme", .allowed) { keys in
            let token = try M.token(
                .es256, kid: "ec-256", key: keys.p256, claims: M.claims(issuer: "https://partner.example"))
            return .init(headers: ["x-partner-token": token], tokens: [token])
        },
        TokenCase("A query token for an issuer that reads no query parameter", .invalid("token_source_not_allowed")) {
            keys in
            let token = try M.token(.rs256, kid: "rsa-1", key: keys.rsa)
            return .init(query: "access_token=" + token, tokens: [token])
        },
        TokenCase("A query parameter no issuer reads is not looked at", .missing) { keys in
            let token = try M.token(.rs256, kid: "rsa-1", key: keys.rsa)
            return .init(query: "token=" + token, tokens: [token])
        },
        TokenCase(
            "A partner token in the Authorization header, which the partner does not read",
            .invalid("token_source_not_allowed")
        ) {
            keys in
            let token = try M.token(
                .es256, kid: "ec-256", key: keys.p256, claims: M.claims(issuer: "https://partner.example"))
            return .bearer(token)
        },
        TokenCase("A partner token with RS256, which the partner does not allow", .invalid("token_alg_not_allowed")) {
            keys in
            let token = try M.token(
                .rs256, kid: "rsa-1", key: keys.rsa, claims: M.claims(issuer: "https://partner.example"))
            return .init(headers: ["x-partner-token": token], tokens: [token])
        },
    ]
}
