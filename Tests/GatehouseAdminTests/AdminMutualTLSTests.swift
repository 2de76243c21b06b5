import AsyncHTTPClient
import Foundation
import GatehouseAdmin
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import InMemoryLogging
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import ServiceLifecycle
import Testing

/// The admin listener over a real socket with client certificates, verified by GatehouseIdentity's
/// ClientCertificateVerifier exactly as the gRPC listeners' are, and mapped to roles by admin.clients.
@Suite("Admin API over mTLS", .bug(id: "12"), .timeLimit(.minutes(2)))
struct AdminMutualTLSTests {
    static let adminID = "spiffe://gov.example/ops/admin"
    static let auditorSubject = "CN=auditor,O=Gatehouse Test"

    static let access = AdminAccess(
        tokens: AdminFixture.access.tokens,
        clients: [
            .init(.spiffeID(Self.adminID), role: .admin), .init(.subject(Self.auditorSubject), role: .auditor),
        ])

    /// What one request came to: an HTTP status, or a failed connection.
    enum Outcome: Equatable {
        case status(Int)
        case connectionFailed
    }

    @Test("A client certificate maps to its role; an unknown one is 403, one from another CA fails the handshake")
    func roles() async throws {
        let pki = try AdminPKI()
        let stranger = try AdminPKI("Stranger")
        let admin = try pki.client("ops-admin", spiffe: Self.adminID)
        let auditor = try pki.client("auditor", spiffe: "spiffe://gov.example/ops/auditor")
        let unknown = try pki.client("someone", spiffe: "spiffe://gov.example/ops/someone")
        let foreign = try stranger.client("ops-admin", spiffe: Self.adminID)
        let administration = FakeAdministration()
        let logs = InMemoryLogHandler()
        try await Self.withServer(pki: pki, administration: administration, logs: logs) { port in
            let root = pki.root.certificate
            let url = "https://127.0.0.1:\(port)"
            var plain = TLSConfiguration.makeClientConfiguration()
            plain.certificateVerification = .none
            let outcomes = [
                try await Self.send(.GET, url + "/v1/status", tls: admin.tls(trusting: root)),
                try await Self.send(.POST, url + "/v1/policy/notify", tls: admin.tls(trusting: root)),
                try await Self.send(.GET, url + "/v1/status", tls: auditor.tls(trusting: root)),
                try await Self.send(.POST, url + "/v1/policy/notify", tls: auditor.tls(trusting: root)),
                try await Self.send(.GET, url + "/v1/status", tls: unknown.tls(trusting: root)),
                try await Self.send(.GET, url + "/v1/status", tls: foreign.tls(trusting: root)),
                // Without a certificate the listener still takes a bearer token (and nothing else).
                try await Self.send(.GET, url + "/v1/status", tls: plain),
                try await Self.send(.GET, url + "/v1/status", tls: plain, token: AdminFixture.auditorToken),
                // /healthz needs no credential.
                try await Self.send(.GET, url + "/healthz", tls: plain),
            ]
            #expect(
                outcomes == [
                    .status(200), .status(200), .status(200), .status(403), .status(403), .connectionFailed,
                    .status(401), .status(200), .status(200),
                ])
        }
        #expect(
            administration.calls == [
                .reload(ReloadRequest(trigger: .notify, requestedBy: "certificate:\(Self.adminID)"))
            ])
        let refusals = logs.entries.filter { $0.message.description.contains("client certificate refused") }
        #expect(refusals.count == 1)
        #expect(refusals.first?.metadata["gatehouse.reason"]?.description.hasPrefix("certificate_") == true)
        let forbidden = logs.entries.filter {
            $0.metadata["gatehouse.admin.outcome"]?.description == "403 no role"
        }
        #expect(
            forbidden.first?.metadata["gatehouse.admin.caller"]?.description
                == "certificate:spiffe://gov.example/ops/someone")
    }

    /// Serves the API with mTLS on a free port; `body` gets the port.
    static func withServer(
        pki: AdminPKI, administration: FakeAdministration, logs: InMemoryLogHandler,
        _ body: (Int) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory("admin-mtls") { directory in
            let files = try pki.writeServer(into: directory)
            var logger = Logger(label: "admin-mtls") { _ in logs }
            logger.logLevel = .debug
            let verifier = ClientCertificateVerifier(
                trustBundle: pki.bundle, crls: [], trustDomain: "gov.example", xroad: [])
            let api = AdminAPI(
                administration: administration, isReady: { true }, metrics: { "" }, access: Self.access,
                logger: logger)
            let (ports, listening) = AsyncStream<Int>.makeStream()
            let server = AdminServer(
                api: api,
                configuration: AdminServerConfiguration(
                    host: "127.0.0.1", port: 0,
                    security: .mutualTLS(certificateChain: files.certificate, privateKey: files.key, verifier: verifier)
                ),
                logger: logger, onListening: { listening.yield($0) })
            let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [server], logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    defer { listening.finish() }
                    try await group.run()
                }
                var iterator = ports.makeAsyncIterator()
                let port = try #require(await iterator.next())
                do {
                    try await body(port)
                } catch {
                    await group.triggerGracefulShutdown()
                    throw error
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    /// One request on a connection of its own.
    static func send(
        _ method: NIOHTTP1.HTTPMethod, _ url: String, tls: TLSConfiguration, token: String? = nil,
        body: ByteBuffer? = nil
    ) async throws -> Outcome {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        return try await HTTPClient.withHTTPClient(configuration: configuration) { client in
            var request = HTTPClientRequest(url: url)
            request.method = method
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            if let body { request.body = .bytes(body) }
            do {
                let response = try await client.execute(request, timeout: .seconds(10))
                _ = try await response.body.collect(upTo: 1 << 20)
                return .status(Int(response.status.code))
            } catch {
                return .connectionFailed
            }
        }
    }
}
