import Crypto
import EnvoyAuthAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GatehouseCore
import GatehouseGRPC
import GatehouseIdentity
import GatehouseTestSupport
import InMemoryLogging
import Logging
import SwiftASN1
import SwiftProtobuf
import Synchronization
import Testing
import X509

/// mTLS listeners, over loopback with grpc-swift's TLS client: the client's
/// chain is verified during the handshake with the rules of a forwarded certificate (a refusal
/// fails the handshake and is logged with its `certificate_*` code), and `allowedClients` is
/// applied per check with a denying CheckResponse, never a gRPC error.
@Suite("mTLS listeners verify their clients like any client certificate", .timeLimit(.minutes(1)))
struct ListenerMutualTLSTests {

    /// What a case's client gets.
    enum Outcome: Equatable, CustomStringConvertible {
        /// The check is answered with this gRPC status in the CheckResponse and this `reason`.
        case answered(status: Int32, reason: String)
        /// The handshake is refused; the server logs this code.
        case refused(String)

        var description: String {
            switch self {
            case .answered(let status, let reason): "answered \(status) \(reason)"
            case .refused(let code): "refused \(code)"
            }
        }
    }

    /// Runs one check from `client` against an mTLS listener and says what came of it.
    static func outcome(
        pki: ListenerPKI, client: ListenerPKI.Client, crls: [CertificateRevocationList] = [],
        trustDomain: String? = "gov.example",
        allowedClients: CallerPolicy = CallerPolicy(spiffeIDs: ["spiffe://gov.example/envoy/front"])
    ) async throws -> Outcome {
        let logs = InMemoryLogHandler()
        let logger = Logger(label: "listener-tls") { _ in logs }
        let verifier = ClientCertificateVerifier(
            trustBundle: pki.bundle, crls: crls, trustDomain: trustDomain, xroad: [])
        let security = ListenerConfiguration.Security.mutualTLS(
            certificateChain: pki.serverCertificate, privateKey: pki.serverKey,
            clients: ClientCertificateSettings(
                clientCA: "unused: the verifier is given", allowedClients: allowedClients))
        let clientSecurity = try client.security(trusting: pki.root.certificate)
        let result = try await TLSLoopbackServer.with(
            security: security, verifier: verifier, logger: logger
        ) { port in
            await Result { try await TLSLoopbackServer.check(port: port, security: clientSecurity) }
        }
        switch result {
        case .success(let response):
            let reason = response.dynamicMetadata.fields["reason"]?.stringValue ?? ""
            return .answered(status: response.status.code, reason: reason)
        case .failure(let error):
            let refusals = logs.entries.filter { $0.message.description.contains("client certificate refused") }
            guard let code = refusals.first?.metadata["gatehouse.reason"] else {
                Issue.record("The check failed without a logged refusal: \(error)")
                return .refused("")
            }
            #expect((error as? RPCError)?.code == .unavailable, "a refused handshake is a connection failure")
            return .refused(code.description)
        }
    }

