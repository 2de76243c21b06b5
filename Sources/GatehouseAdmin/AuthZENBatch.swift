import GatehouseCore
import NIOCore

/// A batch (`POST /access/v1/evaluations`) being evaluated: each item over the top-level
/// defaults, in order, stopping early as the semantic says.
///
/// Items are decided one after the other (short-circuiting needs the order). Those the pipeline
/// decides at once (a cached decision) are answered on the caller's thread; at the first item
/// that must wait (a credential to verify) the rest of the batch goes on asynchronously. Every
/// item is asked at one time, the server's clock when the batch's body was read.
struct AuthZENBatch: Sendable {
    private let items: [AuthZENDTO.Evaluation]
    private let defaults: AuthZENDTO.Evaluation
    private let semantic: AuthZENSemantic
    private let requestID: String?
    let time: UnixTime
    private let evaluator: any AccessEvaluator
    /// The items' decision log ids, made together (one random fill for the batch).
    private let decisionIDs: AuthZENDecisionIDs
    private var results: [AuthZENItemAnswer] = []
    /// Whether any item reached the pipeline (a decision record).
    private var evaluated = false
    private var stopped = false

    /// - Throws: ``AdminRequestError`` (400 `invalid_options`) for an unknown `evaluations_semantic`.
    init(
        _ body: AuthZENDTO.Evaluations, requestID: String?, time: UnixTime, evaluator: any AccessEvaluator
    ) throws(AdminRequestError) {
        self.semantic = try AuthZENSemantic(body.options?.evaluationsSemantic)
        self.items = body.evaluations ?? []
        self.defaults = body.defaults
        self.requestID = requestID
        self.time = time
        self.evaluator = evaluator
        self.decisionIDs = AuthZENDecisionIDs(count: self.items.count, at: time)
        self.results.reserveCapacity(self.items.count)
    }

    /// A batch without items is one evaluation of its top-level entities, answered as one.
    var single: AuthZENDTO.Evaluation? { self.items.isEmpty ? self.defaults : nil }

    /// The batch's answer, now if every item is decided at once, else once the waiting ones are.
    func run(conclude: @escaping @Sendable (AdminAnswer) -> AdminReply) -> AuthZENStep {
        var batch = self
        guard let wait = batch.advance() else { return .answered(conclude(batch.answer)) }
        return .pending { [batch] in
            var batch = batch
            batch.add(.evaluated(await wait()))
            while let wait = batch.advance() {
                batch.add(.evaluated(await wait()))
            }
            return conclude(batch.answer)
        }
    }

    /// Decides items until the batch is done (`nil`) or an item must wait (its wait, which the
    /// caller awaits and ``add(_:)``s).
    private mutating func advance() -> (@Sendable () async -> AccessEvaluation)? {
        while !self.stopped && self.results.count < self.items.count {
            let item = self.items[self.results.count].filled(from: self.defaults)
            let request: AuthzRequest
            do {
                request = try AuthZENMapping.request(
                    for: item, requestID: self.requestID, time: self.time, paths: self.evaluator.paths)
            } catch {
                self.add(.failed(Self.failure(code: error.code, message: error.message)))
                continue
            }
            switch self.evaluator.prepare(request, decisionID: self.decisionIDs[self.results.count]) {
            case .decided(let evaluation): self.add(.evaluated(evaluation))
            case .pending(let wait): return wait
            }
        }
        return nil
    }

    private mutating func add(_ result: AuthZENItemAnswer) {
        self.results.append(result)
        if case .evaluated = result { self.evaluated = true }
        if self.semantic.stops(after: result.decision) { self.stopped = true }
    }

    /// `{"evaluations": […]}`. Each item the pipeline decided is a decision record; a batch none
    /// of whose items could be mapped has none, and keeps its admin record.
    private var answer: AdminAnswer {
        let results = self.results
        let reply = AdminResponse.authZEN(capacity: 64 + 256 * results.count) { buffer in
            AuthZENItemAnswer.write(results, into: &buffer)
        }
        return AdminAnswer(reply, recordedAsDecisions: self.evaluated)
    }

    /// An item that cannot be mapped: `decision: false` with `context.error`.
    private static func failure(code: String, message: String) -> AuthZENDTO.Decision {
        AuthZENDTO.Decision(
            decision: false,
            context: [
                "error": .object(["status": .number(400), "code": .string(code), "message": .string(message)])
            ])
    }
}
