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
                let evaluation = try await self.evaluate(
                    body, requestID: Self.requestID(of: request), time: self.clock(), evaluator: evaluator)
                // The decision log holds the evaluation as its decision record: no admin record besides.
                return AdminAnswer(AdminResponse.authZEN(evaluation.writeAuthZEN(into:)), recordedAsDecisions: true)
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
    ///
    /// The batch arrives at one time, the server's clock when its body was read: every item is
    /// asked at that time (one clock reading, not one an item).
    func evaluateBatch(
        _ body: AuthZENDTO.Evaluations, requestID: String?, evaluator: any AccessEvaluator
    ) async throws -> AdminAnswer {
        let semantic = try AuthZENSemantic(body.options?.evaluationsSemantic)
        let defaults = body.defaults
        let time = self.clock()
        guard let items = body.evaluations, !items.isEmpty else {
            let evaluation = try await self.evaluate(defaults, requestID: requestID, time: time, evaluator: evaluator)
            return AdminAnswer(AdminResponse.authZEN(evaluation.writeAuthZEN(into:)), recordedAsDecisions: true)
        }
        var results: [AuthZENItemAnswer] = []
        results.reserveCapacity(items.count)
        var evaluated = false
        for item in items {
            let result = await self.evaluateItem(
                item.filled(from: defaults), requestID: requestID, time: time, evaluator: evaluator)
            results.append(result)
            if case .evaluated = result { evaluated = true }
            if semantic.stops(after: result.decision) { break }
        }
        let answer = AdminResponse.authZEN(capacity: 64 + 256 * results.count) { buffer in
            AuthZENItemAnswer.write(results, into: &buffer)
        }
        // Each item the pipeline decided is a decision record; a batch none of whose items could be
        // mapped has none, and keeps its admin record.
        return AdminAnswer(answer, recordedAsDecisions: evaluated)
    }

    /// One evaluation whose missing entity is the whole request's fault: 400.
    func evaluate(
        _ evaluation: AuthZENDTO.Evaluation, requestID: String?, time: UnixTime, evaluator: any AccessEvaluator
    ) async throws -> AccessEvaluation {
        let request: AuthzRequest
        do {
            request = try AuthZENMapping.request(
                for: evaluation, requestID: requestID, time: time, paths: evaluator.paths)
        } catch {
            throw AdminRequestError(status: .badRequest, code: error.code, message: error.message)
        }
        return await evaluator.evaluate(request)
    }

    /// One item of a batch: a problem with it is its own `decision: false` with `context.error`.
    func evaluateItem(
        _ evaluation: AuthZENDTO.Evaluation, requestID: String?, time: UnixTime, evaluator: any AccessEvaluator
    ) async -> AuthZENItemAnswer {
        do {
            let request = try AuthZENMapping.request(
                for: evaluation, requestID: requestID, time: time, paths: evaluator.paths)
            return .evaluated(await evaluator.evaluate(request))
        } catch {
            return .failed(
                AuthZENDTO.Decision(
                    decision: false,
                    context: [
                        "error": .object([
                            "status": .number(400), "code": .string(error.code), "message": .string(error.message),
                        ])
                    ]))
        }
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

    /// `X-Request-ID`, validated once. A valid field name: the force unwrap cannot fail.
    static let requestIDField = HTTPField.Name("X-Request-ID")!

    static func requestID(of request: Request) -> String? {
        request.headers[Self.requestIDField]
    }

    /// `response` with the request's `X-Request-ID`, if it had one.
    static func echoingRequestID(of request: Request, _ response: Response) -> Response {
        guard let id = Self.requestID(of: request) else { return response }
        var response = response
        response.headers[Self.requestIDField] = id
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

/// One item's answer in a batch: a decision of the pipeline, or the item's own mapping error.
enum AuthZENItemAnswer {
    /// The pipeline decided it (a decision record).
    case evaluated(AccessEvaluation)
    /// It could not be mapped: `decision: false` with `context.error`.
    case failed(AuthZENDTO.Decision)

    var decision: Bool {
        switch self {
        case .evaluated(let evaluation): return evaluation.decision.isAllowed
        case .failed(let decision): return decision.decision
        }
    }

    /// Appends `{"evaluations": [{…}, …]}`, each item as ``AuthZENDTO/Decisions`` writes it.
    static func write(_ answers: [AuthZENItemAnswer], into buffer: inout ByteBuffer) {
        buffer.writeStaticString("{\"evaluations\":[")
        for (index, answer) in answers.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            switch answer {
            case .evaluated(let evaluation): evaluation.writeAuthZEN(into: &buffer)
            case .failed(let decision): decision.write(into: &buffer)
            }
        }
        buffer.writeStaticString("]}")
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