    @Test("A pinned client with a valid chain is served")
    func pinnedAllowed() async throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        let outcome = try await Self.outcome(pki: pki, client: try pki.client())
        #expect(outcome == .answered(status: 0, reason: "allowed"))
    }

    @Test(
        "A valid client outside allowedClients gets a denying CheckResponse (caller_not_allowed), not an error")
    func unpinnedDenied() async throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        let client = try pki.client { $0.uris = ["spiffe://gov.example/envoy/other"] }
        let outcome = try await Self.outcome(pki: pki, client: client)
        #expect(outcome == .answered(status: 7, reason: "caller_not_allowed"))
    }

    @Test("A client pinned by subject is served; the subject is RFC 4514 text")
    func pinnedBySubject() async throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        let outcome = try await Self.outcome(
            pki: pki, client: try pki.client(),
            allowedClients: CallerPolicy(subjects: ["CN=envoy-front,O=Gatehouse Test"]))
        #expect(outcome == .answered(status: 0, reason: "allowed"))
    }

    @Test("A CA certificate as the client's leaf is refused", .bug(id: "11"))
    func caLeafRefused() async throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        let outcome = try await Self.outcome(pki: pki, client: try pki.client { $0.isCA = true })
        #expect(outcome == .refused("certificate_is_ca"))
    }

    @Test("A revoked client certificate is refused (tls.crls)", .bug(id: "11"))
    func revokedRefused() async throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        let serial = Certificate.SerialNumber(4242)
        let client = try pki.client { $0.serialNumber = serial }
        let outcome = try await Self.outcome(
            pki: pki, client: client, crls: [try pki.crl(revoking: [serial])])
        #expect(outcome == .refused("certificate_revoked"))
    }

    @Test("A second SPIFFE URI SAN is refused", .bug(id: "11"))
    func secondURIRefused() async throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        let client = try pki.client {
            $0.uris = ["spiffe://gov.example/envoy/front", "spiffe://gov.example/envoy/other"]
        }
        let outcome = try await Self.outcome(pki: pki, client: client)
        #expect(outcome == .refused("certificate_spiffe_invalid"))
    }

    @Test("A SPIFFE ID outside tls.trustDomain is refused")
    func wrongTrustDomainRefused() async throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        let client = try pki.client { $0.uris = ["spiffe://evil.example/envoy/front"] }
        let outcome = try await Self.outcome(pki: pki, client: client)
        #expect(outcome == .refused("certificate_spiffe_invalid"))
    }

    @Test("A chain from another root is refused, even presenting its own root")
    func foreignRootRefused() async throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        let stranger = try TestPKI.root("Stranger Root")
        var leaf = ListenerPKI.leaf()
        leaf.key = .init()
        let client = ListenerPKI.Client(
            chain: [try TestPKI.issue(leaf, by: stranger), stranger.certificate], key: leaf.key)
        let outcome = try await Self.outcome(pki: pki, client: client)
        #expect(outcome == .refused("certificate_untrusted"))
    }

    @Test(
        "An intermediate only the client sends builds the path to a root of the bundle")
    func presentedIntermediate() async throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        let other = try TestPKI.intermediate("Client-Sent Issuing CA", issuer: pki.root)
        let leaf = ListenerPKI.leaf()
        let client = ListenerPKI.Client(chain: [try TestPKI.issue(leaf, by: other), other.certificate], key: leaf.key)
        let outcome = try await Self.outcome(pki: pki, client: client)
        #expect(outcome == .answered(status: 0, reason: "allowed"))
    }

    @Test("An expired client certificate is refused")
    func expiredRefused() async throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        let client = try pki.client {
            $0.notBefore = ListenerPKI.now - 30 * TestPKI.day
            $0.notAfter = ListenerPKI.now - TestPKI.day
        }
        let outcome = try await Self.outcome(pki: pki, client: client)
        #expect(outcome == .refused("certificate_expired"))
    }

    @Test(
        "A connection that outlives its client certificate has its later checks denied (certificate_expired)")
    func expiresDuringConnection() async throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        let client = try pki.client { $0.notAfter = ListenerPKI.now + TestPKI.day }
        // The checks' clock: now, then two days on (the handshake is judged at the real time).
        let later = Mutex(false)
        let clock: @Sendable () -> UnixTime = {
            let base = AuthorizationService.systemClock()
            return later.withLock { $0 } ? UnixTime(seconds: base.seconds + 2 * 86_400) : base
        }
        let verifier = ClientCertificateVerifier(
            trustBundle: pki.bundle, crls: [], trustDomain: "gov.example", xroad: [])
        let security = ListenerConfiguration.Security.mutualTLS(
            certificateChain: pki.serverCertificate, privateKey: pki.serverKey,
            clients: ClientCertificateSettings(clientCA: "unused: the verifier is given"))
        let clientSecurity = try client.security(trusting: pki.root.certificate)
        let (before, after) = try await TLSLoopbackServer.with(
            security: security, verifier: verifier, logger: Logger(label: "listener-tls"),
            clock: clock
        ) { port in
            try await TLSLoopbackServer.withClient(port: port, security: clientSecurity) { check in
                let before = try await check()
                later.withLock { $0 = true }
                return (before, try await check())
            }
        }
        #expect(before.status.code == 0)
        #expect(after.status.code == 7)
        #expect(after.dynamicMetadata.fields["reason"]?.stringValue == "caller_not_allowed")
        #expect(after.dynamicMetadata.fields["reason_detail"]?.stringValue == "certificate_expired")
    }

    @Test("A server-only TLS listener serves a client without a certificate")
    func serverOnlyTLS() async throws {
        let pki = try ListenerPKI()
        defer { pki.remove() }
        let rootPEM = Array(try pki.root.certificate.serializeAsPEM().pemString.utf8)
        let response = try await TLSLoopbackServer.with(
            security: .tls(certificateChain: pki.serverCertificate, privateKey: pki.serverKey), verifier: nil,
            logger: Logger(label: "listener-tls")
        ) { port in
            try await TLSLoopbackServer.check(
                port: port,
                security: .tls {
                    $0.trustRoots = .certificates([.bytes(rootPEM, format: .pem)])
                    $0.serverCertificateVerification = .noHostnameVerification
                })
        }
        #expect(response.status.code == 0)
    }
}

extension Result where Failure == any Error {
    /// The result of `body`.
    init(_ body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
