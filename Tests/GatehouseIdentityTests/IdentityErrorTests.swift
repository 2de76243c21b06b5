import GatehouseCore
import GatehouseIdentity
import Testing

@Suite("Identity errors")
struct IdentityErrorTests {
    private struct Underlying: Error, CustomStringConvertible {
        var description: String { "connection refused" }
    }

    @Test("The lint line names the policy line that refers to the file, the severity and the code")
    func lintLines() {
        let error = IdentityError(
            code: .fileUnreadable, message: "The JWKS file 'keys/x.json' cannot be read.",
            location: SourceLocation(file: "p.yaml", line: 7, column: 13))
        #expect(
            error.errorDescription
                == "p.yaml:7:13: error: identity_file_unreadable: The JWKS file 'keys/x.json' cannot be read.")
        #expect(
            error.warningDescription
                == "p.yaml:7:13: warning: identity_file_unreadable: The JWKS file 'keys/x.json' cannot be read.")
        #expect(IdentityError(code: .secretTooShort, message: "x").errorDescription == "error: secret_too_short: x")
    }

    @Test("The description is code: message, with the cause after it")
    func description() {
        let error = IdentityError(
            code: .keySetFetchFailed, message: "GET https://idp.example/jwks failed.", cause: Underlying())
        #expect(
            error.description == "jwks_fetch_failed: GET https://idp.example/jwks failed. (cause: connection refused)")
        #expect(IdentityError(code: .jsonMalformed, message: "x").description == "json_malformed: x")
    }

    @Test("Equality and hashing ignore the cause")
    func equalityIgnoresCause() {
        let plain = IdentityError(code: .keySetFetchFailed, message: "GET u failed.")
        let caused = IdentityError(code: .keySetFetchFailed, message: "GET u failed.", cause: Underlying())
        #expect(plain == caused)
        #expect(Set([plain, caused]).count == 1)
        #expect(plain != IdentityError(code: .discoveryInvalid, message: "GET u failed."))
    }

    @Test(
        "Codes are stable snake_case strings",
        arguments: [
            (IdentityError.Code.loadFailed, "identity_load_failed"), (.fileUnreadable, "identity_file_unreadable"),
            (.keySetInvalid, "jwks_invalid"), (.keySetHasNoUsableKey, "jwks_no_usable_key"),
            (.secretTooShort, "secret_too_short"), (.keySetFetchFailed, "jwks_fetch_failed"),
            (.revocationListUntrusted, "crl_untrusted"), (.jsonDuplicateMember, "json_duplicate_member"),
        ])
    func codes(code: IdentityError.Code, text: String) {
        #expect(code.description == text)
    }
}
