import Foundation
import GatehouseAdmin
import GatehouseCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization

/// An evaluator that allows `GET` of paths under `/allowed` and records every request it is asked.
final class RecordingEvaluator: AccessEvaluator {
    private let asked = Mutex<[AuthzRequest]>([])
    private let ids = Mutex<[String?]>([])
    /// Whether ``prepare(_:decisionID:)`` decides at once (a cached decision), keeping the id it is
    /// given, or leaves every evaluation to ``evaluate(_:)`` (the protocol's default).
    let decidesAtOnce: Bool

    init(decidesAtOnce: Bool = false) {
        self.decidesAtOnce = decidesAtOnce
    }

    /// The decision ids ``prepare(_:decisionID:)`` was given, in order.
    var decisionIDs: [String?] { self.ids.withLock { $0 } }

    func prepare(_ request: AuthzRequest, decisionID: String?) -> AccessEvaluationStep {
        guard self.decidesAtOnce else { return .pending { await self.evaluate(request) } }
        self.ids.withLock { $0.append(decisionID) }
        let evaluation = self.decide(request)
        return .decided(
            AccessEvaluation(decision: evaluation.decision, decisionID: decisionID ?? evaluation.decisionID))
    }

    var paths: PathNormalizer.Configuration { .defaults }

    /// The requests asked so far, in order.
    var requests: [AuthzRequest] { self.asked.withLock { $0 } }

    func evaluate(_ request: AuthzRequest) async -> AccessEvaluation {
        self.decide(request)
    }

    private func decide(_ request: AuthzRequest) -> AccessEvaluation {
        let index = self.asked.withLock { asked in
            asked.append(request)
            return asked.count
        }
        let allowed = request.method.rawValue == "GET" && request.path.hasPrefix("/allowed")
        let decision = Decision(
            outcome: allowed ? .allow : .deny, status: allowed ? 200 : 403,
            reason: allowed ? .allowed : .noMatchingRule, policy: "test", rule: allowed ? "read" : nil,
            policyRevision: "rev-1")
        return AccessEvaluation(decision: decision, decisionID: "d\(index)")
    }
}

/// An admin API with an evaluator and a token per role, for the AuthZEN routes.
struct AuthZENFixture {
    static let evaluatorToken = "evaluator-secret"
    // A valid field name: the force unwrap cannot fail.
    static let requestID = HTTPField.Name("X-Request-ID")!
    var evaluator = RecordingEvaluator()

    static let access = AdminAccess(tokens: [
        .init(name: "pep", digest: AdminFixture.digest(Self.evaluatorToken), role: .evaluator),
        .init(name: "prometheus", digest: AdminFixture.digest(AdminFixture.metricsToken), role: .metrics),
        .init(name: "ops", digest: AdminFixture.digest(AdminFixture.adminToken), role: .admin),
    ])

    /// Runs `body` with a client of `listener` serving an API over this fixture's evaluator.
    func withClient<Value: Sendable>(
        _ listener: AuthZENListener = .admin, audit: (any AuditSink)? = nil,
        _ body: @Sendable (any AuthZENTestClient) async throws -> Value
    ) async throws -> Value {
        let api = AdminAPI(
            administration: FakeAdministration(outcome: .unchanged(revision: "rev-1")), isReady: { true },
            metrics: { "" }, access: Self.access, clock: { FakeAdministration.now },
            logger: Logger(label: "authzen-test"), audit: audit, evaluator: self.evaluator)
        return try await listener.withClient(api: api, body)
    }

    /// POSTs `json` with the evaluator's token (or `token`) and `extra` headers.
    static func post(
        _ client: any AuthZENTestClient, _ path: String, _ json: String, token: String? = Self.evaluatorToken,
        extra: HTTPFields = [:]
    ) async throws -> AuthZENResponse {
        var headers = extra
        headers[.contentType] = "application/json"
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: json))
    }

    /// The body as a JSON object.
    static func object(_ response: AuthZENResponse) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
        guard let object = value as? [String: Any] else { throw CocoaError(.coderReadCorrupt) }
        return object
    }
}
