import Foundation
import GatehouseAdmin
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import Testing

/// What the AuthZEN listener of its own adds to the shared handler: the same limits and errors as
/// the admin listener, HTTP/1.1 keep-alive, slow-client timeouts and the admin listener's mTLS.
@Suite("AuthZEN: the listener of its own", .bug(id: "16"), .timeLimit(.minutes(2)))
struct AuthZENListenerTests {
    static let single = AuthZENEvaluationTests.allowed

    @Test("A body over the limit is 413 on both listeners, with the same limit", arguments: AuthZENListener.allCases)
    func tooLarge(listener: AuthZENListener) async throws {
        let fixture = AuthZENFixture()
        let limit = AdminAPI.maxEvaluationBytes
        // JSON whitespace: as large as wanted and still well formed, so only the size can refuse it.
        let padded = Self.single + String(repeating: " ", count: limit + 1 - Self.single.utf8.count)
        let fitting = Self.single + String(repeating: " ", count: limit - Self.single.utf8.count)
        try await fixture.withClient(listener) { client in
            let refused = try await AuthZENFixture.post(
                client, AdminAPI.AuthZENPath.evaluation, padded, extra: [AuthZENFixture.requestID: "big"])
            #expect(refused.status == .contentTooLarge)
            #expect(refused.headers[AuthZENFixture.requestID] == "big")
            #expect(try AuthZENFixture.object(refused)["error"] as? String == "too_large")
            let accepted = try await AuthZENFixture.post(client, AdminAPI.AuthZENPath.evaluation, fitting)
            #expect(accepted.status == .ok)
        }
        #expect(fixture.evaluator.requests.count == 1)
    }

    @Test(
        "A method the path does not take is 405 naming the one it does; an unknown path is 404",
        arguments: AuthZENListener.allCases)
    func methodsAndPaths(listener: AuthZENListener) async throws {
        let fixture = AuthZENFixture()
        try await fixture.withClient(listener) { client in
            let token: HTTPFields = [.authorization: "Bearer \(AuthZENFixture.evaluatorToken)"]
            for (path, method, allowed) in [
                (AdminAPI.AuthZENPath.evaluation, HTTPRequest.Method.get, "POST"),
                (AdminAPI.AuthZENPath.evaluations, .put, "POST"),
                (AdminAPI.AuthZENPath.metadata, .post, "GET"),
            ] {
                let response = try await client.execute(uri: path, method: method, headers: token)
                #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                #expect(response.headers[.allow] == allowed)
                #expect(try AuthZENFixture.object(response)["error"] as? String == "method_not_allowed")
            }
            let missing = try await AuthZENFixture.post(client, "/access/v1/nowhere", Self.single)
            #expect(missing.status == .notFound)
        }
        #expect(fixture.evaluator.requests.isEmpty)
    }

