import EnvoyAuthAPI
import Foundation
import GRPCNIOTransportHTTP2
import GatehouseCore
import GatehouseGRPC
import GatehouseIdentity
import GatehouseTestSupport
import Testing
import X509

/// `authentication.mtls.listenerPeer: true`: the mTLS client of the check (a caller speaking
/// ext_authz without Envoy) is the request's source identity when nothing is forwarded, verified
/// against the policy's own trust, and keyed in the decision cache; over a real mTLS listener.
@Suite("Listener peer as the source identity", .timeLimit(.minutes(2)))
struct ListenerPeerIdentityTests {
    static let policy = """
        kind: Policy
        name: peers
        select: { hosts: [peers.gov.example] }
        authentication:
          mtls:
            trustBundle: bundle.pem
            trustDomain: gov.example
            listenerPeer: true
            xroad:
              - uriSAN: "urn:xroad:{instance}:{memberClass}:{memberCode}:{subsystem}"
        rules:
          - { name: front, action: allow, paths: [/records/**], spiffeIds: ["spiffe://gov.example/envoy/front"] }
          - { name: companies, action: allow, paths: [/xroad/**], xroadClients: [GOV/COM/*/*] }
        response:
          allow:
            headers:
              - { name: x-caller, value: "${source.spiffe}" }
              - { name: x-xroad, value: "${source.xroad}" }
        ---
        kind: Policy
        name: foreign
        select: { hosts: [foreign.gov.example] }
        authentication:
          mtls: { trustBundle: foreign.pem, listenerPeer: true }
        rules:
          - { name: anyone-verified, action: allow, authenticated: true }
        ---
        kind: Policy
        name: opted-out
        select: { hosts: [opted-out.gov.example] }
        authentication:
          mtls: { trustBundle: bundle.pem, trustDomain: gov.example }
        rules:
          - { name: anyone-verified, action: allow, authenticated: true }
        """

    /// Runs `body` with an unpinned mTLS listener whose clients the PKI issues.
    static func with(
        _ body: (ForwardedIdentityServer, ListenerPKI) async throws -> Void
    ) async throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        try pki.write(try TestPKI.pem(pki.bundle), "bundle.pem")
        try pki.write(try TestPKI.pem([try TestPKI.root("Foreign Root").certificate]), "foreign.pem")
        let listener = ListenerConfiguration(
            address: .tcp(host: "127.0.0.1", port: 0),
            security: .mutualTLS(
                certificateChain: pki.serverCertificate, privateKey: pki.serverKey,
                clients: ClientCertificateSettings(clientCA: "unused: the verifier is given")))
        let verifier = ClientCertificateVerifier(trustBundle: pki.bundle, crls: [], trustDomain: nil, xroad: [])
        try await ForwardedIdentityServer.with(
            listener: listener, verifier: verifier,
            clientSecurity: try pki.client().security(trusting: pki.root.certificate), policy: Self.policy,
            // The tests read the rule and the cache use from the answers.
            directory: pki.directory, metadata: .full
        ) { server in try await body(server, pki) }
    }

    @Test("The listener peer's SPIFFE ID decides and fills templates")
    func spiffe() async throws {
        try await Self.with { server, _ in
            let response = try await server.check(
                try ForwardedIdentityServer.request(host: "peers.gov.example", path: "/records/1"))
            #expect(response.status.code == 0, "\(response.dynamicMetadata)")
            #expect(response.metadata("rule") == "front")
            #expect(response.allowedHeader("x-caller") == "spiffe://gov.example/envoy/front")
        }
    }

    @Test("The listener peer's X-Road client decides and fills templates")
    func xroad() async throws {
        try await Self.with { server, pki in
            let company = try pki.client {
                $0.uris = ["spiffe://gov.example/envoy/company", "urn:xroad:GOV:COM:12345678:portal"]
            }
            let response = try await server.check(
                try ForwardedIdentityServer.request(host: "peers.gov.example", path: "/xroad/1"),
                security: try company.security(trusting: pki.root.certificate))
            #expect(response.status.code == 0, "\(response.dynamicMetadata)")
            #expect(response.metadata("rule") == "companies")
            #expect(response.allowedHeader("x-xroad") == "GOV/COM/12345678/portal")
        }
    }

    @Test(
        "Two listener peers never share a cached decision",
        .bug(id: "11", "item 4: the cache key must include the listener peer"))
    func cacheKey() async throws {
        try await Self.with { server, pki in
            let request = try ForwardedIdentityServer.request(host: "peers.gov.example", path: "/records/1")
            let other = try pki.client { $0.uris = ["spiffe://gov.example/envoy/other"] }
            let first = try await server.check(request)
            #expect(first.status.code == 0 && first.metadata("cache") == "miss")
            let again = try await server.check(request)
            #expect(again.status.code == 0 && again.metadata("cache") == "hit")
            let denied = try await server.check(request, security: try other.security(trusting: pki.root.certificate))
            #expect(denied.status.code == 7, "\(denied.dynamicMetadata)")
            #expect(denied.metadata("reason") == "no_matching_rule")
            #expect(denied.metadata("cache") == "miss")
        }
    }

    @Test(
        "A policy whose trust bundle does not hold the listener's CA refuses the listener peer")
    func policyTrust() async throws {
        try await Self.with { server, _ in
            let response = try await server.check(
                try ForwardedIdentityServer.request(host: "foreign.gov.example", path: "/records/1"))
            #expect(response.status.code == 16)
            #expect(response.metadata("reason") == "invalid_client_certificate")
            #expect(response.metadata("reason_detail") == "certificate_untrusted")
        }
    }

    @Test("The listener peer counts only where the policy opts in and nothing is forwarded")
    func onlyWhenOptedInAndNothingForwarded() async throws {
        try await Self.with { server, _ in
            let optedOut = try await server.check(
                try ForwardedIdentityServer.request(host: "opted-out.gov.example", path: "/records/1"))
            #expect(optedOut.metadata("reason") == "missing_credentials")
            // An (untrusted) principal says Envoy speaks for a downstream caller: not the peer's identity.
            let forwarded = try await server.check(
                try ForwardedIdentityServer.request(
                    host: "peers.gov.example", path: "/records/1", principal: "spiffe://gov.example/envoy/front"))
            #expect(forwarded.metadata("reason") == "missing_credentials")
        }
    }
}
