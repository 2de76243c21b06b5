import GatehouseCore
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The AuthZEN Authorization API 1.0 (`/access/v1/evaluation`, `/access/v1/evaluations`,
/// `/.well-known/authzen-configuration`), answered by the shared check pipeline through
/// ``AccessEvaluator``. deploy/AUTHZEN.md documents the mapping.
///
/// A deny is HTTP 200 `{"decision": false}` with the reason in `context`; 400 is for a body that
/// is not JSON of the right shape or lacks an entity, 401/403 for a caller without the
/// `evaluator` role. Every answer echoes the request's `X-Request-ID`.
extension AdminAPI {
    /// The largest AuthZEN body: 1 MiB (a batch of thousands of evaluations).
    static let maxEvaluationBytes = 1 << 20

    /// The paths this API serves.
    package enum AuthZENPath {
        package static let evaluation = "/access/v1/evaluation"
        package static let evaluations = "/access/v1/evaluations"
        package static let metadata = "/.well-known/authzen-configuration"
    }

    func addAuthZENRoutes(to router: Router<AdminRequestContext>) {
        guard let evaluator = self.evaluator else { return }
        router.get(RouterPath(AuthZENPath.metadata)) { request, _ in
            Self.echoingRequestID(of: request, AdminResponse.authZEN(self.metadata(for: request).write(into:)))
        }
        router.post(RouterPath(AuthZENPath.evaluation)) { request, context in
            let response = try await self.authorized(
                request, context, action: "evaluation", needs: .evaluator, level: .debug
            ) { _ in
                let body = try await Self.authZENBody(request, AuthZENDTO.Evaluation.init(json:))
                let decision = try await self.evaluate(
                    body, requestID: Self.requestID(of: request), evaluator: evaluator)
                return AdminAnswer(AdminResponse.authZEN(decision.write(into:)))
            }
            return Self.echoingRequestID(of: request, response)
        }
        router.post(RouterPath(AuthZENPath.evaluations)) { request, context in
            let response = try await self.authorized(
                request, context, action: "evaluations", needs: .evaluator, level: .debug
            ) { _ in
                let body = try await Self.authZENBody(request, AuthZENDTO.Evaluations.init(json:))
                return try await self.evaluateBatch(body, requestID: Self.requestID(of: request), evaluator: evaluator)
            }
            return Self.echoingRequestID(of: request, response)
        }
    }

    /// A batch: each item over the top-level defaults, in order, stopping early as the semantic says.
    /// Without items it is one evaluation of the top-level entities, answered as one.
    func evaluateBatch(
        _ body: AuthZENDTO.Evaluations, requestID: String?, evaluator: any AccessEvaluator
    ) async throws -> AdminAnswer {
        let semantic = try AuthZENSemantic(body.options?.evaluationsSemantic)
        let defaults = body.defaults
        guard let items = body.evaluations, !items.isEmpty else {
            let decision = try await self.evaluate(defaults, requestID: requestID, evaluator: evaluator)
            return AdminAnswer(AdminResponse.authZEN(decision.write(into:)))
        }
        var results: [AuthZENDTO.Decision] = []
        results.reserveCapacity(items.count)
        for item in items {
            let result = await self.evaluateItem(
                item.filled(from: defaults), requestID: requestID, evaluator: evaluator)
            results.append(result)
            if semantic.stops(after: result.decision) { break }
        }
        let decisions = AuthZENDTO.Decisions(evaluations: results)
        return AdminAnswer(AdminResponse.authZEN(capacity: 64 + 256 * results.count, decisions.write(into:)))
    }

    /// One evaluation whose missing entity is the whole request's fault: 400.
    func evaluate(
        _ evaluation: AuthZENDTO.Evaluation, requestID: String?, evaluator: any AccessEvaluator
    ) async throws -> AuthZENDTO.Decision {
        let request: AuthzRequest
        do {
            request = try AuthZENMapping.request(
                for: evaluation, requestID: requestID, time: self.clock(), paths: evaluator.paths)
        } catch {
            throw AdminRequestError(status: .badRequest, code: error.code, message: error.message)
        }
        return Self.decision(await evaluator.evaluate(request))
    }

    /// One item of a batch: a problem with it is its own `decision: false` with `context.error`.
    func evaluateItem(
        _ evaluation: AuthZENDTO.Evaluation, requestID: String?, evaluator: any AccessEvaluator
    ) async -> AuthZENDTO.Decision {
        do {
            let request = try AuthZENMapping.request(
                for: evaluation, requestID: requestID, time: self.clock(), paths: evaluator.paths)
            return Self.decision(await evaluator.evaluate(request))
        } catch {
            return AuthZENDTO.Decision(
                decision: false,
                context: [
                    "error": .object([
                        "status": .number(400), "code": .string(error.code), "message": .string(error.message),
                    ])
                ])
        }
    }

    /// A decision as AuthZEN answers it: the outcome, and why in `context`.
    static func decision(_ evaluation: AccessEvaluation) -> AuthZENDTO.Decision {
        let decision = evaluation.decision
        var context: [String: AuthZENValue] = [
            "decision_id": .string(evaluation.decisionID), "reason": .string(decision.reason.code),
            "status": .number(Double(decision.status)), "policy_revision": .string(decision.policyRevision),
        ]
        if let detail = decision.reasonDetail { context["reason_detail"] = .string(detail.code) }
        if let policy = decision.policy { context["policy"] = .string(policy) }
        if let rule = decision.rule { context["rule"] = .string(rule) }
        return AuthZENDTO.Decision(decision: decision.isAllowed, context: context)
    }

    /// The metadata document, with absolute URLs on the host and scheme the caller reached.
    func metadata(for request: Request) -> AuthZENDTO.Metadata {
        let host = request.head.authority ?? "localhost"
        let scheme = request.head.scheme ?? self.scheme
        let base = "\(scheme)://\(host)"
        return AuthZENDTO.Metadata(
            policyDecisionPoint: base, accessEvaluationEndpoint: base + AuthZENPath.evaluation,
            accessEvaluationsEndpoint: base + AuthZENPath.evaluations)
    }

    /// The body as JSON (``AuthZENJSON``), handed to `shape`: 400 `invalid_json` when it is not
    /// JSON, or not of the shape `shape` reads.
    static func authZENBody<Body>(
        _ request: Request, _ shape: (AuthZENValue) throws(AuthZENJSONError) -> Body
    ) async throws -> Body {
        let bytes: ByteBuffer
        do {
            bytes = try await request.body.collect(upTo: Self.maxEvaluationBytes)
        } catch is NIOTooManyBytesError {
            throw AdminRequestError(
                status: .contentTooLarge, code: "too_large",
                message: "The body is larger than \(Self.maxEvaluationBytes) bytes; split the batch.")
        }
        let parsed = bytes.withUnsafeReadableBytes { raw in
            Result { () throws(AuthZENJSONError) -> Body in try shape(AuthZENJSON.value(from: raw)) }
        }
        switch parsed {
        case .success(let body): return body
        case .failure(let error):
            throw AdminRequestError(
                status: .badRequest, code: "invalid_json",
                message:
                    "The body is not an AuthZEN request: \(error.message). Send a JSON object with subject, action and resource."
            )
        }
    }

    static func requestID(of request: Request) -> String? {
        request.headers[HTTPField.Name("X-Request-ID")!]
    }

    /// `response` with the request's `X-Request-ID`, if it had one.
    static func echoingRequestID(of request: Request, _ response: Response) -> Response {
        guard let id = Self.requestID(of: request) else { return response }
        var response = response
        // A valid field name: the force unwrap cannot fail.
        response.headers[HTTPField.Name("X-Request-ID")!] = id
        return response
    }
}

/// `options.evaluations_semantic`: when a batch stops.
enum AuthZENSemantic {
    /// Evaluate every item (the default).
    case executeAll
    /// Stop after the first `decision: false`.
    case denyOnFirstDeny
    /// Stop after the first `decision: true`.
    case permitOnFirstPermit

    init(_ text: String?) throws {
        switch text {
        case nil, "execute_all": self = .executeAll
        case "deny_on_first_deny": self = .denyOnFirstDeny
        case "permit_on_first_permit": self = .permitOnFirstPermit
        case let other?:
            throw AdminRequestError(
                status: .badRequest, code: "invalid_options",
                message:
                    "options.evaluations_semantic '\(other)' is not one of execute_all, deny_on_first_deny, permit_on_first_permit."
            )
        }
    }

    func stops(after decision: Bool) -> Bool {
        switch self {
        case .executeAll: return false
        case .denyOnFirstDeny: return !decision
        case .permitOnFirstPermit: return decision
        }
    }
}

extension AdminResponse {
    /// An AuthZEN body: compact JSON with its members in name order, written by `write` straight
    /// into the response's buffer (``AuthZENJSON``).
    static func authZEN(capacity: Int = 256, _ write: (inout ByteBuffer) -> Void) -> Response {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(capacity)
        write(&buffer)
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }
}
