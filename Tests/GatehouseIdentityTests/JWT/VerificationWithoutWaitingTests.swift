import GatehouseCore
import GatehouseIdentity
import Testing

/// The front doors verify a token on their event loop when nothing must be waited for; what they
/// get must be exactly what the waiting path gives, and anything that needs a key fetch or a
/// certificate chain must be left to it.
@Suite("Verification without waiting")
struct VerificationWithoutWaitingTests {
    typealias Fixture = TokenVerifierTests

    @Test("A token whose kid the loaded set holds verifies at once, as the waiting path verifies it")
    func knownKeyID() async throws {
        let verifier = Fixture.verifier(Fixture.RotatingKeys(initial: Fixture.keySet(kid: "a"), refetched: nil))
        let request = Fixture.request(try Fixture.token(kid: "a"))
        guard case .verified(let now)? = verifier.verifyWithoutWaiting(request),
            case .verified(let waited) = await verifier.verify(request)
        else {
            Issue.record("expected both paths to verify the token")
            return
        }
        #expect(now.issuer == waited.issuer && now.subject == waited.subject)
        #expect(now.expiresAt == waited.expiresAt && now.source == waited.source)
        #expect(now.claims.value(at: ["scope"]) == waited.claims.value(at: ["scope"]))
    }

    @Test("An unknown kid is left to the waiting path, which alone re-fetches")
    func unknownKeyIDWaits() async throws {
        let keys = Fixture.RotatingKeys(initial: Fixture.keySet(kid: "old"), refetched: Fixture.keySet(kid: "new"))
        let verifier = Fixture.verifier(keys)
        let request = Fixture.request(try Fixture.token(kid: "new"))
        #expect(verifier.verifyWithoutWaiting(request) == nil)
        #expect(keys.refetches == 0)
        #expect(await verifier.verify(request).detail == nil)
        #expect(keys.refetches == 1)
        guard case .verified? = verifier.verifyWithoutWaiting(request) else {
            Issue.record("the rotated key should now verify at once")
            return
        }
    }

    @Test(
        "Rejections are decided at once, with the waiting path's reason",
        arguments: [
            (Int64(0), "token_key_unknown"),  // no kid and no key for the algorithm: no re-fetch either way
            (Int64(10_000), "token_expired"),
        ])
    func rejections(offset: Int64, detail: String) async throws {
        let keys = Fixture.RotatingKeys(
            initial: offset == 0 ? KeySet(keys: []) : Fixture.keySet(kid: "a"), refetched: nil)
        let verifier = Fixture.verifier(keys)
        let token = try Fixture.token(kid: offset == 0 ? nil : "a")
        let request = AuthzRequest(
            headers: [("authorization", "Bearer " + token)], time: UnixTime(seconds: Fixture.now + offset))
        #expect(verifier.verifyWithoutWaiting(request)?.detail == detail)
        #expect(await verifier.verify(request).detail == detail)
    }

    @Test("No token and keys not loaded are answered at once")
    func absentAndUnloaded() throws {
        let loaded = Fixture.verifier(Fixture.RotatingKeys(initial: Fixture.keySet(kid: "a"), refetched: nil))
        guard case .absent? = loaded.verifyWithoutWaiting(AuthzRequest()) else {
            Issue.record("a request without a token should be absent at once")
            return
        }
        let unloaded = Fixture.verifier(Fixture.RotatingKeys(initial: nil, refetched: nil))
        #expect(
            unloaded.verifyWithoutWaiting(Fixture.request(try Fixture.token(kid: "a")))?.detail
                == "token_keys_unavailable")
    }

    @Test("A forwarded certificate or the listener peer is left to the waiting path; a trusted principal is not")
    func certificatesWait() throws {
        let authenticator = PolicyAuthenticator(
            tokens: nil,
            certificates: ClientCertificateVerifier(trustBundle: [], crls: [], trustDomain: "gov.example", xroad: []),
            trustsEnvoyPrincipal: true, acceptsListenerPeer: true)
        var forwarded = AuthzRequest(method: "GET", path: "/a", host: "registry.gov.example")
        forwarded.source.certificate = "-----BEGIN%20CERTIFICATE-----"
        #expect(authenticator.identityWithoutWaiting(for: forwarded, caller: CallerFacts()) == nil)

        var principal = AuthzRequest(method: "GET", path: "/a", host: "registry.gov.example")
        principal.source.principal = PolicyAuthenticatorTests.principal
        let trusted = authenticator.identityWithoutWaiting(
            for: principal, caller: CallerFacts(trustsForwardedIdentity: true))
        #expect(trusted?.peer?.spiffeID == PolicyAuthenticatorTests.principal)
        let untrusted = authenticator.identityWithoutWaiting(for: principal, caller: CallerFacts())
        #expect(untrusted != nil && untrusted?.peer == nil)
    }
}
