import GatehouseCore
import GatehouseIdentity
import Testing

/// Envoy's `headers` map joins repeated headers with `,`; two tokens joined so are two tokens.
@Suite("Token extraction from joined headers")
struct JoinedHeaderTests {
    static let locations = [TokenLocation.bearerAuthorization, TokenLocation(.header("x-api-token"))]

    static func found(_ headers: [(String, String)]) -> TokenExtractor.Found {
        TokenExtractor.find(in: AuthzRequest(headers: headers), locations: Self.locations)
    }

    @Test(
        "Two different bearer tokens joined by Envoy are token_ambiguous",
        arguments: [
            "Bearer a.b.c,Bearer d.e.f", "Bearer a.b.c, Bearer d.e.f", "bearer a.b.c ,BEARER\td.e.f",
            "Bearer a.b.c,Bearer a.b.c,Bearer d.e.f",
        ])
    func twoBearerTokens(value: String) {
        #expect(Self.found([("authorization", value)]) == .ambiguous)
    }

    @Test("Joined, as in the raw header map: the same verdict either way")
    func joinedEqualsRepeated() {
        #expect(Self.found([("authorization", "Bearer a.b.c"), ("authorization", "Bearer d.e.f")]) == .ambiguous)
        #expect(Self.found([("x-api-token", "a.b.c,d.e.f")]) == .ambiguous)
        #expect(Self.found([("x-api-token", "a.b.c"), ("x-api-token", "d.e.f")]) == .ambiguous)
    }

    @Test(
        "One token with parts that hold none (another scheme, a bare scheme, nothing) is that token",
        arguments: [
            "Bearer a.b.c,Basic dXNlcjpwYXNz", "Basic dXNlcjpwYXNz, Bearer a.b.c", "Bearer a.b.c,", ",Bearer a.b.c",
            "Bearer a.b.c, ,", "Bearer a.b.c,Bearer a.b.c", "Bearer,Bearer a.b.c",
        ])
    func oneToken(value: String) {
        #expect(Self.found([("authorization", value)]) == .token("a.b.c", [.header("authorization")]))
    }

    @Test("Joined values that hold no token at all are none, or empty when a bare scheme came")
    func noToken() {
        #expect(Self.found([("authorization", "Basic x,Digest y")]) == .none)
        #expect(Self.found([("authorization", "Bearer,Bearer ")]) == .empty)
    }

    @Test("The verifier calls Envoy's join of two Authorization headers token_ambiguous, not a JWE")
    func verifierSaysAmbiguous() async {
        let verifier = TokenVerifier(issuers: [
            IssuerSettings(issuer: "https://idp.example", keys: StaticKeySet(KeySet(keys: [])))
        ])
        let result = await verifier.verify(AuthzRequest(headers: [("authorization", "Bearer a.b.c,Bearer d.e.f")]))
        guard case .rejected(let failure) = result else {
            Issue.record("expected a rejection, got \(result)")
            return
        }
        #expect(failure.detail == .tokenAmbiguous)
        #expect(!failure.description.contains("JWE"))
    }

    @Test("Five segments of base64url are still named as a JWE; five of anything else are not")
    func fiveSegments() async {
        func description(_ token: String) async -> String {
            let request = AuthzRequest(headers: [("x-token", token)])
            let verifier = TokenVerifier(issuers: [
                IssuerSettings(
                    issuer: "https://idp.example", sources: [TokenLocation(.header("x-token"))],
                    keys: StaticKeySet(KeySet(keys: [])))
            ])
            guard case .rejected(let failure) = await verifier.verify(request) else { return "not rejected" }
            #expect(failure.detail == .tokenMalformed)
            return failure.description
        }
        #expect(await description("eyJh.a2V5.aXY.Y2lwaGVy.dGFn").contains("JWE"))
        #expect(await !description("a.b.c d.e.f").contains("JWE"))
    }
}
