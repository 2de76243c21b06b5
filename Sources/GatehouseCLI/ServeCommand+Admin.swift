import GatehouseAdmin
import GatehouseCore
import Logging
import ServiceLifecycle

extension ServeCommand {
    /// The admin API of `gatehouse serve` (`admin.*`; none when `admin.listen` is `off`), and the
    /// AuthZEN API's own listener when `authzen.listen` names one.
    ///
    /// Client certificates on `admin.tls` are verified by the same ``ClientCertificateVerifier``
    /// the gRPC listeners use, built from the admin listener's own `clientCA`, `crls` and
    /// `trustDomain`; `admin.clients` then names each verified certificate's role.
    ///
    /// - Parameters:
    ///   - settings: `admin.*`.
    ///   - administration: The reload pipeline (status, notify, upload, rollback).
    ///   - isReady: The gRPC health's truth, for `/readyz`.
    ///   - metrics: The Prometheus text, for `/metrics`.
    ///   - file: The configuration file, to name in errors about `admin.tls` files.
    ///   - audit: The decision log, offered a record of every request that needs a role.
    ///   - auditStatus: Its counters, for `/v1/status`.
    ///   - decisionLog: The store `GET /v1/decisions` reads.
    ///   - evaluator: Answers the AuthZEN routes (`/access/v1/*`, role `evaluator`) on the admin
    ///     listener (unless `authzen.onAdmin` is off) and on `authzen.listen`; `nil` serves none.
    /// - Returns: The listeners' services: the admin listener's, then the AuthZEN listener's.
    /// - Throws: ``IdentityError`` when the client CA or a CRL cannot be read.
    static func adminServices(
        _ settings: AdminSettings, administration: any PolicyAdministration,
        isReady: @escaping @Sendable () -> Bool, metrics: @escaping @Sendable () async -> String, file: String?,
        audit: (any AuditSink)? = nil, auditStatus: (@Sendable () -> AuditLogStatus)? = nil,
        decisionLog: (any DecisionLogReader)? = nil, evaluator: (any AccessEvaluator)? = nil
    ) throws -> [any Service] {
        let logger = Logger(label: "gatehouse.admin")
        let security = try Self.adminSecurity(settings, file: file)
        let scheme = settings.tls == nil ? "http" : "https"
        // Each listener gets an API value of its own (its own connections: each keeps the client
        // certificates of its own), with the same callers, limits and decision log.
        let api = { (evaluator: (any AccessEvaluator)?) in
            AdminAPI(
                administration: administration, isReady: isReady, metrics: metrics, access: settings.access,
                maxBundleBytes: settings.maxBundleBytes, logger: logger, audit: audit, decisionLog: decisionLog,
                auditStatus: auditStatus, evaluator: evaluator, scheme: scheme)
        }
        var services: [any Service] = []
        if let address = settings.listen {
            services.append(
                AdminServer(
                    api: api(settings.authzenOnAdmin ? evaluator : nil),
                    configuration: AdminServerConfiguration(host: address.host, port: address.port, security: security),
                    logger: logger))
        }
        if let address = settings.authzenListen, let evaluator {
            services.append(
                AuthZENServer(
                    api: api(evaluator),
                    configuration: AuthZENServerConfiguration(
                        host: address.host, port: address.port, security: security),
                    logger: Logger(label: "gatehouse.authzen")))
        }
        return services
    }

    /// The admin listener's TLS (`admin.tls`), which the AuthZEN listener shares.
    private static func adminSecurity(_ settings: AdminSettings, file: String?) throws
        -> AdminServerConfiguration.Security
    {
        let security: AdminServerConfiguration.Security
        switch settings.tls {
        case nil:
            security = .plaintext
        case let tls? where tls.clients == nil:
            security = .tls(certificateChain: tls.certificateChain, privateKey: tls.privateKey)
        case let tls?:
            // The case above took TLS without client certificates.
            let clients = tls.clients!
            let location = SourceLocation(file: file ?? "admin.tls", line: 1, column: 1)
            security = .mutualTLS(
                certificateChain: tls.certificateChain, privateKey: tls.privateKey,
                verifier: try ListenerVerifiers.verifier(for: clients, clientCAAt: location))
        }
        return security
    }
}
