import Foundation
import GatehouseCore
import GatehouseFrontDoor
import GatehouseHTTPAuthz
import GatehouseTestSupport
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Decides by path: `/allow` allows with a header and a removal, `/deny` denies 403 with a body,
/// `/slow` allows after an await (the pending path), anything else 401 with `WWW-Authenticate`.
private struct PathDecider: CheckDecider {
    func prepare(_ request: AuthzRequest, caller: CallerFacts) -> DecisionPreparation {
        switch request.path {
        case "/allow":
            return .decided(
                Decision(
                    outcome: .allow, status: 200, reason: DecisionReason(code: "allowed"),
                    headersToSet: [HeaderMutation(name: "x-auth-sub", value: "alice", action: .overwrite)],
                    headersToRemove: ["authorization"]))
        case "/deny":
            return .decided(
                Decision(outcome: .deny, status: 403, reason: DecisionReason(code: "no_rule_matched"), body: "denied"))
        case "/slow":
            return .pending(SlowAllow())
        default:
            return .decided(
                Decision(
                    outcome: .deny, status: 401, reason: DecisionReason(code: "missing_credentials"),
                    headersToSet: [HeaderMutation(name: "www-authenticate", value: "Bearer", action: .overwrite)]))
        }
    }

    struct SlowAllow: PendingDecision {
        var policyRevision: String { "r1" }
        func decide() async throws -> Decision {
            await Task.yield()
            return Decision(outcome: .allow, status: 200, reason: DecisionReason(code: "allowed"))
        }
    }
}

