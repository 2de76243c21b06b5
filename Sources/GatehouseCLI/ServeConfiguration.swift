import Foundation
package import GatehouseCache
package import GatehouseCore
package import GatehouseGRPC
package import GatehouseHTTPAuthz
package import Logging

/// Everything `gatehouse serve` needs, composed from defaults, a YAML file, `GATEHOUSE_*`
/// environment variables and flags, in increasing precedence.
///
/// Which keys, variables and flags there are, how each is parsed and what each defaults to is
/// ``ServeSettings/table``; `deploy/CONFIGURATION.md` documents the same rows.
package struct ServeConfiguration: Sendable, Hashable {
    package var policies = "policies"
    package var grpc = GRPCServerConfiguration.defaults
    /// Envoy's ext_authz HTTP mode: its listeners (none by default) and path prefixes.
    package var httpAuthz = HTTPAuthzConfiguration.defaults
    package var logLevel = Logger.Level.info
    /// Which decision fields every answer carries for Envoy (`envoy.metadata`).
    package var envoyMetadata = MetadataFields.lean
    package var cache = DecisionCacheSettings()
    package var paths = PathNormalizer.Configuration.defaults
    /// Whether Prometheus metrics are collected (served on the admin API's `GET /metrics`).
    package var metricsEnabled = true
    /// Bundle sources, signatures, the store of last good revisions, and reload triggers.
    package var bundles = BundleSettings()
    /// The admin API: listener, roles, upload limit.
    package var admin = AdminSettings()
    /// The decision log: store, queue, checkpoints, key, retention.
    package var audit = AuditServeSettings()
    /// The fleet: the shared PostgreSQL, this replica's name, the reconcile interval.
    package var fleet = FleetServeSettings()

    /// Where revisions are loaded from: `bundles.url`, or `policies` (a directory or a bundle file).
    package var source: PolicySourceLocation { PolicySourceLocation(policies: self.policies, bundles: self.bundles) }

    package init() {}

    /// Loads and validates; throws one ``ConfigurationError`` listing every problem.
    ///
    /// - Parameters:
    ///   - file: The YAML file, if any.
    ///   - environment: The process's environment; only the table's variables are read.
    ///   - flags: Each flag given (as `--listen`) with its values, in order.
    package static func load(file: String?, environment: [String: String], flags: [String: [String]]) throws -> Self {
        var (configuration, problems) = try Self.compose(file: file, environment: environment, flags: flags)
        problems += configuration.validate()
        guard problems.isEmpty else { throw ConfigurationError(code: .invalidConfiguration, problems: problems) }
        return configuration
    }

    /// The settings the sources give, and the problems with their values, without the checks
    /// only serving needs (policy directory, listeners and their files): for `gatehouse check`,
    /// which decides as the configured server would but opens no listener.
    ///
    /// - Throws: ``ConfigurationError`` when the file cannot be read or is not YAML.
    static func compose(
        file: String?, environment: [String: String], flags: [String: [String]]
    ) throws -> (Self, [String]) {
        var configuration = ServeConfiguration()
        var problems: [String] = []
        if let file {
            var reader = ConfigFileReader(path: file)
            try reader.read(into: &configuration)
            problems += reader.problems
        }
        for removed in ServeSettings.removed where environment[removed.variable] != nil {
            problems.append("\(removed.variable): this variable was removed: \(removed.why); unset it.")
        }
        for setting in ServeSettings.table {
            guard let variable = setting.variable, let value = environment[variable] else { continue }
            problems += setting.apply([value], .environment(variable), &configuration)
        }
        for setting in ServeSettings.table {
            guard let flag = setting.flag, let values = flags[flag], !values.isEmpty else { continue }
            problems += setting.apply(values, .flag(flag), &configuration)
        }
        return (configuration, problems)
    }

    /// Loads `serve`'s own flags: `--policies`, `--listen` (repeatable), `--log-level`, `--dot-segments`
    /// and `--admin-listen`.
    static func load(
        file: String?, environment: [String: String], policies: String?, listen: [String], logLevel: String?,
        dotSegments: String? = nil, adminListen: String? = nil, httpListen: [String] = []
    ) throws -> Self {
        var flags: [String: [String]] = ["--listen": listen, "--http-listen": httpListen]
        if let policies { flags["--policies"] = [policies] }
        if let logLevel { flags["--log-level"] = [logLevel] }
        if let dotSegments { flags["--dot-segments"] = [dotSegments] }
        if let adminListen { flags["--admin-listen"] = [adminListen] }
        return try Self.load(file: file, environment: environment, flags: flags)
    }

    /// Checks what can only be checked once everything is composed: files exist, listeners are distinct.
    private func validate() -> [String] {
        var problems: [String] = []
        // A missing policy directory is a problem only when the bundle store keeps no revision of
        // it: otherwise the server serves that one (PolicyReloader.start()).
        var isDirectory: ObjCBool = false
        if case .directory(let path) = self.source,
            !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) || !isDirectory.boolValue,
            !KeptSources(root: self.bundles.store).hasRevision(of: path)
        {
            problems.append(
                "policies: the directory '\(path)' does not exist and the bundle store '\(self.bundles.store)' keeps no revision of it; pass --policies DIR."
            )
        }
        if let keys = self.bundles.keys, !FileManager.default.isReadableFile(atPath: keys) {
            problems.append("bundles.keys: the file '\(keys)' cannot be read.")
        }
        if self.bundles.requireSignature && self.bundles.keys == nil {
            problems.append(
                "bundles.requireSignature: no bundles.keys is configured, so every bundle would be refused; name the JWKS file of the bundle signing keys."
            )
        }
        if let url = self.bundles.url, !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
            problems.append("bundles.url: '\(url)' is not an http:// or https:// URL.")
        }
        if self.grpc.listeners.isEmpty { problems.append("grpc.listeners: no listener is configured; add one.") }
        problems += self.admin.problems(grpcListeners: self.grpc.listeners)
        var seen: Set<ListenerConfiguration.Address> = []
        let doors =
            self.grpc.listeners.map { ("grpc.listeners", $0) }
            + self.httpAuthz.listeners.map { ("httpAuthz.listeners", $0) }
        for (key, listener) in doors {
            if !seen.insert(listener.address).inserted {
                problems.append("\(key): '\(listener.address)' is listed twice.")
            }
            let files: [(String, String)]
            switch listener.security {
            case .plaintext: files = []
            case .tls(let chain, let key): files = [("certificate", chain), ("key", key)]
            case .mutualTLS(let chain, let key, _):
                // clientCA and crls were loaded, and any problem reported at its line, when read.
                files = [("certificate", chain), ("key", key)]
            }
            for (name, path) in files where !FileManager.default.isReadableFile(atPath: path) {
                problems.append("\(key)[\(listener.address)].tls.\(name): the file '\(path)' cannot be read.")
            }
        }
        return problems
    }
}
