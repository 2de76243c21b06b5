import EnvoyAuthAPI
import Foundation
import GRPCNIOTransportHTTP2
import GatehouseCore
import GatehouseGRPC
import GatehouseIdentity
import GatehouseTestSupport
import Testing
import X509

/// `trustEnvoyPrincipal` is honoured only on a listener trusted for forwarded identities (a Unix
/// socket or a pinned mTLS listener with `trustForwardedIdentity`), and a forwarded certificate
/// must be the one Envoy's principal names.
@Suite("Envoy's principal on trusted channels", .timeLimit(.minutes(2)))
struct TrustedChannelTests {
    static let policy = """
        kind: Policy
        name: principals
        select: { hosts: [principals.gov.example] }
        authentication:
          mtls:
            trustBundle: bundle.pem
            trustDomain: gov.example
            trustEnvoyPrincipal: true
        rules:
          - { name: registry, action: allow, paths: [/records/**], spiffeIds: ["spiffe://gov.example/ns/registry/*"] }
        """

    static let registry = "spiffe://gov.example/ns/registry/sa/api"

    /// Runs `body` with a Unix-socket listener, trusted for forwarded identities or not.
    static func withUnixSocket(
        trusted: Bool,
        _ body: (ForwardedIdentityServer, ListenerPKI) async throws -> Void
    ) async throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        try pki.write(try TestPKI.pem(pki.bundle), "bundle.pem")
        // sockaddr_un holds at most 107 bytes: a short name in the temporary directory.
        let socket = "/tmp/gh-\(UInt32.random(in: 0...UInt32.max)).sock"
        defer { try? FileManager.default.removeItem(atPath: socket) }
        let listener = ListenerConfiguration(address: .unix(path: socket), trustsForwardedIdentity: trusted)
        // The tests read the subject and the cache use from the answers.
        try await ForwardedIdentityServer.with(
            listener: listener, policy: Self.policy, directory: pki.directory, metadata: .full
        ) { server in try await body(server, pki) }
    }

    static func request(
        certificate: Certificate? = nil, principal: String?
    ) throws -> Envoy_Service_Auth_V3_CheckRequest {
        try ForwardedIdentityServer.request(
            host: "principals.gov.example", path: "/records/1", certificate: certificate, principal: principal)
    }

    /// A forwarded leaf issued by the PKI's intermediate (which the policy's bundle holds).
    static func forwarded(_ pki: ListenerPKI, uris: [String] = [Self.registry]) throws -> Certificate {
        var leaf = ListenerPKI.leaf()
        leaf.subject = TestPKI.name("registry-api")
        leaf.uris = uris
        return try TestPKI.issue(leaf, by: pki.intermediate)
    }

    @Test("On a trusted Unix socket the principal is the identity, and the policy decides")
    func trustedSocket() async throws {
        try await Self.withUnixSocket(trusted: true) { server, _ in
            let allowed = try await server.check(try Self.request(principal: Self.registry))
            #expect(allowed.status.code == 0, "\(allowed.dynamicMetadata)")
            #expect(allowed.metadata("subject") == Self.registry)
            let denied = try await server.check(try Self.request(principal: "spiffe://gov.example/ns/other/sa/x"))
            #expect(denied.status.code == 7)
            #expect(denied.metadata("reason") == "no_matching_rule")
            let outside = try await server.check(try Self.request(principal: "spiffe://evil.example/ns/registry/sa/a"))
            #expect(outside.metadata("reason_detail") == "certificate_spiffe_invalid")
        }
    }

    @Test("On a Unix socket not marked trusted the principal is ignored")
    func untrustedSocket() async throws {
        try await Self.withUnixSocket(trusted: false) { server, _ in
            let response = try await server.check(try Self.request(principal: Self.registry))
            #expect(response.status.code == 16)
            #expect(response.metadata("reason") == "missing_credentials")
        }
    }

    @Test(
        "A forwarded certificate must be the one Envoy's principal names (URI SAN, else DNS SAN, else subject)")
    func principalMismatch() async throws {
        try await Self.withUnixSocket(trusted: true) { server, pki in
            let certificate = try Self.forwarded(pki)
            let matching = try await server.check(try Self.request(certificate: certificate, principal: Self.registry))
            #expect(matching.status.code == 0, "\(matching.dynamicMetadata)")
            let mismatch = try await server.check(
                try Self.request(certificate: certificate, principal: "spiffe://gov.example/ns/registry/sa/other"))
            #expect(mismatch.status.code == 16)
            #expect(mismatch.metadata("reason") == "invalid_client_certificate")
            #expect(mismatch.metadata("reason_detail") == "certificate_principal_mismatch")
            // Only the principal differs between these two checks: the cache must not answer the second.
            #expect(mismatch.metadata("cache") == "miss")
        }
    }

    @Test("Without a URI SAN Envoy names the DNS SAN, and without SANs the subject")
    func principalDerivation() throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        let dns = try Self.forwarded(pki, uris: [])
        var leaf = ListenerPKI.leaf()
        leaf.uris = []
        leaf.dnsNames = ["api.registry.gov.example", "other.gov.example"]
        let withDNS = try TestPKI.issue(leaf, by: pki.intermediate)
        #expect(ClientCertificateVerifier.envoyPrincipal("api.registry.gov.example", names: withDNS))
        #expect(!ClientCertificateVerifier.envoyPrincipal("other.gov.example", names: withDNS))
        #expect(ClientCertificateVerifier.envoyPrincipal("CN=registry-api,O=Gatehouse Test", names: dns))
        #expect(!ClientCertificateVerifier.envoyPrincipal("CN=registry-api", names: dns))
    }

    @Test(
        "A pinned mTLS listener trusts the principal only with trustForwardedIdentity",
        arguments: [true, false])
    func pinnedMutualTLS(trusted: Bool) async throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        try pki.write(try TestPKI.pem(pki.bundle), "bundle.pem")
        let listener = ListenerConfiguration(
            address: .tcp(host: "127.0.0.1", port: 0),
            security: .mutualTLS(
                certificateChain: pki.serverCertificate, privateKey: pki.serverKey,
                clients: ClientCertificateSettings(
                    clientCA: "unused: the verifier is given",
                    allowedClients: CallerPolicy(spiffeIDs: ["spiffe://gov.example/envoy/front"]))),
            trustsForwardedIdentity: trusted)
        try await ForwardedIdentityServer.with(
            listener: listener,
            verifier: ClientCertificateVerifier(trustBundle: pki.bundle, crls: [], trustDomain: nil, xroad: []),
            clientSecurity: try pki.client().security(trusting: pki.root.certificate), policy: Self.policy,
            directory: pki.directory
        ) { server in
            let response = try await server.check(try Self.request(principal: Self.registry))
            #expect(response.metadata("reason") == (trusted ? "allowed" : "missing_credentials"))
        }
    }
}