@Suite("HTTP mode door on a loopback listener")
struct HTTPAuthzServiceTests {
    /// Serves the door on a free loopback port with `PathDecider` and `audit`, runs `body` with its address.
    private func withDoor(
        audit: RecordingAuditSink, security: ListenerConfiguration.Security = .plaintext,
        _ body: (String) async throws -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let address = Mutex<String?>(nil)
        let service = HTTPAuthzService(
            configuration: HTTPAuthzConfiguration(listeners: [
                ListenerConfiguration(address: .tcp(host: "127.0.0.1", port: 0), security: security)
            ]),
            pipeline: CheckPipeline(decider: PathDecider(), logger: Logger(label: "test"), audit: audit),
            group: group, logger: Logger(label: "test"),
            onListening: { _, text in address.withLock { $0 = text } })
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await service.run() }
            // A loopback bind; the long bound only matters on a stalled machine (a fresh-clone CI run
            // stalled the whole test process for ~90 s and two of these gave up at 30 s).
            try await poll(until: "the door listens", timeout: .seconds(180)) { address.withLock { $0 } != nil }
            try await body(address.withLock { $0 } ?? "")
            tasks.cancelAll()
        }
        try await group.shutdownGracefully()
    }

    /// One request with curl. Every curl here may take up to 180 s, like the bind wait above: a
    /// fresh-clone CI run froze the test process for ~60 s while curl's earlier 10 s limit cut off
    /// the one request that needs a task (`/slow`).
    private func curl(_ url: String) async throws -> String {
        let output = try await ProcessRunner.run(
            "/usr/bin/curl", ["-s", "-i", "--max-time", "180", "-H", "Host: civil-registry.gov.example", url])
        return output.stdout.replacingOccurrences(of: "\r\n", with: "\n")
    }

    @Test("Allow, deny and a pending decision answer as Envoy expects, and each is recorded")
    func answers() async throws {
        let audit = RecordingAuditSink()
        try await self.withDoor(audit: audit) { address in
            let allowed = try await self.curl("http://\(address)/allow")
            #expect(allowed.hasPrefix("HTTP/1.1 200"))
            #expect(allowed.contains("x-auth-sub: alice"))
            #expect(allowed.contains("x-envoy-auth-headers-to-remove: authorization"))
            let denied = try await self.curl("http://\(address)/deny")
            #expect(denied.hasPrefix("HTTP/1.1 403"))
            #expect(denied.hasSuffix("\n\ndenied"))
            let unauthenticated = try await self.curl("http://\(address)/other")
            #expect(unauthenticated.hasPrefix("HTTP/1.1 401"))
            #expect(unauthenticated.contains("www-authenticate: Bearer"))
            let slow = try await self.curl("http://\(address)/slow")
            #expect(slow.hasPrefix("HTTP/1.1 200"))
        }
        #expect(audit.decisions.map(\.path) == ["/allow", "/deny", "/other", "/slow"])
    }

    @Test(
        "HTTP/2 with prior knowledge (h2c, as Envoy's cluster with http2_protocol_options): the same answers, several streams on one connection"
    )
    func priorKnowledgeHTTP2() async throws {
        let audit = RecordingAuditSink()
        try await self.withDoor(audit: audit) { address in
            let paths = ["/allow", "/deny", "/other", "/slow"]
            // One curl, one connection: --parallel multiplexes the requests as streams of it.
            let output = try await ProcessRunner.run(
                "/usr/bin/curl",
                [
                    "-s", "-i", "--max-time", "180", "--http2-prior-knowledge", "--parallel", "--parallel-immediate",
                    "-H", "Host: civil-registry.gov.example", "-w", "connections=%{num_connects}\n",
                ]
                    + paths.map { "http://\(address)\($0)" })
            let answers = output.stdout.replacingOccurrences(of: "\r\n", with: "\n")
            #expect(answers.contains("HTTP/2 200"), "\(answers)")
            #expect(answers.contains("x-auth-sub: alice"))
            #expect(answers.contains("x-envoy-auth-headers-to-remove: authorization"))
            #expect(answers.contains("HTTP/2 403"))
            #expect(answers.contains("\n\ndenied"))
            #expect(answers.contains("HTTP/2 401"))
            #expect(answers.contains("www-authenticate: Bearer"))
            #expect(answers.components(separatedBy: "HTTP/2 200").count - 1 == 2, "/allow and /slow: \(answers)")
            #expect(!answers.contains("connection: close"))
        }
        #expect(audit.decisions.map(\.path).sorted() == ["/allow", "/deny", "/other", "/slow"])
    }

    @Test("TLS: ALPN offers h2 before http/1.1, and a client that negotiates either gets the same answers")
    func alpnOverTLS() async throws {
        let audit = RecordingAuditSink()
        let certificates = Repository.url("certs-dev")
        let security = ListenerConfiguration.Security.tls(
            certificateChain: certificates.appendingPathComponent("gatehouse.pem").path,
            privateKey: certificates.appendingPathComponent("gatehouse-dev-key.pem").path)
        try await self.withDoor(audit: audit, security: security) { address in
            for (flag, version) in [("--http2", "HTTP/2"), ("--http1.1", "HTTP/1.1")] {
                let output = try await ProcessRunner.run(
                    "/usr/bin/curl",
                    [
                        "-s", "-i", "--max-time", "180", flag, "--cacert",
                        certificates.appendingPathComponent("ca.pem").path,
                        "-H", "Host: civil-registry.gov.example", "https://\(address)/allow", "https://\(address)/deny",
                    ])
                let answers = output.stdout.replacingOccurrences(of: "\r\n", with: "\n")
                #expect(answers.contains("\(version) 200"), "\(flag): \(answers) \(output.stderr)")
                #expect(answers.contains("x-auth-sub: alice"), "\(flag)")
                #expect(answers.contains("\(version) 403"), "\(flag)")
                #expect(answers.contains("\n\ndenied"), "\(flag)")
            }
        }
        #expect(audit.decisions.map(\.path).sorted() == ["/allow", "/allow", "/deny", "/deny"])
    }

    @Test("Protocol detection: HTTP/2 on the whole preface only, HTTP/1.1 at the first byte that differs")
    func detection() {
        #expect(HTTPConnectionProtocol.detect(Array("P".utf8)) == nil)
        #expect(HTTPConnectionProtocol.detect(Array("PRI * HTTP/2.0\r\n".utf8)) == nil)
        #expect(HTTPConnectionProtocol.detect(Array("PRI * HTTP/1.1\r\n".utf8)) == .http1)
        #expect(HTTPConnectionProtocol.detect(Array("GET / HTTP/1.1\r\n".utf8)) == .http1)
        #expect(
            HTTPConnectionProtocol.detect(Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0".utf8))
                == .http2)
    }

    @Test("A decision log refusing the record turns the answer into 503 audit_unavailable")
    func strictAudit() async throws {
        try await self.withDoor(audit: RecordingAuditSink(answering: .refused)) { address in
            let answer = try await self.curl("http://\(address)/allow")
            #expect(answer.hasPrefix("HTTP/1.1 503"))
        }
    }
}
