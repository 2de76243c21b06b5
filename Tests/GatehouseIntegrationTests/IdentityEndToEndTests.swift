import Foundation
import GatehouseTestSupport
import Testing

/// The example policies in `policies/`, verifying real credentials through Envoy 1.40: access
/// tokens minted by PyJWT (a real JOSE library) and the callers' client certificates that
/// Envoy forwards under downstream mTLS. The policies are used as shipped; only their trust
/// anchors are swapped for the fresh development CA and identity-provider key of the run.
@Suite("Identity end to end through a real Envoy", .serialized, .timeLimit(.minutes(5)))
struct IdentityEndToEndTests {
    /// One request through Envoy and what must come back.
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var path = "/births/1987-0042"
        var token: Token?
        var authorization: (@Sendable (String) -> String)?
        var certificate: String?
        var status: Int
        var detail: String?

        var description: String { self.name }
    }

    /// How the case's token is made.
    enum Token: Sendable {
        /// Minted by PyJWT with the development identity provider's key.
        case issued(alg: String = "RS256", kid: String = "idp-dev-1", claims: Claims)
        /// Minted by PyJWT with a key the policy does not trust, claiming the trusted issuer.
        case attacker(claims: Claims)
        /// Unsigned (`alg: none`).
        case unsigned(claims: Claims)
        /// HS256 with the issuer's public key as the HMAC secret (algorithm confusion).
        case publicKeyAsSecret(claims: Claims)
        /// Printed by `gatehouse certs token` (the README's quick start) for a clerk.
        case developmentCommand
        /// A valid token whose payload is swapped for another after signing.
        case payloadSwapped(signed: Claims, shown: Claims)
    }

    /// A JSON claims object, kept as text so that cases are Sendable.
    struct Claims: Sendable {
        var json: String
    }

    static func clerk(_ overrides: [String: Any] = [:]) -> Claims {
        var claims: [String: Any] = [
            "iss": "https://idp.gov.example", "aud": "civil-registry", "sub": "alice", "exp": "+600", "iat": "-5",
            "realm_access": ["roles": ["clerk"]],
        ]
        for (key, value) in overrides { claims[key] = value }
        let data = try! JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])
        return Claims(json: String(decoding: data, as: UTF8.self))
    }

    static let cases: [Case] = [
        Case(name: "a clerk's RS256 token minted by PyJWT", token: .issued(claims: clerk()), status: 200),
        Case(name: "a clerk's token from 'gatehouse certs token'", token: .developmentCommand, status: 200),
        Case(
            name: "Bearer in lower case with extra spaces", token: .issued(claims: clerk()),
            authorization: { "bearer    \($0)  " }, status: 200),
        Case(
            name: "a valid token without the clerk role is forbidden",
            token: .issued(claims: clerk(["realm_access": ["roles": ["visitor"]]])), status: 403),
        Case(
            name: "expired beyond the leeway", token: .issued(claims: clerk(["exp": "-120"])), status: 401,
            detail: "token_expired"),
        Case(
            name: "expired inside the 60 s leeway", token: .issued(claims: clerk(["exp": "-20"])), status: 200),
        Case(
            name: "not yet valid", token: .issued(claims: clerk(["nbf": "+600"])), status: 401,
            detail: "token_not_yet_valid"),
        Case(
            name: "another audience", token: .issued(claims: clerk(["aud": "health"])), status: 401,
            detail: "token_audience_mismatch"),
        Case(
            name: "another issuer", token: .issued(claims: clerk(["iss": "https://evil.example"])), status: 401,
            detail: "token_issuer_unknown"),
        Case(
            name: "signed by an untrusted key claiming our issuer", token: .attacker(claims: clerk()), status: 401,
            detail: "token_signature_invalid"),
        Case(name: "alg none", token: .unsigned(claims: clerk()), status: 401, detail: "token_alg_none"),
        Case(
            name: "HS256 with the issuer's public key as secret", token: .publicKeyAsSecret(claims: clerk()),
            status: 401, detail: "token_alg_not_allowed"),
        Case(
            name: "payload swapped after signing (visitor → auditor)",
            token: .payloadSwapped(
                signed: clerk(["realm_access": ["roles": ["visitor"]]]),
                shown: clerk(["realm_access": ["roles": ["auditor"]]])),
            status: 401, detail: "token_signature_invalid"),
        Case(
            name: "unknown kid", token: .issued(kid: "rotated-away", claims: clerk()), status: 401,
            detail: "token_key_unknown"),
        Case(
            name: "a token under another scheme is no credential", token: .issued(claims: clerk()),
            authorization: { "Basic \($0)" }, status: 401, detail: nil),
        Case(
            name: "the death registry's SPIFFE certificate reads a birth record's status",
            path: "/births/1987-0042/status", certificate: "death-registry", status: 200),
        Case(
            name: "the civil registry's own SPIFFE certificate has no rule for it", path: "/births/1987-0042/status",
            certificate: "civil-registry", status: 403),
        Case(
            name: "an X-Road partner certificate (GOV/GOV/70000001/civil-registry) reads a birth record",
            certificate: "xroad-civil-registry", status: 200),
        Case(
            name: "a certificate from the trusted CA whose SPIFFE ID is in another trust domain",
            certificate: "foreign-domain", status: 401, detail: "certificate_spiffe_invalid"),
        Case(name: "no credential at all", status: 401, detail: nil),
    ]

    @Test("Tokens and client certificates through Envoy, with the example policies", arguments: Self.cases)
    func examplePolicies(_ testCase: Case) async throws {
        // Callers with a certificate come in over downstream mTLS, the others over plain HTTP.
        let envoyConfig = testCase.certificate == nil ? "front-proxy.yaml" : "front-proxy-mtls.yaml"
        try await withTemporaryDirectory("e2e-identity-policies") { policies in
            try await Deployment.with(
                envoyConfig: envoyConfig, policies: policies,
                prepare: { certificates in
                    try Self.copyExamplePolicies(to: policies, trusting: certificates)
                    try await Self.issueForeignDomainCertificate(in: certificates)
                }
            ) { deployment in
                try await Self.check(testCase, through: deployment)
            }
        }
    }

    /// The certificate cases again through Envoy's HTTP mode (`front-proxy-http-mtls.yaml`): Envoy
    /// verifies the caller's certificate and hands it to the HTTP door in `x-forwarded-client-cert`,
    /// which verifies it as the gRPC door verifies a forwarded peer certificate: the same answers.
    @Test(
        "Client certificates through Envoy's HTTP mode, in x-forwarded-client-cert",
        arguments: Self.cases.filter { $0.certificate != nil })
    func examplePoliciesInHTTPMode(_ testCase: Case) async throws {
        try await withTemporaryDirectory("e2e-identity-http") { policies in
            try await Deployment.with(
                envoyConfig: "front-proxy-http-mtls.yaml", policies: policies,
                prepare: { certificates in
                    try Self.copyExamplePolicies(to: policies, trusting: certificates)
                    try await Self.issueForeignDomainCertificate(in: certificates)
                }
            ) { deployment in
                // A denial in HTTP mode carries no decision metadata for Envoy's access log (only
                // x-gatehouse-decision-id), so the status alone is compared.
                try await Self.check(testCase, through: deployment, detailInAccessLog: false)
            }
        }
    }

    /// A certificate is public: a caller who pastes the death registry's into `x-forwarded-client-cert`
    /// must gain nothing. Envoy's HTTP-mode files drop a caller's header (plaintext: the default
    /// `SANITIZE`; mTLS: `SANITIZE_SET` writes the caller's own), so the door, which trusts the header
    /// on its Unix socket, never sees the pasted one.
    @Test("A certificate pasted into x-forwarded-client-cert is no credential in HTTP mode")
    func forgedForwardedCertificate() async throws {
        for (envoyConfig, certificate, status) in [
            ("front-proxy-http.yaml", nil, 401), ("front-proxy-http-mtls.yaml", "civil-registry", 403),
        ] {
            try await withTemporaryDirectory("e2e-identity-xfcc") { policies in
                try await Deployment.with(
                    envoyConfig: envoyConfig, policies: policies,
                    prepare: { try Self.copyExamplePolicies(to: policies, trusting: $0) }
                ) { deployment in
                    let pem = try String(
                        contentsOf: deployment.certificates.appendingPathComponent("death-registry.pem"),
                        encoding: .utf8)
                    let encoded = pem.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                    let forged = #"Cert="\#(encoded)";URI=spiffe://gov.example/ns/death-registry/sa/api"#
                    let path = "/births/1987-0042/status"
                    let response = try deployment.request(
                        path, headers: [("x-forwarded-client-cert", forged)], clientCertificate: certificate)
                    #expect(response.status == status, "\(envoyConfig): \(response)\n\(deployment.gatehouse.log)")
                    if let certificate {
                        // The caller's own certificate decides, as it does without the header (the
                        // death registry's, genuinely presented, is allowed: examplePoliciesInHTTPMode).
                        let own = try deployment.request(path, clientCertificate: certificate)
                        #expect(own.status == status)
                    }
                }
            }
        }
    }

    /// Sends the case's request through Envoy, then stops the deployment and checks its logs.
    private static func check(
        _ testCase: Case, through deployment: Deployment, detailInAccessLog: Bool = true
    ) async throws {
        var headers: [(String, String)] = []
        var token: String?
        if let recipe = testCase.token {
            let minted = try await Self.mint(recipe, certificates: deployment.certificates)
            token = minted
            headers.append(("authorization", testCase.authorization?(minted) ?? "Bearer \(minted)"))
        }
        let response = try deployment.request(testCase.path, headers: headers, clientCertificate: testCase.certificate)
        #expect(response.status == testCase.status, "\(response)\n\(deployment.gatehouse.log)")
        if testCase.status == 200 {
            #expect(response.upstreamHeader("authorization") == nil, "the token must not reach the registry")
            let subject = testCase.token == nil ? nil : "alice"
            if let subject { #expect(response.upstreamHeader("x-gatehouse-subject") == subject) }
        }
        if testCase.status == 401, testCase.certificate == nil {
            let challenge = response.header("www-authenticate") ?? ""
            #expect(challenge.hasPrefix(#"Bearer realm="civil-registry""#))
            if testCase.detail != nil { #expect(challenge.contains(#"error="invalid_token""#)) }
        }
        await deployment.stop()
        let log = deployment.envoy.log + deployment.gatehouse.log
        if let detail = testCase.detail, detailInAccessLog {
            #expect(log.contains("detail=\(detail)"), "\(deployment.envoy.log)")
        }
        if let token {
            #expect(!log.contains(token), "a raw token must never be logged")
            #expect(!response.body.contains(token) && !response.headers.contains { $0.value.contains(token) })
        }
    }

    /// Copies `policies/` into `directory`, trusting the run's development CA and IdP key set.
    static func copyExamplePolicies(to directory: URL, trusting certificates: URL) throws {
        let files = FileManager.default
        try files.removeItem(at: directory)
        try files.copyItem(at: Repository.examplePolicies, to: directory)
        for (source, target) in [("ca.pem", "certs/ca-bundle.pem"), ("idp.jwks.json", "keys/idp.jwks.json")] {
            let destination = directory.appendingPathComponent(target)
            try files.removeItem(at: destination)
            try files.copyItem(at: certificates.appendingPathComponent(source), to: destination)
        }
    }

    /// A client certificate from the run's development CA, valid for TLS (so Envoy accepts it),
    /// naming `spiffe://evil.example/…`, outside the example policies' trust domain.
    static func issueForeignDomainCertificate(in certificates: URL) async throws {
        let path = { (name: String) in certificates.appendingPathComponent(name).path }
        let extensions = """
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=clientAuth
            subjectAltName=URI:spiffe://evil.example/ns/civil-registry/sa/api
            """
        try Data(extensions.utf8).write(to: certificates.appendingPathComponent("foreign.ext"))
        try await Self.run(
            "/usr/bin/openssl",
            [
                "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                path("foreign-domain-dev-key.pem"),
            ])
        try await Self.run(
            "/usr/bin/openssl",
            [
                "req", "-new", "-key", path("foreign-domain-dev-key.pem"), "-subj", "/CN=foreign", "-out",
                path("foreign.csr"),
            ])
        try await Self.run(
            "/usr/bin/openssl",
            [
                "x509", "-req", "-in", path("foreign.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca-dev-key.pem"),
                "-CAcreateserial", "-days", "1", "-extfile", path("foreign.ext"), "-out", path("foreign-domain.pem"),
            ])
    }

    static func mint(_ token: Token, certificates: URL) async throws -> String {
        let idpKey = certificates.appendingPathComponent("idp-dev-key.pem").path
        switch token {
        case .issued(let alg, let kid, let claims):
            return try await Self.runMint(key: idpKey, alg: alg, kid: kid, claims: claims)
        case .attacker(let claims):
            let key = certificates.appendingPathComponent("attacker-key.pem").path
            try await Self.run("/usr/bin/openssl", ["genpkey", "-algorithm", "RSA", "-out", key])
            return try await Self.runMint(key: key, alg: "RS256", kid: "idp-dev-1", claims: claims)
        case .unsigned(let claims):
            return try await Self.runMint(key: idpKey, alg: "none", kid: "idp-dev-1", claims: claims)
        case .publicKeyAsSecret(let claims):
            let publicKey = certificates.appendingPathComponent("idp-public.pem").path
            try await Self.run("/usr/bin/openssl", ["pkey", "-in", idpKey, "-pubout", "-out", publicKey])
            return try await Self.runMint(
                key: publicKey, alg: "HS256-WITH-PUBLIC-KEY", kid: "idp-dev-1", claims: claims)
        case .developmentCommand:
            return try await Self.run(
                Repository.gatehouse.path,
                [
                    "certs", "token", "--key", idpKey, "--subject", "alice", "--audience", "civil-registry", "--claim",
                    "realm_access.roles=clerk",
                ]
            ).trimmingCharacters(in: .whitespacesAndNewlines)
        case .payloadSwapped(let signed, let shown):
            let genuine = try await Self.runMint(key: idpKey, alg: "RS256", kid: "idp-dev-1", claims: signed)
            let forged = try await Self.runMint(key: idpKey, alg: "RS256", kid: "idp-dev-1", claims: shown)
            let a = genuine.split(separator: "."), b = forged.split(separator: ".")
            return "\(a[0]).\(b[1]).\(a[2])"
        }
    }

    private static func runMint(key: String, alg: String, kid: String, claims: Claims) async throws -> String {
        let json = claims.json
        return try await Self.run(
            try await Provisioning.python(), [Provisioning.script("mint_token.py"), key, alg, kid, json]
        )
        .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs a command and returns its standard output; throws with everything it printed when it fails.
    @discardableResult
    private static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        // The async overload: the child is awaited on a thread of its own, not a cooperative one.
        let result = try await ProcessRunner.run(executable, arguments)
        guard result.status == 0 else {
            throw ChildProcessError(message: "\(executable) \(arguments.first ?? "") failed: \(result.combined)")
        }
        return result.stdout
    }
}
