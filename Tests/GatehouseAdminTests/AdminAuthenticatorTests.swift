import GatehouseAdmin
import GatehouseCore
import Testing

@Suite("Admin authentication", .bug(id: "12"))
struct AdminAuthenticatorTests {
    static let authenticator = AdminAuthenticator(
        access: AdminAccess(
            tokens: AdminFixture.access.tokens,
            clients: [
                .init(.spiffeID("spiffe://gov.example/ops"), role: .admin),
                .init(.subject("CN=audit,O=Gov"), role: .auditor),
            ]))

    @Test("A certificate with a role is the caller whatever the headers say")
    func certificateWins() {
        let peer = PeerIdentity(spiffeID: "spiffe://gov.example/ops", subject: "CN=ops,O=Gov")
        #expect(
            Self.authenticator.authenticate(authorization: "Bearer \(AdminFixture.metricsToken)", peer: peer)
                == .authenticated(AdminCaller(name: "spiffe://gov.example/ops", credential: .certificate, role: .admin))
        )
        let auditor = PeerIdentity(subject: "CN=audit,O=Gov")
        #expect(
            Self.authenticator.authenticate(authorization: nil, peer: auditor)
                == .authenticated(AdminCaller(name: "CN=audit,O=Gov", credential: .certificate, role: .auditor)))
    }

    @Test("A verified certificate with no role falls back to a token, and without one has no role (403)")
    func certificateWithoutRole() {
        let peer = PeerIdentity(spiffeID: "spiffe://gov.example/other")
        #expect(
            Self.authenticator.authenticate(authorization: nil, peer: peer)
                == .withoutRole(name: "spiffe://gov.example/other"))
        #expect(
            Self.authenticator.authenticate(authorization: "Bearer \(AdminFixture.auditorToken)", peer: peer)
                == .authenticated(AdminCaller(name: "audit", credential: .token, role: .auditor)))
    }

    @Test("No credential is missing (401); an unknown or malformed one is invalid (401)")
    func tokens() {
        #expect(Self.authenticator.authenticate(authorization: nil, peer: nil) == .missing)
        #expect(
            Self.authenticator.authenticate(authorization: "Bearer wrong", peer: nil)
                == .invalid("the bearer token is not known"))
        #expect(
            Self.authenticator.authenticate(authorization: "Token \(AdminFixture.adminToken)", peer: nil)
                == .invalid("the Authorization header is not 'Bearer TOKEN'"))
        // A token differing only in its last character is not accepted.
        #expect(
            Self.authenticator.authenticate(authorization: "Bearer admin-secreT", peer: nil)
                == .invalid("the bearer token is not known"))
        #expect(
            Self.authenticator.authenticate(authorization: "Bearer  \(AdminFixture.adminToken) ", peer: nil)
                == .authenticated(AdminCaller(name: "ops", credential: .token, role: .admin)))
    }

    @Test(
        "Every spelling of the Authorization header reads the token the Envoy path would read",
        arguments: [
            ("Bearer admin-secret", true), ("bearer admin-secret", true), ("BEARER admin-secret", true),
            ("bEaReR admin-secret", true), ("Bearer  admin-secret", true), ("Bearer admin-secret ", true),
            ("Bearer admin-secret\t", true), (" Bearer admin-secret", true), ("Bearer\tadmin-secret", true),
            ("Bearer", false), ("Bearer ", false), ("Bearer admin secret", false), ("Bearez admin-secret", false),
            ("Bearer admin-secret\u{00A0}", false), ("Bearer admin-secrét", false), ("Basic admin-secret", false),
        ])
    func headerSpellings(header: String, accepted: Bool) {
        let outcome = Self.authenticator.authenticate(authorization: header, peer: nil)
        if accepted {
            #expect(outcome == .authenticated(AdminCaller(name: "ops", credential: .token, role: .admin)))
        } else {
            #expect(outcome != .authenticated(AdminCaller(name: "ops", credential: .token, role: .admin)))
            guard case .invalid = outcome else {
                Issue.record("\(header) gave \(outcome), not invalid")
                return
            }
        }
    }
}
