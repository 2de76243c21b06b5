import Foundation
package import GatehouseCore
package import Hummingbird
package import Logging
import NIOCore

/// The admin API's routes: status, notify, upload and rollback for callers with a role, health
/// for anyone, metrics for scrapers.
///
/// `/healthz` and `/readyz` take no credential: orchestrators' probes carry none, and they tell
/// nothing a caller could not learn by connecting to the gRPC port. Every other route
/// authenticates (``AdminAuthenticator``) and checks the caller's role: no credential is 401
/// with `WWW-Authenticate: Bearer`, a role too low is 403, both with a JSON error body. Every
/// action, allowed or refused, is logged with who, what and the outcome (changes at notice,
/// reads at info, metric scrapes at debug so that a 15 s scrape does not flood the log).
///
/// ```swift
/// let api = AdminAPI(administration: pipeline, isReady: { authorizer.isReady }, metrics: { registry.text() },
///                    access: access, logger: logger)
/// let app = Application(router: api.makeRouter())
/// ```
package struct AdminAPI: Sendable {
    /// The most bytes an uploaded bundle may have, unless configured: 64 MiB.
    package static let defaultMaxBundleBytes = 64 << 20
    /// The most bytes a notify or rollback body may have.
    static let maxRequestBytes = 64 << 10

    let administration: any PolicyAdministration
    let isReady: @Sendable () -> Bool
    let metrics: @Sendable () async -> String
    let authenticator: AdminAuthenticator
    let connections: AdminConnections
    let maxBundleBytes: Int
    let clock: @Sendable () -> UnixTime
    let logger: Logger
    /// The decision log, offered one admin record per request to a route that needs a role.
    let audit: (any AuditSink)?
    /// The decision log's counters for `/v1/status`; `nil` when it is off.
    let auditStatus: (@Sendable () -> AuditLogStatus)?
    /// The decision log read by `GET /v1/decisions` (auditor); without it the route answers 404.
    let decisionLog: (any DecisionLogReader)?
    /// The AuthZEN routes' evaluator (the shared check pipeline); without it they are not served.
    let evaluator: (any AccessEvaluator)?
    /// `https` when the listener serves TLS: the scheme of the AuthZEN metadata's URLs.
    let scheme: String

    /// - Parameters:
    ///   - administration: The reload pipeline the routes ask.
    ///   - isReady: Whether a policy is active and every key set loaded (the gRPC health's truth).
    ///   - metrics: The Prometheus text exposition.
    ///   - access: Who may call, in which role.
    ///   - connections: Where the TLS listener keeps each connection's verified client certificate.
    ///   - maxBundleBytes: The largest upload; a larger one is 413.
    ///   - clock: Now, for key set ages.
    ///   - logger: Where every admin action is logged.
    ///   - audit: The decision log, offered an ``GatehouseCore/AdminEntry`` record for every
    ///     request to a route that needs a role, allowed or refused; by default none.
    ///   - decisionLog: The decision log `GET /v1/decisions` reads; by default none (404).
    ///   - auditStatus: The decision log's counters, shown by `/v1/status`; by default none.
    ///   - evaluator: Answers the AuthZEN routes (role `evaluator`); by default none (not served).
    ///   - scheme: `https` on a TLS listener, for the AuthZEN metadata's URLs; by default `http`.
    package init(
        administration: any PolicyAdministration, isReady: @escaping @Sendable () -> Bool,
        metrics: @escaping @Sendable () async -> String, access: AdminAccess,
        connections: AdminConnections = AdminConnections(), maxBundleBytes: Int = Self.defaultMaxBundleBytes,
        clock: @escaping @Sendable () -> UnixTime = AdminAPI.systemClock, logger: Logger,
        audit: (any AuditSink)? = nil, decisionLog: (any DecisionLogReader)? = nil,
        auditStatus: (@Sendable () -> AuditLogStatus)? = nil, evaluator: (any AccessEvaluator)? = nil,
        scheme: String = "http"
    ) {
        self.administration = administration
        self.isReady = isReady
        self.metrics = metrics
        self.authenticator = AdminAuthenticator(access: access)
        self.connections = connections
        self.maxBundleBytes = maxBundleBytes
        self.clock = clock
        self.logger = logger
        self.audit = audit
        self.decisionLog = decisionLog
        self.auditStatus = auditStatus
        self.evaluator = evaluator
        self.scheme = scheme
    }

    /// Now, from the system's real-time clock.
    package static let systemClock: @Sendable () -> UnixTime = {
        let now = Date().timeIntervalSince1970
        let seconds = now.rounded(.down)
        return UnixTime(seconds: Int64(seconds), nanoseconds: Int32((now - seconds) * 1e9))
    }

    /// The router with every route.
    package func makeRouter() -> Router<AdminRequestContext> {
        let router = Router(context: AdminRequestContext.self)
        router.get("/healthz") { _, _ in AdminResponse.text("ok\n") }
        router.get("/readyz") { _, _ in
            self.isReady()
                ? AdminResponse.text("ready\n") : AdminResponse.text("not ready\n", status: .serviceUnavailable)
        }
        router.get("/metrics") { request, context in
            try await self.authorized(request, context, action: "metrics", needs: .metrics, level: .debug) { _ in
                AdminAnswer(
                    AdminResponse.text(await self.metrics(), contentType: "text/plain; version=0.0.4; charset=utf-8"))
            }
        }
        router.get("/v1/status") { request, context in
            try await self.authorized(request, context, action: "status", needs: .auditor, level: .info) { _ in
                AdminAnswer(
                    AdminResponse.json(
                        AdminDTO.Status(
                            await self.administration.status(), now: self.clock(), audit: self.auditStatus?())))
            }
        }
        router.post("/v1/policy/notify") { request, context in
            try await self.change(request, context, action: "notify", trigger: .notify) { caller, revision in
                await self.administration.reload(
                    ReloadRequest(trigger: .notify, requestedBy: caller.description, expectedRevision: revision))
            }
        }
        router.post("/v1/policy/rollback") { request, context in
            try await self.change(request, context, action: "rollback", trigger: .rollback) { caller, revision in
                await self.administration.rollback(
                    to: revision, request: ReloadRequest(trigger: .rollback, requestedBy: caller.description))
            }
        }
        if let decisionLog = self.decisionLog {
            router.get("/v1/decisions") { request, context in
                try await self.authorized(request, context, action: "decisions", needs: .auditor, level: .info) { _ in
                    try self.decisions(request, log: decisionLog)
                }
            }
        }
        router.put("/v1/policy/bundle") { request, context in
            try await self.authorized(request, context, action: "upload", needs: .admin, level: .notice) { caller in
                try await self.upload(request, caller: caller)
            }
        }
        self.addShadowRoutes(to: router)
        self.addAuthZENRoutes(to: router)
        return router
    }
}
