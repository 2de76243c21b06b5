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
    package static let maxEvaluationBytes = 1 << 20

    /// The paths this API serves.
    package enum AuthZENPath {
        package static let evaluation = "/access/v1/evaluation"
        package static let evaluations = "/access/v1/evaluations"
        package static let metadata = "/.well-known/authzen-configuration"
    }

    /// Serves the AuthZEN paths on the admin listener: each method of each path goes to the
    /// shared handler, which answers 405 for a method its route does not take (as the AuthZEN
    /// listener does).
    func addAuthZENRoutes(to router: Router<AdminRequestContext>) {
        guard self.evaluator != nil else { return }
        let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch]
        for path in [AuthZENPath.metadata, AuthZENPath.evaluation, AuthZENPath.evaluations] {
            for method in methods {
                router.on(RouterPath(path), method: method) { request, context in
                    try await self.serveAuthZEN(request, context)
                }
            }
        }
    }

    /// One AuthZEN call on the admin listener, through the handler the AuthZEN listener shares.
    func serveAuthZEN(_ request: Request, _ context: AdminRequestContext) async throws -> AdminReply {
        let call = AuthZENCall(
            method: request.method, path: request.uri.path, authority: request.head.authority,
            scheme: request.head.scheme ?? self.scheme, authorization: request.headers[.authorization],
            requestID: request.headers[Self.requestIDField], peer: self.connections.peer(of: context.connection),
            receivedAt: self.clock())
        switch self.startAuthZEN(call) {
        case .answered(let reply):
            return reply
        case .readBody(let admission):
            let body: AuthZENBody
            do {
                body = .bytes(try await request.body.collect(upTo: Self.maxEvaluationBytes))
            } catch is NIOTooManyBytesError {
                body = .tooLarge
            }
            return await self.finishAuthZEN(call, admission, body: body).reply()
        }
    }

    /// What a call's head decides: the metadata, 404 or 405, a refusal (logged and recorded), or
    /// the admitted caller whose body is to be read.
    ///
    /// - Parameter call: The request head, as either listener read it.
    /// - Returns: The whole answer, or the route and caller to finish with the body.
    package func startAuthZEN(_ call: AuthZENCall) -> AuthZENStart {
        guard let route = AuthZENRoute(path: call.path), let evaluator = self.evaluator else {
            return .answered(
                Self.echoing(
                    call,
                    AdminResponse.json(
                        AdminDTO.Error(
                            error: "not_found",
                            message:
                                "'\(call.path)' is not an AuthZEN path; use \(AuthZENPath.evaluation), \(AuthZENPath.evaluations) or \(AuthZENPath.metadata)."
                        ), status: .notFound)))
        }
        guard call.method == route.method else {
            var reply = AdminResponse.json(
                AdminDTO.Error(
                    error: "method_not_allowed",
                    message: "\(call.path) takes \(route.method.rawValue), not \(call.method.rawValue)."),
                status: .methodNotAllowed)
            reply.headers[.allow] = route.method.rawValue
            return .answered(Self.echoing(call, reply))
        }
        let evaluationRoute: AuthZENAdmission.Route
        switch route {
        case .metadata:
            return .answered(Self.echoing(call, AdminResponse.authZEN(self.metadata(for: call).write(into:))))
        case .evaluation: evaluationRoute = .evaluation
        case .evaluations: evaluationRoute = .evaluations
        }
        let admission = self.admit(
            authorization: call.authorization, peer: call.peer, action: route.action, needs: .evaluator,
            record: { call.recordFacts })
        switch admission {
        case .refused(let reply): return .answered(Self.echoing(call, reply))
        case .admitted(let caller):
            return .readBody(AuthZENAdmission(route: evaluationRoute, caller: caller, evaluator: evaluator))
        }
    }

    /// The answer to an admitted call with its body: now when every evaluation is decided at once
    /// (a cached decision), else once the pipeline has verified what it must. Logged at debug,
    /// and recorded as an admin record only when no evaluation reached the decision log.
    ///
    /// - Parameters:
    ///   - call: The request head.
    ///   - admission: The route, caller and evaluator ``startAuthZEN(_:)`` admitted.
    ///   - body: The body, or that it was too large.
    package func finishAuthZEN(_ call: AuthZENCall, _ admission: AuthZENAdmission, body: AuthZENBody) -> AuthZENStep {
        let action = admission.route.action
        let caller = admission.caller
        let conclude: @Sendable (AdminAnswer) -> AdminReply = { answer in
            Self.echoing(
                call, self.conclude(answer, caller: caller, action: action, level: .debug, record: { call.recordFacts })
            )
        }
        do throws(AdminRequestError) {
            return try self.evaluate(call, admission, body: body, conclude: conclude)
        } catch {
            return .answered(conclude(AdminAnswer(error.response, outcome: "\(error.status.code) \(error.code)")))
        }
    }

    /// The evaluations of an admitted call's body; ``AdminRequestError`` for a request wrong as a
    /// whole (413, 400).
    private func evaluate(
        _ call: AuthZENCall, _ admission: AuthZENAdmission, body: AuthZENBody,
        conclude: @escaping @Sendable (AdminAnswer) -> AdminReply
    ) throws(AdminRequestError) -> AuthZENStep {
        let evaluator = admission.evaluator
        guard case .bytes(let bytes) = body else {
            throw AdminRequestError(
                status: .contentTooLarge, code: "too_large",
                message: "The body is larger than \(Self.maxEvaluationBytes) bytes; split the batch.")
        }
        switch admission.route {
        case .evaluation:
            let evaluation = try Self.authZENBody(bytes, AuthZENDTO.Evaluation.init(json:))
            let request = try self.request(
                for: evaluation, requestID: call.requestID, time: self.clock(), evaluator: evaluator)
            return Self.decisionStep(evaluator.prepare(request, decisionID: nil), conclude: conclude)
        case .evaluations:
            let batch = try AuthZENBatch(
                try Self.authZENBody(bytes, AuthZENDTO.Evaluations.init(json:)), requestID: call.requestID,
                time: self.clock(), evaluator: evaluator)
            if let single = batch.single {
                let request = try self.request(
                    for: single, requestID: call.requestID, time: batch.time, evaluator: evaluator)
                return Self.decisionStep(evaluator.prepare(request, decisionID: nil), conclude: conclude)
            }
            return batch.run(conclude: conclude)
        }
    }

    /// One evaluation's answer, now or once decided: the decision log holds it as its decision record.
    private static func decisionStep(
        _ step: AccessEvaluationStep, conclude: @escaping @Sendable (AdminAnswer) -> AdminReply
    ) -> AuthZENStep {
        let answer: @Sendable (AccessEvaluation) -> AdminReply = { evaluation in
            conclude(
                AdminAnswer(AdminResponse.authZEN(evaluation.writeAuthZEN(into:)), recordedAsDecisions: true))
        }
        switch step {
        case .decided(let evaluation): return .answered(answer(evaluation))
        case .pending(let wait): return .pending { answer(await wait()) }
        }
    }

    /// One evaluation whose missing entity is the whole request's fault: 400.
    func request(
        for evaluation: AuthZENDTO.Evaluation, requestID: String?, time: UnixTime, evaluator: any AccessEvaluator
    ) throws(AdminRequestError) -> AuthzRequest {
        do {
            return try AuthZENMapping.request(
                for: evaluation, requestID: requestID, time: time, paths: evaluator.paths)
        } catch {
            throw AdminRequestError(status: .badRequest, code: error.code, message: error.message)
        }
    }

    /// The metadata document, with absolute URLs on the host and scheme the caller reached.
    func metadata(for call: AuthZENCall) -> AuthZENDTO.Metadata {
        let host = call.authority ?? "localhost"
        let scheme = call.scheme
        let base = "\(scheme)://\(host)"
        return AuthZENDTO.Metadata(
            policyDecisionPoint: base, accessEvaluationEndpoint: base + AuthZENPath.evaluation,
            accessEvaluationsEndpoint: base + AuthZENPath.evaluations)
    }

    /// The body as JSON (``AuthZENJSON``), handed to `shape`: 400 `invalid_json` when it is not
    /// JSON, or not of the shape `shape` reads.
    static func authZENBody<Body>(
        _ bytes: ByteBuffer, _ shape: (AuthZENValue) throws(AuthZENJSONError) -> Body
    ) throws(AdminRequestError) -> Body {
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

    /// `reply` with the call's `X-Request-ID`, if it had one.
    static func echoing(_ call: AuthZENCall, _ reply: AdminReply) -> AdminReply {
        guard let id = call.requestID else { return reply }
        var reply = reply
        reply.headers[Self.requestIDField] = id
        return reply
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

    init(_ text: String?) throws(AdminRequestError) {
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
    /// into the reply's buffer (``AuthZENJSON``).
    static func authZEN(capacity: Int = 256, _ write: (inout ByteBuffer) -> Void) -> AdminReply {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(capacity)
        write(&buffer)
        return AdminReply(status: .ok, headers: [.contentType: "application/json"], body: buffer)
    }
}
