import Crypto
import GatehouseCore
import GatehouseIdentity
import Synchronization
import Testing

@Suite("Token verifier")
struct TokenVerifierTests {
    static let issuer = "https://idp.example"
    static let now: Int64 = 1_750_000_000
    static let key = P256.Signing.PrivateKey()

    /// An ES256 token for ``issuer`` with `kid`, signed by ``key``.
    static func token(kid: String?, claims: String? = nil) throws -> String {
        let header = kid.map { #"{"alg":"ES256","kid":"\#($0)"}"# } ?? #"{"alg":"ES256"}"#
        let payload = claims ?? #"{"iss":"\#(issuer)","sub":"u1","exp":\#(now + 60),"scope":"read"}"#
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        return input + "." + Base64URL.encode(try Self.key.signature(for: Array(input.utf8)).rawRepresentation)
    }

    static func request(_ token: String) -> AuthzRequest {
        AuthzRequest(headers: [("authorization", "Bearer " + token)], time: UnixTime(seconds: Self.now))
    }

    /// Keys that start as `initial` and become `refetched` on the first unknown `kid`, counting the re-fetches.
    final class RotatingKeys: KeySetProvider {
        private let state: Mutex<(current: KeySet?, next: KeySet?, refetches: Int)>

        init(initial: KeySet?, refetched: KeySet?) {
            self.state = Mutex((initial, refetched, 0))
        }

        var current: KeySet? { self.state.withLock { $0.current } }
        var refetches: Int { self.state.withLock { $0.refetches } }

        func keysAfterUnknownKeyID(_ keyID: String) async -> KeySet? {
            self.state.withLock { state in
                state.refetches += 1
                if let next = state.next { state.current = next }
                return state.current
            }
        }
    }

    static func keySet(kid: String) -> KeySet {
        KeySet(keys: [VerificationKey(keyID: kid, material: .p256(Self.key.publicKey))])
    }

    static func verifier(_ keys: any KeySetProvider) -> TokenVerifier {
        TokenVerifier(issuers: [IssuerSettings(issuer: Self.issuer, algorithms: [.es256], keys: keys)])
    }

    @Test("A verified token carries issuer, subject, claims, expiry and source")
    func verified() async throws {
        let result = await Self.verifier(StaticKeySet(Self.keySet(kid: "a"))).verify(
            Self.request(try Self.token(kid: "a")))
        guard case .verified(let token) = result else {
            Issue.record("expected a verified token, got \(result)")
            return
        }
        #expect(token.issuer == Self.issuer)
        #expect(token.subject == "u1")
        #expect(token.expiresAt == UnixTime(seconds: Self.now + 60))
        #expect(token.claims.value(at: ["scope"]) == .string("read"))
        #expect(token.source == .header("authorization"))
    }

    @Test("No token is absent, not rejected")
    func absent() async {
        let result = await Self.verifier(StaticKeySet(Self.keySet(kid: "a"))).verify(AuthzRequest())
        guard case .absent = result else {
            Issue.record("expected absent, got \(result)")
            return
        }
    }

    @Test("Keys not loaded yet reject with token_keys_unavailable")
    func keysUnavailable() async throws {
        let result = await Self.verifier(RotatingKeys(initial: nil, refetched: nil)).verify(
            Self.request(try Self.token(kid: "a")))
        #expect(result.detail == "token_keys_unavailable")
    }

    @Test("An unknown kid re-fetches once and then verifies with the rotated key")
    func unknownKeyIDRefetches() async throws {
        let keys = RotatingKeys(initial: Self.keySet(kid: "old"), refetched: Self.keySet(kid: "new"))
        let verifier = Self.verifier(keys)
        #expect(await verifier.verify(Self.request(try Self.token(kid: "new"))).detail == nil)
        #expect(keys.refetches == 1)
        #expect(await verifier.verify(Self.request(try Self.token(kid: "new"))).detail == nil)
        #expect(keys.refetches == 1, "a known kid does not re-fetch")
    }

    @Test("An unknown kid that a re-fetch does not bring is token_key_unknown")
    func unknownKeyIDStaysUnknown() async throws {
        let keys = RotatingKeys(initial: Self.keySet(kid: "old"), refetched: nil)
        let result = await Self.verifier(keys).verify(Self.request(try Self.token(kid: "gone")))
        #expect(result.detail == "token_key_unknown")
        #expect(keys.refetches == 1)
    }

    @Test("A token without kid never triggers a re-fetch")
    func noKeyIDNoRefetch() async throws {
        let keys = RotatingKeys(initial: KeySet(keys: []), refetched: Self.keySet(kid: "a"))
        #expect(await Self.verifier(keys).verify(Self.request(try Self.token(kid: nil))).detail == "token_key_unknown")
        #expect(keys.refetches == 0)
    }

    @Test("The request's time is now: the same token is valid before exp plus leeway and expired after")
    func requestTimeIsNow() async throws {
        let verifier = Self.verifier(StaticKeySet(Self.keySet(kid: "a")))
        let token = try Self.token(kid: "a")
        for (offset, detail) in [(0, nil), (119, nil), (120, "token_expired"), (10_000, "token_expired")]
            as [(Int64, String?)]
        {
            let request = AuthzRequest(
                headers: [("authorization", "Bearer " + token)], time: UnixTime(seconds: Self.now + offset))
            #expect(await verifier.verify(request).detail == detail, "at now + \(offset) s")
        }
    }

    @Test("Rejection descriptions never contain the token or any of its segments")
    func noEcho() async throws {
        let token = try Self.token(kid: "zzz")
        let result = await Self.verifier(StaticKeySet(Self.keySet(kid: "a"))).verify(Self.request(token))
        guard case .rejected(let failure) = result else {
            Issue.record("expected a rejection")
            return
        }
        for segment in token.split(separator: ".") { #expect(!failure.description.contains(segment)) }
        #expect(!failure.description.contains("zzz"))
    }
}

extension TokenVerification {
    /// The `reason_detail` code of a rejection, `nil` otherwise.
    var detail: String? {
        if case .rejected(let failure) = self { return failure.detail?.code }
        return nil
    }
}
