import GatehouseCore
import Testing

@Suite("Authorization header credentials")
struct AuthorizationCredentialsTests {
    @Test(
        "The scheme is matched case-insensitively, blanks around and after it ignored",
        arguments: [
            ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER\tabc", "abc"), ("  Bearer   abc  ", "abc"),
            ("bEaReR a.b.c\t", "a.b.c"), ("Bearer", ""), ("Bearer   ", ""),
            // Whatever follows the scheme is the credential; its verification rejects it.
            ("Bearer a b", "a b"), ("Bearer abc\u{00A0}", "abc\u{00A0}"), ("Bearer abé", "abé"),
        ])
    func bearer(value: String, credentials: String) {
        #expect(AuthorizationCredentials.credentials(in: value[...], scheme: "Bearer") == Substring(credentials))
    }

    @Test(
        "Other schemes hold no bearer credentials",
        arguments: ["Basic dXNlcg==", "Bearerabc", "Bearez abc", "Digest x", "Token abc", "", "   ", "Béarer abc"])
    func otherSchemes(value: String) {
        #expect(AuthorizationCredentials.credentials(in: value[...], scheme: "Bearer") == nil)
    }

    @Test("Without a scheme, the whole value, trimmed")
    func bareValue() {
        #expect(AuthorizationCredentials.credentials(in: "  a.b.c \t", scheme: nil) == "a.b.c")
        #expect(AuthorizationCredentials.credentials(in: " \t ", scheme: nil) == "")
    }

    @Test("Trimming keeps a multi-byte character at either end whole")
    func trimmingMultiByte() {
        #expect(AuthorizationCredentials.trimmed(" é x é ") == "é x é")
    }
}
