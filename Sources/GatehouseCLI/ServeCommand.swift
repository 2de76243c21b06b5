import ArgumentParser
import Foundation
import GatehouseAudit
import GatehouseCache
import GatehouseCore
import GatehouseGRPC
import GatehouseHTTPAuthz
import GatehouseIdentity
import GatehousePolicy
import Logging
import ServiceLifecycle
import UnixSignals

/// `gatehouse serve`: the Envoy ext_authz gRPC server.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve Envoy's ext_authz gRPC Check on the configured listeners.",
        discussion: """
            Precedence: flags > GATEHOUSE_* environment > the --config YAML file > defaults \
            (policies from ./policies, plaintext gRPC on 127.0.0.1:9191). SIGTERM or SIGINT \
            stops accepting, lets in-flight checks finish, and exits 0.
            """
    )

    @Option(help: "A YAML configuration file (see deploy/CONFIGURATION.md).") var config: String?
    @Option(help: "The policy directory.") var policies: String?
    @Option(help: "A listen address: HOST:PORT, [V6]:PORT or unix:PATH (repeatable; replaces configured listeners).")
    var listen: [String] = []
    @Option(
        help: """
            An HTTP ext_authz listen address (Envoy's http_service): HOST:PORT or unix:PATH \
            (repeatable; replaces configured ones).
            """
    )
    var httpListen: [String] = []
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel: String?
    @Option(
        help: """
            reject (default) or normalize: whether a path with a '.' or '..' segment or an encoded dot \
            is denied (400 ambiguous_path) or resolved; normalize only behind Envoy's normalize_path.
            """)
    var dotSegments: String?
    @Option(help: "Where the admin API listens (HOST:PORT), or off; default 127.0.0.1:8181 (deploy/ADMIN.md).")
    var adminListen: String?
    @Flag(help: "Validate the configuration and the policies, print the result, and exit (0 valid, 2 not).")
    var checkConfig = false

    func run() async throws {
        // Before the listeners' and the reloader's threads start allocating (``FreedMemory``).
        FreedMemory.limitArenas()
        let configuration: ServeConfiguration
        do {
            configuration = try ServeConfiguration.load(
                file: self.config, environment: ProcessInfo.processInfo.environment, policies: self.policies,
                listen: self.listen, logLevel: self.logLevel, dotSegments: self.dotSegments,
                adminListen: self.adminListen, httpListen: self.httpListen)
        } catch let error as ConfigurationError {
            Console.printError(error.description)
            throw ExitStatus.usage.exitCode
        }
        if self.checkConfig {
            try Self.checkConfiguration(configuration, file: self.config)
            return
        }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let peerVerifiers: [ListenerConfiguration.Address: any ListenerPeerVerifier]
        do {
            peerVerifiers = try ListenerVerifiers.verifiers(
                for: configuration.grpc.listeners + configuration.httpAuthz.listeners, file: self.config)
        } catch {
            Console.printError(error.description)
            throw ExitStatus.usage.exitCode
        }
        let fetcher = HTTPFetcher()
        do {
            try await Self.serve(configuration, peerVerifiers: peerVerifiers, fetcher: fetcher)
            try? await fetcher.shutdown()
        } catch {
            try? await fetcher.shutdown()
            throw error
        }
    }

    /// `--check-config`: the settings and the policy source, printed; exits 2 when either is invalid.
    private static func checkConfiguration(_ configuration: ServeConfiguration, file: String?) throws {
        _ = try? ListenerVerifiers.verifiers(
            for: configuration.grpc.listeners + configuration.httpAuthz.listeners, file: file)
        Console.print(
            "configuration is valid: \(configuration.grpc.listeners.map(\.description).joined(separator: ", "))")
        if !configuration.httpAuthz.listeners.isEmpty {
            Console.print(
                "HTTP ext_authz: \(configuration.httpAuthz.listeners.map(\.description).joined(separator: ", "))")
        }
        guard case .directory(let directory) = configuration.source else {
            Console.print("policies: from \(configuration.source) (fetched and verified when the server starts)")
            return
        }
        let compiled = try PolicyCommand.compile(directory: directory, printWarnings: true)
        let keySets = KeySetRegistry(fetcher: HTTPFetcher(), logger: Logger(label: "gatehouse.jwks"))
        _ = try PolicyCommand.loadIdentity(compiled, keySets: keySets)
        Console.print(
            "policies: \(compiled.tree.policies.count) (\(compiled.tree.ruleCount) rules, revision \(compiled.tree.revision))"
        )
    }

    /// Loads the first revision (or the store's last good one), then serves until SIGTERM or SIGINT.
    ///
    /// The ServiceGroup runs the gRPC server, the key-set refresh loops and the reload triggers
    /// (SIGHUP, the watched directory); other services that act on the policy (the admin API) get
    /// `reloader` as their ``PolicyAdministration``.
    private static func serve(
        _ configuration: ServeConfiguration, peerVerifiers: [ListenerConfiguration.Address: any ListenerPeerVerifier],
        fetcher: HTTPFetcher
    ) async throws {
        let logger = Logger(label: "gatehouse")
        // Trapped before the first load, so a SIGHUP sent early reloads instead of killing the process.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let keySets = KeySetRegistry(fetcher: fetcher, logger: Logger(label: "gatehouse.jwks"))
        let authorizer = Authorizer()
        // One cache for every listener; a key rotation anywhere changes every key.
        let decisions = CachingAuthorizer(
            authorizer: authorizer, settings: configuration.cache, keyGeneration: { keySets.generation })
        let isCaching = configuration.cache.isEnabled
        let metrics = ServeMetrics.server(
            isEnabled: configuration.metricsEnabled, cache: { isCaching ? decisions.statistics : nil })
        // The decision log opens first (the start-up activation is its first record) and drains
        // last: after the listeners stopped and answered every check in flight.
        let audit: ServeAudit?
        do {
            audit = try ServeAudit.open(configuration.audit)
        } catch {
            Console.printError(error.description)
            throw ExitStatus.usage.exitCode
        }
        defer { audit?.drain() }
        // Each activation wakes the fleet replica (if any) to report it.
        let (activations, activated) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let reloader = try Self.reloader(
            configuration, authorizer: authorizer, keySets: keySets, fetcher: fetcher, logger: logger,
            cacheStatistics: { isCaching ? decisions.statistics : nil },
            onOutcome: ActivationRecords.recording(
                to: audit?.writer, source: configuration.source.description, clock: AuthorizationService.systemClock,
                then: Self.signalling(
                    activated, then: Self.droppingCachedDecisions(of: decisions, then: metrics.onOutcome))))
        metrics.attach(reloader)
        let fleet = try Self.fleetReplica(
            configuration.fleet, instance: audit?.writer.instance ?? configuration.audit.instance, pipeline: reloader,
            activations: activations)
        // Health says SERVING only once every URL key set of the active revision has loaded;
        // checks before that reject the issuer's tokens (token_keys_unavailable) rather than wait.
        // A refused source with a kept revision of it serves that one (logged); with neither, exit 2
        // with the source's problem, diagnostics on standard output as `gatehouse policy` prints them.
        let (first, _) = await reloader.start()
        guard authorizer.revision != nil else {
            if case .refused(let failure) = first {
                if failure.stage == .compile {
                    Console.print(failure.message)
                } else {
                    Console.printError(failure.message)
                }
            }
            throw ExitStatus.usage.exitCode
        }
        logger.info(
            "serving", metadata: ["gatehouse.cache": "\(configuration.cache.isEnabled ? "on" : "off")"])
        // One pipeline for every front door: the same cache, decision log and metrics.
        let pipeline = CheckPipeline(
            decider: decisions, logger: logger, paths: configuration.paths, observer: metrics.checkObserver,
            audit: audit?.writer, metadata: configuration.envoyMetadata)
        let doors = Self.frontDoors(configuration, pipeline: pipeline, peerVerifiers: peerVerifiers, logger: logger)
        let server = GRPCServerService(
            configuration: configuration.grpc,
            logger: logger,
            directCheck: GRPCServerService.DirectCheck(
                service: AuthorizationService(pipeline: pipeline), isServing: { authorizer.isReady }),
            peerVerifiers: peerVerifiers, group: doors.group)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: server), .init(service: KeySetRefreshService(registry: keySets)),
            .init(service: SignalReloadService(reloader: reloader, signals: hangups)),
        ]
        if case .url = configuration.source {
            services.append(
                .init(service: BundlePollService(reloader: reloader, interval: configuration.bundles.pollInterval)))
        }
        if case .directory(let directory) = configuration.source, configuration.bundles.watch {
            services.append(
                .init(
                    service: DirectoryWatchService(reloader: reloader, watcher: DirectoryWatcher(directory: directory)))
            )
        }
        if let fleet { services.append(.init(service: fleet)) }
        if let http = doors.http { services.append(.init(service: http)) }
        var auditStatus: (@Sendable () -> AuditLogStatus)?
        if let audit { auditStatus = { audit.status } }
        let admin = try Self.adminServices(
            configuration.admin,
            administration: Self.administration(
                ShadowingAdministration(reloader: reloader, authorizer: authorizer, audit: audit?.writer),
                fleet: fleet),
            isReady: { authorizer.isReady },
            metrics: { [render = metrics.render] in
                await render() + (audit?.metricsText ?? "") + ShadowMetrics.text(authorizer.shadow?.status)
            }, file: nil,
            audit: audit?.writer, auditStatus: auditStatus, decisionLog: audit?.store,
            // AuthZEN: the pipeline of the gRPC and HTTP doors (the same cache, decision log and metrics).
            evaluator: PipelineAccessEvaluator(pipeline: pipeline))
        services += admin.map { .init(service: $0) }
        // ServiceLifecycle describes every service at debug level; keep that out of debug request logs.
        var lifecycleLogger = logger
        lifecycleLogger.logLevel = max(logger.logLevel, .info)
        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: lifecycleLogger)
        groupConfiguration.gracefulShutdownSignals = [.sigterm, .sigint]
        groupConfiguration.maximumGracefulShutdownDuration = configuration.grpc.shutdownGracePeriod
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch {
            await doors.shutdown()
            throw error
        }
        await doors.shutdown()
        logger.info("stopped")
    }
}
