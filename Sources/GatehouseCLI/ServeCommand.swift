import ArgumentParser
import Foundation
import GatehouseCache
import GatehouseCore
import GatehouseGRPC
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
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel: String?
    @Option(
        help: """
            reject (default) or normalize: whether a path with a '.' or '..' segment or an encoded dot \
            is denied (400 ambiguous_path) or resolved; normalize only behind Envoy's normalize_path.
            """)
    var dotSegments: String?
    @Flag(help: "Validate the configuration and the policies, print the result, and exit (0 valid, 2 not).")
    var checkConfig = false

    func run() async throws {
        let configuration: ServeConfiguration
        do {
            configuration = try ServeConfiguration.load(
                file: self.config, environment: ProcessInfo.processInfo.environment, policies: self.policies,
                listen: self.listen, logLevel: self.logLevel, dotSegments: self.dotSegments)
        } catch let error as ConfigurationError {
            Console.printError(error.description)
            throw ExitStatus.usage.exitCode
        }
        let compiled = try PolicyCommand.compile(directory: configuration.policies, printWarnings: self.checkConfig)
        let fetcher = HTTPFetcher()
        do {
            try await self.run(configuration, compiled: compiled, fetcher: fetcher)
            try? await fetcher.shutdown()
        } catch {
            try? await fetcher.shutdown()
            throw error
        }
    }

    private func run(_ configuration: ServeConfiguration, compiled: CompiledPolicySet, fetcher: HTTPFetcher)
        async throws
    {
        let keySets = KeySetRegistry(fetcher: fetcher, logger: Logger(label: "gatehouse.jwks"))
        let authenticators = try PolicyCommand.loadIdentity(compiled, keySets: keySets)
        if self.checkConfig {
            Console.print(
                "configuration is valid: \(configuration.grpc.listeners.map(\.description).joined(separator: ", "))")
            Console.print(
                "policies: \(compiled.tree.policies.count) (\(compiled.tree.ruleCount) rules, revision \(compiled.tree.revision))"
            )
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
            peerVerifiers = try ListenerVerifiers.verifiers(for: configuration.grpc.listeners, file: self.config)
        } catch {
            Console.printError(error.description)
            throw ExitStatus.usage.exitCode
        }
        try await Self.serve(
            configuration, tree: compiled.tree, authenticators: authenticators, keySets: keySets,
            peerVerifiers: peerVerifiers)
    }

    private static func serve(
        _ configuration: ServeConfiguration, tree: DecisionTree, authenticators: PolicyAuthenticators,
        keySets: KeySetRegistry, peerVerifiers: [ListenerConfiguration.Address: any ListenerPeerVerifier]
    ) async throws {
        let logger = Logger(label: "gatehouse")
        let authorizer = Authorizer()
        // One cache for every listener; a key rotation anywhere changes every key.
        let decisions = CachingAuthorizer(
            authorizer: authorizer, settings: configuration.cache, keyGeneration: { keySets.generation })
        // Health says SERVING only once every URL key set has loaded; checks before that reject
        // the issuer's tokens (token_keys_unavailable) rather than wait.
        authorizer.activate(tree, authenticator: authenticators, isLoaded: { keySets.isLoaded })
        logger.info(
            "policy revision active",
            metadata: [
                "gatehouse.policy.revision": "\(tree.revision)", "gatehouse.policies": "\(tree.policies.count)",
                "gatehouse.rules": "\(tree.ruleCount)",
                "gatehouse.cache": "\(configuration.cache.isEnabled ? "on" : "off")",
            ])
        let server = GRPCServerService(
            configuration: configuration.grpc,
            logger: logger,
            directCheck: GRPCServerService.DirectCheck(
                service: AuthorizationService(decider: decisions, logger: logger, paths: configuration.paths),
                isServing: { authorizer.isReady }),
            peerVerifiers: peerVerifiers)
        // ServiceLifecycle describes every service at debug level; keep that out of debug request logs.
        var lifecycleLogger = logger
        lifecycleLogger.logLevel = max(logger.logLevel, .info)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: server), .init(service: KeySetRefreshService(registry: keySets))],
            logger: lifecycleLogger)
        groupConfiguration.gracefulShutdownSignals = [.sigterm, .sigint]
        groupConfiguration.maximumGracefulShutdownDuration = configuration.grpc.shutdownGracePeriod
        try await ServiceGroup(configuration: groupConfiguration).run()
        logger.info("stopped")
    }
}
