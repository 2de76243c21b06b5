import GatehouseAdmin
import GatehouseCore
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// A decision log that answers fixed records and remembers what it was asked.
private final class FakeDecisionLog: DecisionLogReader {
    let asked = Mutex<[(DecisionLogQuery, String?, Int, Bool)]>([])

    func decisions(_ query: DecisionLogQuery, cursor: String?, limit: Int, proofs: Bool) throws -> DecisionLogPage {
        self.asked.withLock { $0.append((query, cursor, limit, proofs)) }
        if cursor == "bad" {
            throw DecisionLogReadError(code: "query_invalid", message: "bad cursor", isCallersFault: true)
        }
        // With proofs: one element per record, the second not yet covered by a checkpoint.
        let proofElements = [#"{"kind":"inclusion","seq":0}"#, #"{"proof":null,"reason":"not_checkpointed"}"#]
        return DecisionLogPage(
            records: [#"{"id":"a","seq":0}"#, #"{"id":"b","seq":1}"#], proofs: proofs ? proofElements : nil,
            next: "Y3Vyc29y")
    }
}

@Suite("Admin API: GET /v1/decisions", .bug(id: "13"))
struct AdminDecisionsTests {
    private func withClient(
        _ log: FakeDecisionLog, _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let api = AdminAPI(
            administration: FakeAdministration(outcome: .unchanged(revision: "rev-1")), isReady: { true },
            metrics: { "" }, access: AdminFixture.access, clock: { FakeAdministration.now },
            logger: Logger(label: "admin-decisions-test"), decisionLog: log)
        try await Application(router: api.makeRouter()).test(.router, body)
    }

    @Test("An auditor gets the page's canonical records and the next cursor, with every filter passed on")
    func auditorQueries() async throws {
        let log = FakeDecisionLog()
        try await self.withClient(log) { client in
            let uri =
                "/v1/decisions?subject=alice&xroad_client=EE/GOV/*&path=/births/*&decision=deny&reason=rule_denied"
                + "&spiffe_id=spiffe://x&host=h&policy_revision=r1&rule=r&id=i&kind=decision&instance=gh-1"
                + "&since=2026-12-06T00:00:00Z&until=2026-12-06T01:00:00.5Z&limit=2&cursor=abc"
            let response = try await client.execute(
                uri: uri, method: .get, headers: AdminFixture.bearer(AdminFixture.auditorToken))
            #expect(response.status == .ok)
            #expect(
                String(buffer: response.body)
                    == #"{"records":[{"id":"a","seq":0},{"id":"b","seq":1}],"next":"Y3Vyc29y"}"# + "\n")
        }
        let (query, cursor, limit, proofs) = try #require(log.asked.withLock { $0.first })
        #expect(cursor == "abc" && limit == 2 && !proofs)
        #expect(
            query
                == DecisionLogQuery(
                    since: UnixTime(seconds: 1_796_515_200),
                    until: UnixTime(seconds: 1_796_518_800, nanoseconds: 500_000_000),
                    kind: "decision", decision: "deny", reason: "rule_denied", subject: "alice", spiffeID: "spiffe://x",
                    xroadClient: "EE/GOV/*", host: "h", path: "/births/*", policyRevision: "r1", rule: "r", id: "i",
                    instance: "gh-1"))
    }

    @Test("proof=true asks the log for proofs and answers them beside the records, in the same order")
    func proofs() async throws {
        let log = FakeDecisionLog()
        try await self.withClient(log) { client in
            let response = try await client.execute(
                uri: "/v1/decisions?proof=true", method: .get, headers: AdminFixture.bearer(AdminFixture.auditorToken))
            #expect(response.status == .ok)
            #expect(
                String(buffer: response.body)
                    == #"{"records":[{"id":"a","seq":0},{"id":"b","seq":1}],"#
                    + #""proofs":[{"kind":"inclusion","seq":0},{"proof":null,"reason":"not_checkpointed"}],"#
                    + #""next":"Y3Vyc29y"}"# + "\n")
        }
        #expect(log.asked.withLock { $0.first?.3 } == true)
    }

    @Test("The metrics role is 403; a bad cursor or time is 400 query_invalid")
    func refusals() async throws {
        let log = FakeDecisionLog()
        try await self.withClient(log) { client in
            let forbidden = try await client.execute(
                uri: "/v1/decisions", method: .get, headers: AdminFixture.bearer(AdminFixture.metricsToken))
            #expect(forbidden.status == .forbidden)
            let badCursor = try await client.execute(
                uri: "/v1/decisions?cursor=bad", method: .get, headers: AdminFixture.bearer(AdminFixture.auditorToken))
            #expect(badCursor.status == .badRequest)
            #expect(String(buffer: badCursor.body).contains("query_invalid"))
            let badTime = try await client.execute(
                uri: "/v1/decisions?since=yesterday", method: .get,
                headers: AdminFixture.bearer(AdminFixture.auditorToken))
            #expect(badTime.status == .badRequest)
        }
        #expect(log.asked.withLock { $0.count } == 1)
    }
}
