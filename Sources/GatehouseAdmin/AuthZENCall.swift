package import GatehouseCore
package import HTTPTypes
package import NIOCore

/// One AuthZEN call's request head, as either listener read it: everything the shared handler
/// (`AdminAPI+AuthZEN.swift`) needs besides the body.
package struct AuthZENCall: Sendable {
    /// The request's method.
    package var method: HTTPRequest.Method
    /// The request's path, without the query.
    package var path: String
    /// The `Host` (or `:authority`) the caller reached, for the metadata's URLs.
    package var authority: String?
    /// `http` or `https`: the listener's scheme, for the metadata's URLs.
    package var scheme: String
    /// The `Authorization` header.
    package var authorization: String?
    /// The `X-Request-ID` header, echoed on the answer.
    package var requestID: String?
    /// The client certificate the connection's handshake verified, if any.
    package var peer: PeerIdentity?
    /// When the head arrived, for the admin record of a call that gets one.
    package var receivedAt: UnixTime

    /// - Parameters:
    ///   - method: The request's method.
    ///   - path: The path, without the query.
    ///   - authority: The `Host` the caller reached.
    ///   - scheme: The listener's scheme.
    ///   - authorization: The `Authorization` header.
    ///   - requestID: The `X-Request-ID` header.
    ///   - peer: The verified client certificate of the connection.
    ///   - receivedAt: When the head arrived.
    package init(
        method: HTTPRequest.Method, path: String, authority: String?, scheme: String, authorization: String?,
        requestID: String?, peer: PeerIdentity?, receivedAt: UnixTime
    ) {
        self.method = method
        self.path = path
        self.authority = authority
        self.scheme = scheme
        self.authorization = authorization
        self.requestID = requestID
        self.peer = peer
        self.receivedAt = receivedAt
    }

    /// What an admin record of the call says was asked.
    var recordFacts: AdminRecordFacts {
        AdminRecordFacts(method: self.method.rawValue, path: self.path, time: self.receivedAt)
    }
}

/// The AuthZEN route a call asks for.
package enum AuthZENRoute: Sendable, Hashable {
    /// `GET /.well-known/authzen-configuration`.
    case metadata
    /// `POST /access/v1/evaluation`.
    case evaluation
    /// `POST /access/v1/evaluations`.
    case evaluations

    /// The route of `path`, whatever the method; `nil` for a path the API does not serve.
    package init?(path: String) {
        switch path {
        case AdminAPI.AuthZENPath.metadata: self = .metadata
        case AdminAPI.AuthZENPath.evaluation: self = .evaluation
        case AdminAPI.AuthZENPath.evaluations: self = .evaluations
        default: return nil
        }
    }

    /// The one method the route answers.
    package var method: HTTPRequest.Method { self == .metadata ? .get : .post }

    /// The action's name in the log and in a 403's message.
    var action: String {
        switch self {
        case .metadata: return "metadata"
        case .evaluation: return "evaluation"
        case .evaluations: return "evaluations"
        }
    }
}

/// What a call's head decides before its body is read.
package enum AuthZENStart: Sendable {
    /// The whole answer: the metadata, a refusal (401, 403), 404 or 405. Its body, if any, is not read.
    case answered(AdminReply)
    /// An admitted evaluation call: read the body (at most ``AdminAPI/maxEvaluationBytes``), then
    /// ``AdminAPI/finishAuthZEN(_:_:body:)``.
    case readBody(AuthZENAdmission)
}

/// An evaluation call whose head was admitted: what answering its body needs, so that
/// ``AdminAPI/finishAuthZEN(_:_:body:)`` has no route or evaluator left to check again.
package struct AuthZENAdmission: Sendable {
    /// Which of the two evaluation routes (never the metadata, which has no body).
    package enum Route: Sendable {
        /// `POST /access/v1/evaluation`.
        case evaluation
        /// `POST /access/v1/evaluations`.
        case evaluations

        /// The action's name in the log and the admin record.
        var action: String { self == .evaluation ? AuthZENRoute.evaluation.action : AuthZENRoute.evaluations.action }
    }

    /// The route.
    let route: Route
    /// The admitted caller (role `evaluator` or above).
    let caller: AdminCaller
    /// The pipeline that answers.
    let evaluator: any AccessEvaluator
}

/// An admitted call's body, as the listener read it.
package enum AuthZENBody: Sendable {
    /// The whole body.
    case bytes(ByteBuffer)
    /// More than ``AdminAPI/maxEvaluationBytes`` (413).
    case tooLarge
}

/// An answer ready now, or the wait for it (an evaluation that verifies a credential).
package enum AuthZENStep: Sendable {
    case answered(AdminReply)
    case pending(@Sendable () async -> AdminReply)

    /// The answer, waiting for it if need be.
    package func reply() async -> AdminReply {
        switch self {
        case .answered(let reply): return reply
        case .pending(let wait): return await wait()
        }
    }
}
