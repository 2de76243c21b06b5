import Foundation
import GatehouseCore
import Hummingbird
import Logging
import NIOCore

/// What a route answered, and the outcome the log names.
struct AdminAnswer {
    var response: AdminReply
    /// `200`, `activated rev-7`, `refused compile_failed`, …
    var outcome: String
    /// Whether the decision log already holds this call as decision records (an AuthZEN call whose
    /// evaluations reached the check pipeline): then it gets no admin record of its own.
    var recordedAsDecisions: Bool

    init(_ response: AdminReply, outcome: String? = nil, recordedAsDecisions: Bool = false) {
        self.response = response
        self.outcome = outcome ?? "\(response.status.code)"
        self.recordedAsDecisions = recordedAsDecisions
    }
}

/// Whether a caller may go on with a route: its caller, or the 401/403 that refuses it (already
/// logged and recorded).
enum AdminAdmission {
    case admitted(AdminCaller)
    case refused(AdminReply)
}

extension AdminAPI {
    /// Runs `body` for a caller whose role is at least `role`; answers 401 or 403 otherwise.
    /// Either way the action is logged (at `level` when allowed, at notice when refused) and
    /// offered to the decision log as an admin record, unless the answer says the log holds the
    /// call as decision records already (``AdminAnswer/recordedAsDecisions``: an evaluation is a
    /// decision, not an admin action; deploy/AUTHZEN.md).
    func authorized(
        _ request: Request, _ context: AdminRequestContext, action: String, needs role: AdminRole,
        level: Logger.Level, _ body: (AdminCaller) async throws -> AdminAnswer
    ) async throws -> AdminReply {
        // What was asked is put into words only for a record that is written.
        let time = self.clock()
        let record = { AdminRecordFacts(request, time: time) }
        let admission = self.admit(
            authorization: request.headers[.authorization], peer: self.connections.peer(of: context.connection),
            action: action, needs: role, record: record)
        switch admission {
        case .refused(let reply):
            return reply
        case .admitted(let caller):
            let answer: AdminAnswer
            do {
                answer = try await body(caller)
            } catch let error as AdminRequestError {
                answer = AdminAnswer(error.response, outcome: "\(error.status.code) \(error.code)")
            }
            return self.conclude(answer, caller: caller, action: action, level: level, record: record)
        }
    }

    /// Who the caller is, and whether its role is at least `role`: a refusal (401 without an
    /// accepted credential, 403 below the role) is logged at notice and recorded before it is returned.
    ///
    /// - Parameters:
    ///   - authorization: The request's `Authorization` header.
    ///   - peer: The client certificate its connection's handshake verified, if any.
    ///   - action: The action's name, for the log and the 403's message.
    ///   - record: What was asked and when, for the admin record.
    func admit(
        authorization: String?, peer: PeerIdentity?, action: String, needs role: AdminRole,
        record: () -> AdminRecordFacts
    ) -> AdminAdmission {
        switch self.authenticator.authenticate(authorization: authorization, peer: peer) {
        case .missing:
            self.log(.notice, action: action, caller: "anonymous", outcome: "401 no credential")
            self.record(record, actor: "anonymous", role: nil, outcome: "refused", status: 401, detail: "no credential")
            return .refused(
                AdminResponse.unauthorized(
                    AdminDTO.Error(
                        error: "unauthenticated",
                        message:
                            "This route needs a credential: send 'Authorization: Bearer TOKEN' or a client certificate."
                    ),
                    challenge: "Bearer"))
        case .invalid(let why):
            self.log(.notice, action: action, caller: "anonymous", outcome: "401 \(why)")
            self.record(record, actor: "anonymous", role: nil, outcome: "refused", status: 401, detail: why)
            return .refused(
                AdminResponse.unauthorized(
                    AdminDTO.Error(error: "invalid_credential", message: "The credential was not accepted: \(why)."),
                    challenge: "Bearer error=\"invalid_token\""))
        case .withoutRole(let name):
            self.log(.notice, action: action, caller: "certificate:\(name)", outcome: "403 no role")
            self.record(
                record, actor: "certificate:\(name)", role: nil, outcome: "refused", status: 403, detail: "no role")
            return .refused(
                AdminResponse.json(
                    AdminDTO.Error(
                        error: "forbidden",
                        message:
                            "The client certificate '\(name)' has no role here; add it to admin.clients with a role."),
                    status: .forbidden))
        case .authenticated(let caller) where caller.role < role:
            self.log(.notice, action: action, caller: caller.description, outcome: "403 role \(caller.role.rawValue)")
            self.record(
                record, actor: caller.description, role: caller.role.rawValue, outcome: "refused", status: 403,
                detail: "needs role \(role.rawValue)")
            return .refused(
                AdminResponse.json(
                    AdminDTO.Error(
                        error: "forbidden",
                        message:
                            "'\(caller.name)' has the role '\(caller.role.rawValue)'; \(action) needs '\(role.rawValue)'."
                    ),
                    status: .forbidden))
        case .authenticated(let caller):
            return .admitted(caller)
        }
    }

    /// Logs an admitted caller's answer at `level` and records it as an admin record, unless the
    /// decision log holds it as decision records already; returns its reply.
    func conclude(
        _ answer: AdminAnswer, caller: AdminCaller, action: String, level: Logger.Level,
        record: () -> AdminRecordFacts
    ) -> AdminReply {
        self.log(level, action: action, caller: caller.description, outcome: answer.outcome)
        if answer.recordedAsDecisions { return answer.response }
        let status = UInt16(answer.response.status.code)
        // A plain status says only that the route ran; an action's own outcome (`activated rev-7`) says more.
        self.record(
            record, actor: caller.description, role: caller.role.rawValue,
            outcome: answer.outcome == String(status) ? "allowed" : answer.outcome, status: status)
        return answer.response
    }

