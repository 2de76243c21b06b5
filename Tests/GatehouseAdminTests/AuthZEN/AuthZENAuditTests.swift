import GatehouseAdmin
import GatehouseCore
import GatehouseTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// An evaluation is a decision, not an admin action: the decision log holds it as its decision
/// record(s), and only calls that no evaluation answered keep an admin record (deploy/AUTHZEN.md).
@Suite("AuthZEN: which calls are admin records", .bug(id: "16"))
struct AuthZENAuditTests {
    static let subject = #""subject": {"type": "identity", "id": "alice"}"#
    static let single = #"{\#(subject), "action": {"name": "GET"}, "resource": {"type": "route", "id": "/allowed/1"}}"#

    static func line(_ entry: AdminEntry) -> String {
        "\(entry.actor) \(entry.role ?? "-") \(entry.action) \(entry.outcome) \(entry.status) \(entry.detail ?? "-")"
    }

    @Test(
        "Evaluated calls are no admin records; refused, malformed and wholly unmappable calls are",
        arguments: AuthZENListener.allCases)
    func recordsPerCall(listener: AuthZENListener) async throws {
        let audit = RecordingAuditSink()
        let evaluator = RecordingEvaluator()
        let api = AdminAPI(
            administration: FakeAdministration(outcome: .unchanged(revision: "rev-1")), isReady: { true },
            metrics: { "" }, access: AuthZENFixture.access, clock: { FakeAdministration.now },
            logger: Logger(label: "authzen-audit-test"), audit: audit, evaluator: evaluator)
        let statuses = try await listener.withClient(api: api) { client in
            let evaluation = AdminAPI.AuthZENPath.evaluation
            let evaluations = AdminAPI.AuthZENPath.evaluations
            let batch =
                #"{\#(Self.subject), "action": {"name": "GET"}, "evaluations": ["#
                + #"{"resource": {"type": "route", "id": "/allowed/2"}}, {"resource": {"type": "nope", "id": "/x"}}]}"#
            let empty = #"{\#(Self.subject), "action": {"name": "GET"}, "resource": {"type": "route", "id": "/a"}}"#
            let unmappable = #"{"evaluations": [{"resource": {"type": "route", "id": "/x"}}]}"#
            let calls: [(String, String, String?)] = [
                // Answered by the evaluator: decision records only.
                (evaluation, Self.single, AuthZENFixture.evaluatorToken),
                (evaluations, batch, AuthZENFixture.evaluatorToken),
                (evaluations, empty, AuthZENFixture.evaluatorToken),
                // No item reached the evaluator: the call is recorded as the admin action it was.
                (evaluations, unmappable, AuthZENFixture.evaluatorToken),
                // Refused or malformed as a whole: admin records as before.
                (evaluation, "{", AuthZENFixture.evaluatorToken),
                (evaluation, Self.single, nil),
                (evaluation, Self.single, AdminFixture.metricsToken),
            ]
            var statuses: [Int] = []
            for (path, body, token) in calls {
                statuses.append(try await AuthZENFixture.post(client, path, body, token: token).status.code)
            }
            return statuses
        }
        #expect(statuses == [200, 200, 200, 200, 400, 401, 403])
        #expect(evaluator.requests.map(\.path) == ["/allowed/1", "/allowed/2", "/a"])
        #expect(
            audit.adminActions.map(Self.line) == [
                "token:pep evaluator POST /access/v1/evaluations allowed 200 -",
                "token:pep evaluator POST /access/v1/evaluation 400 invalid_json 400 -",
                "anonymous - POST /access/v1/evaluation refused 401 no credential",
                "token:prometheus metrics POST /access/v1/evaluation refused 403 needs role evaluator",
            ])
    }
}
