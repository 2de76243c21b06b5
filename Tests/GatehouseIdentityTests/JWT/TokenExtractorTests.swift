import GatehouseCore
import GatehouseIdentity
import Testing

@Suite("Token extraction")
struct TokenExtractorTests {
    // How a header value is read (scheme, blanks) is AuthorizationCredentialsTests' (GatehouseCore).

    @Test("Cookies are split on ';', matched by exact name, unquoted")
    func cookies() {
        #expect(TokenExtractor.cookies(named: "session", in: "a=1; session=x.y.z; b=2") == ["x.y.z"])
        #expect(TokenExtractor.cookies(named: "session", in: "session=\"q.r.s\"") == ["q.r.s"])
        #expect(TokenExtractor.cookies(named: "session", in: "Session=x; sessionid=y; session") == [])
    }

    static let locations = [
        TokenLocation.bearerAuthorization, TokenLocation(.cookie("session")), TokenLocation(.query("access_token")),
    ]

    @Test("Where a token is found, and when two differ")
    func find() {
        func found(_ headers: [(String, String)], path: String = "/") -> TokenExtractor.Found {
            TokenExtractor.find(in: AuthzRequest(path: path, headers: headers), locations: Self.locations)
        }
        #expect(found([]) == .none)
        #expect(found([("authorization", "Basic x")]) == .none)
        #expect(found([("authorization", "Bearer ")]) == .empty)
        #expect(found([("Authorization", "Bearer t")]) == .token("t", [.header("authorization")]))
        #expect(
            found([("cookie", "session=t")], path: "/?access_token=t")
                == .token("t", [.cookie("session"), .query("access_token")]))
        #expect(found([("authorization", "Bearer t"), ("cookie", "session=u")]) == .ambiguous)
        #expect(found([("authorization", "Bearer t"), ("authorization", "Bearer u")]) == .ambiguous)
        #expect(found([], path: "/?token=t") == .none)
    }
}