    /// notify and rollback: an admin's request with an optional `{"revision": "…"}` body.
    func change(
        _ request: Request, _ context: AdminRequestContext, action: String, trigger: ReloadTrigger,
        _ body: @escaping (AdminCaller, String?) async -> ReloadOutcome
    ) async throws -> AdminReply {
        try await self.authorized(request, context, action: action, needs: .admin, level: .notice) { caller in
            let revision = try await Self.revision(of: request)
            return Self.answer(await body(caller, revision))
        }
    }

    /// PUT /v1/policy/bundle: the body is the bundle, at most ``maxBundleBytes``.
    func upload(_ request: Request, caller: AdminCaller) async throws -> AdminAnswer {
        let bundle = try await self.bundleBody(
            request, missing: "send the bundle's .tar.gz bytes (gatehouse admin upload FILE)")
        let outcome = await self.administration.activate(
            uploadedBundle: bundle,
            request: ReloadRequest(trigger: .upload, requestedBy: caller.description))
        return Self.answer(outcome)
    }

    /// A request body holding a bundle's `.tar.gz` bytes, at most ``maxBundleBytes`` (413 past
    /// it, 400 `empty_bundle` without one; `missing` says what to send).
    func bundleBody(_ request: Request, missing: String) async throws -> [UInt8] {
        let limit = self.maxBundleBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw AdminRequestError.tooLarge(limit: limit)
        }
        let bytes: ByteBuffer
        do {
            bytes = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw AdminRequestError.tooLarge(limit: limit)
        }
        guard bytes.readableBytes > 0 else {
            throw AdminRequestError(
                status: .badRequest, code: "empty_bundle", message: "The request has no body; \(missing).")
        }
        return Array(buffer: bytes)
    }

    /// The revision named by an optional JSON body `{"revision": "…"}`.
    static func revision(of request: Request) async throws -> String? {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxRequestBytes)
        } catch is NIOTooManyBytesError {
            throw AdminRequestError.tooLarge(limit: Self.maxRequestBytes)
        }
        guard body.readableBytes > 0 else { return nil }
        guard
            let decoded = try? AdminJSON.decoder.decode(
                AdminDTO.RevisionRequest.self, from: Data(body.readableBytesView))
        else {
            throw AdminRequestError(
                status: .badRequest, code: "invalid_request",
                message: "The body is not JSON of the form {\"revision\": \"REVISION\"}; send that, or no body.")
        }
        return decoded.revision
    }

    /// 200 for an activation or no change; 422 for a refusal (409 when the source holds another revision).
    static func answer(_ outcome: ReloadOutcome) -> AdminAnswer {
        let body = AdminDTO.Outcome(outcome)
        switch outcome {
        case .activated(let activation):
            return AdminAnswer(AdminResponse.json(body), outcome: "activated \(activation.revision)")
        case .unchanged(let revision):
            return AdminAnswer(AdminResponse.json(body), outcome: "unchanged \(revision)")
        case .refused(let failure):
            let status: HTTPResponse.Status = failure.code == "revision_mismatch" ? .conflict : .unprocessableContent
            return AdminAnswer(
                AdminResponse.json(body, status: status),
                outcome: "refused \(failure.stage.rawValue) \(failure.code)")
        }
    }

    /// Offers the admin record of one request to the decision log, if there is one.
    private func record(
        _ facts: () -> AdminRecordFacts, actor: String, role: String?, outcome: String, status: UInt16,
        detail: String? = nil
    ) {
        guard let audit = self.audit else { return }
        let facts = facts()
        let entry = AdminEntry(
            actor: actor, role: role, action: facts.action, outcome: outcome, status: status, detail: detail)
        // An admin action is answered whether or not the log takes it: the log's own counters show a
        // drop, and refusing an operator (say, the rollback that would fix the log) helps no one.
        _ = audit.offer(AuditRecord(id: AdminRecordFacts.makeID(), time: facts.time, entry: .admin(entry)))
    }

    private func log(_ level: Logger.Level, action: String, caller: String, outcome: String) {
        self.logger.log(
            level: level, "admin action",
            metadata: [
                "gatehouse.admin.action": "\(action)", "gatehouse.admin.caller": "\(caller)",
                "gatehouse.admin.outcome": "\(outcome)",
            ])
    }
}

/// A request the API cannot take (too large, malformed): answered with its status and a JSON error.
struct AdminRequestError: Error {
    var status: HTTPResponse.Status
    var code: String
    var message: String

    static func tooLarge(limit: Int) -> Self {
        AdminRequestError(
            status: .contentTooLarge, code: "too_large",
            message: "The body is larger than \(limit) bytes; raise admin.maxBundleBytes or send a smaller bundle.")
    }

    var response: AdminReply {
        AdminResponse.json(AdminDTO.Error(error: self.code, message: self.message), status: self.status)
    }
}

/// What an admin record needs of the request: what was asked (`METHOD /path`) and when.
struct AdminRecordFacts {
    var action: String
    var time: UnixTime

    init(_ request: Request, time: UnixTime) {
        self.init(method: request.method.rawValue, path: request.uri.path, time: time)
    }

    init(method: String, path: String, time: UnixTime) {
        self.action = "\(method) \(path)"
        self.time = time
    }

    /// A new record id: 128 random bits as 32 lower-case hex digits, the shape of a decision id.
    static func makeID() -> String {
        var generator = SystemRandomNumberGenerator()
        return [generator.next() as UInt64, generator.next() as UInt64].map { half in
            let digits = String(half, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }
}
