import GatehouseCore
import GatehouseIdentity
import Testing

/// Envoy's `source.principal` stands in for a certificate only when the policy trusts it and the
/// check came over a listener trusted for forwarded identities; a presented certificate or token
/// always goes first.
@Suite("Policy authenticator")
struct PolicyAuthenticatorTests {
    static let principal = "spiffe://gov.example/ns/registry/sa/api"

    static func authenticator(trusting: Bool) -> PolicyAuthenticator {
        PolicyAuthenticator(
            tokens: nil,
            certificates: ClientCertificateVerifier(trustBundle: [], crls: [], trustDomain: "gov.example", xroad: []),
            trustsEnvoyPrincipal: trusting)
    }

    static func request(principal: String?) -> AuthzRequest {
        var request = AuthzRequest(method: "GET", path: "/a", host: "registry.gov.example")
        request.source.principal = principal
        return request
    }

    @Test(
        "The principal is believed only with trustEnvoyPrincipal on a listener trusted for forwarded identities",
        arguments: [(true, true, true), (true, false, false), (false, true, false), (false, false, false)])
    func principalTrust(policyTrusts: Bool, listenerTrusted: Bool, believed: Bool) async {
        let identity = await Self.authenticator(trusting: policyTrusts).identity(
            for: Self.request(principal: Self.principal),
            caller: CallerFacts(trustsForwardedIdentity: listenerTrusted))
        #expect((identity.peer?.spiffeID == Self.principal) == believed)
        #expect(identity.credentialFailure == nil)
    }

    @Test("A pinned mTLS caller alone does not make the principal believed: the listener must trust it")
    func pinnedIsNotEnough() async {
        let identity = await Self.authenticator(trusting: true).identity(
            for: Self.request(principal: Self.principal), caller: CallerFacts(isPinnedMutualTLS: true))
        #expect(identity.peer == nil && identity.credentialFailure == nil)
    }

    @Test("A trusted principal outside the trust domain is an invalid client certificate")
    func principalOutsideTrustDomain() async {
        let identity = await Self.authenticator(trusting: true).identity(
            for: Self.request(principal: "spiffe://evil.example/ns/x/sa/y"),
            caller: CallerFacts(trustsForwardedIdentity: true))
        #expect(identity.peer == nil)
        #expect(identity.credentialFailure?.reason == .invalidClientCertificate)
        #expect(identity.credentialFailure?.detail?.code == "certificate_spiffe_invalid")
    }

    @Test("A policy without authentication sees every caller as anonymous")
    func noAuthentication() async throws {
        let authenticators = PolicyAuthenticators(byPolicy: [nil])
        let identity = try await authenticators.identity(
            for: Self.request(principal: Self.principal), policyIndex: 0, caller: CallerFacts(isPinnedMutualTLS: true))
        #expect(!identity.isAuthenticated && identity.credentialFailure == nil)
        let error = await #expect(throws: IdentityError.self) {
            _ = try await authenticators.identity(
                for: Self.request(principal: nil), policyIndex: 3, caller: CallerFacts())
        }
        #expect(error?.code == .revisionInconsistent)
    }
}