    @Test("Requests pipelined on one kept-alive connection are answered in order")
    func keepAlive() async throws {
        let fixture = AuthZENFixture()
        try await Self.withListener(fixture) { port in
            let body = Self.single
            let request =
                "POST /access/v1/evaluation HTTP/1.1\r\nHost: pdp\r\nAuthorization: Bearer \(AuthZENFixture.evaluatorToken)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            let text = try await RawConnection.exchange(
                port: port,
                send: [
                    request + "X-Request-ID: one\r\n\r\n" + body,
                    request + "X-Request-ID: two\r\nConnection: close\r\n\r\n" + body,
                ])
            let answers = text.components(separatedBy: "HTTP/1.1 200 OK").dropFirst()
            #expect(answers.count == 2)
            #expect(answers.first?.lowercased().contains("x-request-id: one") == true)
            #expect(answers.last?.lowercased().contains("x-request-id: two") == true)
            #expect(answers.last?.lowercased().contains("connection: close") == true)
        }
        #expect(fixture.evaluator.requests.map(\.id) == ["one", "two"])
    }

    @Test("An admitted caller that sends Expect: 100-continue gets 100 Continue, then the answer")
    func expectContinue() async throws {
        let fixture = AuthZENFixture()
        try await Self.withListener(fixture) { port in
            let body = Self.single
            let text = try await RawConnection.exchange(
                port: port,
                send: [
                    "POST /access/v1/evaluation HTTP/1.1\r\nHost: pdp\r\nAuthorization: Bearer \(AuthZENFixture.evaluatorToken)\r\n"
                        + "Expect: 100-continue\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                        + body
                ])
            #expect(text.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"), "\(text.prefix(200))")
        }
        #expect(fixture.evaluator.requests.count == 1)
    }

    @Test("A request that never finishes is 408 at the request timeout; other connections are answered meanwhile")
    func slowClient() async throws {
        let fixture = AuthZENFixture()
        try await Self.withListener(fixture, configure: { $0.requestTimeout = .milliseconds(300) }) { port in
            let started = ContinuousClock.now
            async let stalled = RawConnection.exchange(
                port: port,
                send: [
                    "POST /access/v1/evaluation HTTP/1.1\r\nHost: pdp\r\nAuthorization: Bearer \(AuthZENFixture.evaluatorToken)\r\n"
                        + "Content-Length: 100\r\n\r\n{\"subject\":"
                ])
            // While that request hangs, another connection is answered.
            let client = AuthZENListenerClient(port: port)
            let answered = try await AuthZENFixture.post(client, AdminAPI.AuthZENPath.evaluation, Self.single)
            #expect(answered.status == .ok)
            let text = try await stalled
            #expect(text.hasPrefix("HTTP/1.1 408 Request Timeout"))
            #expect(text.contains("request_timeout"))
            #expect(ContinuousClock.now - started >= .milliseconds(300))
        }
        #expect(fixture.evaluator.requests.count == 1)
    }

    @Test("A connection that sends nothing is closed at the idle timeout")
    func idleConnection() async throws {
        try await Self.withListener(AuthZENFixture(), configure: { $0.idleTimeout = .milliseconds(200) }) { port in
            // No request at all: the server closes the connection, and it read no answer.
            let text = try await RawConnection.exchange(port: port, send: [])
            #expect(text.isEmpty)
        }
    }

    @Test("mTLS as on the admin listener: a certificate's role, a bearer token without one, a foreign CA refused")
    func mutualTLS() async throws {
        let pki = try AdminPKI()
        let stranger = try AdminPKI("Stranger")
        let evaluatorID = "spiffe://gov.example/pep/gateway"
        let evaluator = try pki.client("gateway", spiffe: evaluatorID)
        let unknown = try pki.client("someone", spiffe: "spiffe://gov.example/ops/someone")
        let foreign = try stranger.client("gateway", spiffe: evaluatorID)
        let fixture = AuthZENFixture()
        try await withTemporaryDirectory("authzen-mtls") { directory in
            let files = try pki.writeServer(into: directory)
            let verifier = ClientCertificateVerifier(
                trustBundle: pki.bundle, crls: [], trustDomain: "gov.example", xroad: [])
            var access = AuthZENFixture.access
            access.clients = [.init(.spiffeID(evaluatorID), role: .evaluator)]
            let api = AdminAPI(
                administration: FakeAdministration(), isReady: { true }, metrics: { "" }, access: access,
                logger: Logger(label: "authzen-mtls"), evaluator: fixture.evaluator, scheme: "https")
            let configuration = AuthZENServerConfiguration(
                host: "127.0.0.1", port: 0,
                security: .mutualTLS(certificateChain: files.certificate, privateKey: files.key, verifier: verifier))
            try await AuthZENListener.withServer(api: api, configuration: configuration) { port in
                let root = pki.root.certificate
                let url = "https://127.0.0.1:\(port)" + AdminAPI.AuthZENPath.evaluation
                var plain = TLSConfiguration.makeClientConfiguration()
                plain.certificateVerification = .none
                let outcomes = [
                    try await Self.post(url, tls: evaluator.tls(trusting: root)),
                    try await Self.post(url, tls: unknown.tls(trusting: root)),
                    try await Self.post(url, tls: foreign.tls(trusting: root)),
                    try await Self.post(url, tls: plain),
                    try await Self.post(url, tls: plain, token: AuthZENFixture.evaluatorToken),
                ]
                #expect(
                    outcomes == [.status(200), .status(403), .connectionFailed, .status(401), .status(200)])
            }
        }
        #expect(fixture.evaluator.requests.count == 2)
    }

    /// Runs `body` with the port of an AuthZEN listener over `fixture`'s evaluator.
    static func withListener(
        _ fixture: AuthZENFixture, configure: (inout AuthZENServerConfiguration) -> Void = { _ in },
        _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        let api = AdminAPI(
            administration: FakeAdministration(), isReady: { true }, metrics: { "" }, access: AuthZENFixture.access,
            clock: { FakeAdministration.now }, logger: Logger(label: "authzen-listener"),
            evaluator: fixture.evaluator)
        var configuration = AuthZENServerConfiguration(host: "127.0.0.1", port: 0, security: .plaintext)
        configure(&configuration)
        try await AuthZENListener.withServer(api: api, configuration: configuration, body)
    }

    /// One evaluation over TLS on a connection of its own.
    static func post(
        _ url: String, tls: TLSConfiguration, token: String? = nil
    ) async throws -> AdminMutualTLSTests.Outcome {
        try await AdminMutualTLSTests.send(
            .POST, url, tls: tls, token: token, body: ByteBuffer(string: Self.single))
    }
}

/// A TCP connection that writes raw bytes and reads until the server closes it.
enum RawConnection {
    /// Sends each of `send`, then reads everything the server writes until it closes the connection.
    static func exchange(port: Int, send: [String]) async throws -> String {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        for text in send {
            try await channel.writeAndFlush(ByteBuffer(string: text)).get()
        }
        try await channel.closeFuture.get()
        return collector.text
    }

    /// Gathers what the server writes.
    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        private let received = Mutex(ByteBuffer())

        var text: String { self.received.withLock { String(buffer: $0) } }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var part = self.unwrapInboundIn(data)
            self.received.withLock { $0.writeBuffer(&part) }
        }
    }
}
