import Crypto
import GatehouseAdmin
import GatehouseCore
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import NIOCore

/// An admin API over a fake pipeline, with one token per role.
struct AdminFixture {
    static let adminToken = "admin-secret"
    static let auditorToken = "auditor-secret"
    static let metricsToken = "metrics-secret"

    let administration: FakeAdministration
    let logs = InMemoryLogHandler()
    var maxBundleBytes = 1024
    var isReady = true
    /// The decision log the API offers its admin records to.
    var audit: (any AuditSink)?
    /// The decision log's counters `/v1/status` shows.
    var auditStatus: AuditLogStatus?

    init(outcome: ReloadOutcome = .unchanged(revision: "rev-1")) {
        self.administration = FakeAdministration(outcome: outcome)
    }

    static let access = AdminAccess(tokens: [
        .init(name: "ops", digest: Self.digest(Self.adminToken), role: .admin),
        .init(name: "audit", digest: Self.digest(Self.auditorToken), role: .auditor),
        .init(name: "prometheus", digest: Self.digest(Self.metricsToken), role: .metrics),
    ])

    static func digest(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Array(token.utf8))) }

    func api(connections: AdminConnections = AdminConnections()) -> AdminAPI {
        let ready = self.isReady
        let logs = self.logs
        var logger = Logger(label: "admin-test") { _ in logs }
        logger.logLevel = .debug
        var auditStatus: (@Sendable () -> AuditLogStatus)?
        if let status = self.auditStatus { auditStatus = { status } }
        return AdminAPI(
            administration: self.administration, isReady: { ready }, metrics: { "gatehouse_up 1\n" },
            access: Self.access, connections: connections, maxBundleBytes: self.maxBundleBytes,
            clock: { FakeAdministration.now }, logger: logger, audit: self.audit,
            auditStatus: auditStatus)
    }

    /// Runs `body` against the router.
    func withClient<Value>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = Application(router: self.api().makeRouter())
        return try await app.test(.router, body)
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }
}
