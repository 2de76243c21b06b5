import EnvoyAuthAPI
import GatehouseCache
import GatehouseCore
import GatehouseGRPC
import GatehousePolicy
import GatehouseTestSupport
import Logging
import SwiftProtobuf
import Synchronization
import Testing

/// Every check the service answers is offered to the decision log once, as the record of what was decided.
@Suite("Authorization service decision records", .bug(id: "13"))
struct AuthorizationServiceAuditTests {
    static func service(
        authorizer: Authorizer, audit: RecordingAuditSink,
        observer: AuthorizationServiceObserverTests.RecordingObserver? = nil
    ) -> AuthorizationService {
        // The answers' decision is read: the full metadata.
        AuthorizationService(
            decider: CachingAuthorizer(authorizer: authorizer), logger: Logger(label: "test"), observer: observer,
            audit: audit, metadata: .full)
    }

    /// Runs one check to its response, the way both transports do.
    static func check(
        _ service: AuthorizationService, _ request: Envoy_Service_Auth_V3_CheckRequest
    ) async -> Envoy_Service_Auth_V3_CheckResponse {
        switch service.prepare(request, caller: CallerFacts()) {
        case .answered(let response): response
        case .pending(let pending): await pending.response()
        }
    }

    @Test("One record per check, keyed by the decision id Envoy gets, with the request's audited attributes")
    func recordPerCheck() async throws {
        let audit = RecordingAuditSink()
        let service = Self.service(authorizer: try AuthorizationServiceDeciderTests.authorizer(), audit: audit)
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let headers = [
            "x-request-id": "req-1", "traceparent": traceparent, "authorization": "Bearer secret-token",
            "cookie": "session=secret-cookie",
        ]
        var ids: [String?] = []
        for path in [
            "/public/a?token=secret-query&x=1", "/public/a?token=secret-query&x=1", "/private/b",
            "/public/%2e%2e/c?k=v",
        ] {
            let response = await Self.check(
                service, InProcessServer.request(path: path, host: "Registry.gov.example:8443", headers: headers))
            ids.append(response.dynamicMetadata.fields["decision_id"]?.stringValue)
        }
        let refused = service.callerNotAllowed(InProcessServer.request(path: "/public/a"))
        ids.append(refused.dynamicMetadata.fields["decision_id"]?.stringValue)

        let records = audit.records.withLock { $0 }
        #expect(records.map(\.id) == ids.compactMap { $0 })
        #expect(Set(records.map(\.id)).count == 5)
        let entries = audit.decisions
        #expect(
            entries.map { "\($0.decision) \($0.status) \($0.reason) \($0.cache) \($0.path)" } == [
                "allow 200 allowed miss /public/a?token=***&x=***",
                "allow 200 allowed hit /public/a?token=***&x=***",
                "deny 403 no_matching_rule miss /private/b",
                "deny 400 ambiguous_path bypass /public/%2e%2e/c?k=***",
                "deny 403 caller_not_allowed bypass /public/a",
            ])
        let first = try #require(entries.first)
        #expect(first.method == "GET")
        #expect(first.host == "registry.gov.example")
        #expect(first.sourceAddress == "10.1.2.3")
        #expect(first.requestID == "req-1")
        #expect(first.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(first.policy == "registry")
        #expect(first.rule == "public")
        #expect(first.policyRevision.isEmpty == false)
        #expect(entries.allSatisfy { $0.latencyMicroseconds < 10_000_000 })
        // Nothing secret from the request reaches a record, under any field.
        let everything = String(reflecting: records)
        for secret in ["secret-token", "secret-cookie", "secret-query", "Bearer", "session="] {
            #expect(!everything.contains(secret), "a record holds '\(secret)'")
        }
    }

    @Test("A record's time is the check's request time, else the service's clock")
    func recordTime() async throws {
        let audit = RecordingAuditSink()
        let service = Self.service(authorizer: try AuthorizationServiceDeciderTests.authorizer(), audit: audit)
        var request = InProcessServer.request(path: "/public/a")
        request.attributes.request.time = Google_Protobuf_Timestamp(seconds: 1_750_000_000, nanos: 5)
        _ = await Self.check(service, request)
        #expect(audit.records.withLock { $0.first?.time } == UnixTime(seconds: 1_750_000_000, nanoseconds: 5))
    }

    @Test("Strict auditing: a record the log refuses turns the answer into a 503 audit_unavailable denial")
    func refusedRecordDenies() async throws {
        let audit = RecordingAuditSink(answering: .refused)
        let observer = AuthorizationServiceObserverTests.RecordingObserver()
        let service = Self.service(
            authorizer: try AuthorizationServiceDeciderTests.authorizer(), audit: audit, observer: observer)
        for _ in 0..<2 {
            let response = await Self.check(service, InProcessServer.request(path: "/public/a"))
            #expect(response.allowed == nil)
            #expect(response.denied?.status.code.rawValue == 503)
            #expect(response.dynamicMetadata.fields["reason"]?.stringValue == "audit_unavailable")
            #expect(response.dynamicMetadata.fields["decision"]?.stringValue == "deny")
        }
        // Metrics count what Envoy got; the cache still holds the allow, so the log's recovery needs no reload.
        #expect(observer.seen == ["deny audit_unavailable miss", "deny audit_unavailable hit"])
        audit.admission.withLock { $0 = .accepted }
        let recovered = await Self.check(service, InProcessServer.request(path: "/public/a"))
        #expect(recovered.allowed != nil)
        #expect(audit.records.withLock { $0.count } == 3)
    }

    @Test("A dropped record (onFull: gap) does not change the answer")
    func droppedRecordAnswers() async throws {
        let audit = RecordingAuditSink(answering: .dropped)
        let service = Self.service(authorizer: try AuthorizationServiceDeciderTests.authorizer(), audit: audit)
        let response = await Self.check(service, InProcessServer.request(path: "/public/a"))
        #expect(response.allowed != nil)
    }

    @Test(
        "traceparent: only a well-formed W3C header gives a trace id",
        arguments: [
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "4bf92f3577b34da6a3ce929d0e0e4736"),
            ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "4bf92f3577b34da6a3ce929d0e0e4736"),
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", nil),
            ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", nil),
            ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", nil),
            ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", nil),
            ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", nil),
            ("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", nil),
            ("", nil),
        ] as [(String, String?)])
    func traceparent(header: String, expected: String?) {
        #expect(DecisionEntry.traceID(fromTraceparent: header) == expected)
    }
}
