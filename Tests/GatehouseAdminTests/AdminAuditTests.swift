import Foundation
import GatehouseAdmin
import GatehouseCore
import GatehouseTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

/// Every request to a route that needs a role is an admin record of the decision log, allowed or refused.
@Suite("Admin API records", .bug(id: "13"))
struct AdminAuditTests {
    static func fixture(outcome: ReloadOutcome = .unchanged(revision: "rev-1")) -> (AdminFixture, RecordingAuditSink) {
        let audit = RecordingAuditSink()
        var fixture = AdminFixture(outcome: outcome)
        fixture.audit = audit
        return (fixture, audit)
    }

    static func line(_ entry: AdminEntry) -> String {
        "\(entry.actor) \(entry.role ?? "-") \(entry.action) \(entry.outcome) \(entry.status) \(entry.detail ?? "-")"
    }

    @Test("Allowed and refused requests (401, 403) each become one record with actor, role, action and status")
    func allowedAndRefused() async throws {
        let (fixture, audit) = Self.fixture()
        try await fixture.withClient { client in
            _ = try await client.execute(uri: "/v1/status", method: .get, headers: [:])
            _ = try await client.execute(uri: "/v1/status", method: .get, headers: [.authorization: "Bearer nope"])
            _ = try await client.execute(
                uri: "/v1/policy/notify", method: .post, headers: AdminFixture.bearer(AdminFixture.auditorToken))
            _ = try await client.execute(
                uri: "/v1/status", method: .get, headers: AdminFixture.bearer(AdminFixture.auditorToken))
            _ = try await client.execute(
                uri: "/metrics", method: .get, headers: AdminFixture.bearer(AdminFixture.metricsToken))
            _ = try await client.execute(
                uri: "/v1/policy/notify", method: .post, headers: AdminFixture.bearer(AdminFixture.adminToken))
            // Health probes need no role and are not records.
            _ = try await client.execute(uri: "/healthz", method: .get, headers: [:])
        }
        #expect(
            audit.adminActions.map(Self.line) == [
                "anonymous - GET /v1/status refused 401 no credential",
                "anonymous - GET /v1/status refused 401 the bearer token is not known",
                "token:audit auditor POST /v1/policy/notify refused 403 needs role admin",
                "token:audit auditor GET /v1/status allowed 200 -",
                "token:prometheus metrics GET /metrics allowed 200 -",
                "token:ops admin POST /v1/policy/notify unchanged rev-1 200 -",
            ])
        let records = audit.records.withLock { $0 }
        #expect(records.allSatisfy { $0.time == FakeAdministration.now && $0.id.utf8.count == 32 })
        #expect(Set(records.map(\.id)).count == records.count)
        // No token text reaches a record.
        let everything = String(reflecting: records)
        for token in [AdminFixture.adminToken, AdminFixture.auditorToken, AdminFixture.metricsToken, "nope"] {
            #expect(!everything.contains(token))
        }
    }

    @Test("/v1/status shows the decision log's counters, and none when the log is off")
    func statusCounters() async throws {
        var (fixture, _) = Self.fixture()
        fixture.auditStatus = AuditLogStatus(queued: 3, dropped: 7, refused: 0, written: 1_200, failure: "store_failed")
        let withLog = try await fixture.withClient { client in
            try await client.execute(
                uri: "/v1/status", method: .get, headers: AdminFixture.bearer(AdminFixture.auditorToken))
        }
        let status = try AdminJSON.decoder.decode(AdminDTO.Status.self, from: Data(withLog.body.readableBytesView))
        #expect(
            status.audit
                == AdminDTO.Audit(
                    AuditLogStatus(queued: 3, dropped: 7, refused: 0, written: 1_200, failure: "store_failed")))
        #expect(String(buffer: withLog.body).contains("\"dropped\""))
        fixture.auditStatus = nil
        let without = try await fixture.withClient { client in
            try await client.execute(
                uri: "/v1/status", method: .get, headers: AdminFixture.bearer(AdminFixture.auditorToken))
        }
        #expect(
            try AdminJSON.decoder.decode(AdminDTO.Status.self, from: Data(without.body.readableBytesView)).audit == nil)
    }

    @Test("A refused activation is recorded with the refusal as its outcome and status")
    func refusedActivation() async throws {
        let failure = ReloadFailure(
            trigger: .notify, requestedBy: "token:ops", source: "policies", at: FakeAdministration.now, stage: .compile,
            code: "compile_failed", message: "p.yaml:3:1: bad")
        let (fixture, audit) = Self.fixture(outcome: .refused(failure))
        try await fixture.withClient { client in
            _ = try await client.execute(
                uri: "/v1/policy/notify", method: .post, headers: AdminFixture.bearer(AdminFixture.adminToken))
        }
        #expect(
            audit.adminActions.map(Self.line) == [
                "token:ops admin POST /v1/policy/notify refused compile compile_failed 422 -"
            ])
    }
}
