import Foundation
import GatehouseCache
import GatehouseGRPC
import Logging
import Yams

/// Everything `gatehouse serve` needs, composed from defaults, a YAML file, `GATEHOUSE_*`
/// environment variables and flags, in increasing precedence.
///
/// Keys of the YAML file (all optional):
/// - `policies` (string, default `policies`): the policy directory.
/// - `grpc.listeners` (list, default one plaintext listener on `127.0.0.1:9191`): each has
///   `address` (`HOST:PORT`, `[V6]:PORT` or `unix:PATH`) and optionally `tls` with
///   `certificate`, `key` and, for mTLS, `clientCA` and `allowedClients` (`spiffeIds`, `subjects`).
/// - `grpc.maxConcurrentStreams` (int, 4096), `grpc.maxRequestBytes` (int, 4194304),
///   `grpc.keepaliveTime` and `grpc.keepaliveTimeout` (durations, 30s and 10s).
/// - `grpc.eventLoopThreads` (int; default one per core with the direct transport, one with
///   grpc-swift) and `grpc.flushCoalescingDelay` (duration, off).
/// - `grpc.transport` (`grpc-swift` or `direct`, default `grpc-swift`): how plaintext listeners serve Check.
/// - `shutdownGracePeriod` (duration, 10s): how long in-flight checks may take after SIGTERM.
/// - `log.level` (trace, debug, info, notice, warning, error, critical; default info).
/// - `cache.enabled` (bool, true), `cache.maxEntries` (int, 100000), `cache.maxBytes` (int, 67108864),
///   `cache.ttl` (duration, 60s), `cache.negativeTtl` (duration, 5s; 0 caches no denial of a
///   bad credential), `cache.shards` (int, 16): the decision cache.
///
/// Environment: `GATEHOUSE_POLICIES`, `GATEHOUSE_LISTEN` (comma-separated addresses, plaintext),
/// `GATEHOUSE_LOG_LEVEL`, `GATEHOUSE_CACHE` (`on` or `off`), `GATEHOUSE_TRANSPORT`. Flags: `--policies`, `--listen` (repeatable), `--log-level`.
struct ServeConfiguration: Sendable {
    var policies = "policies"
    var grpc = GRPCServerConfiguration.defaults
    var logLevel = Logger.Level.info
    var cache = DecisionCacheSettings()

    static let keys = ["policies", "grpc", "shutdownGracePeriod", "log", "cache"]

    /// Loads and validates; throws one ``ConfigurationError`` listing every problem.
    static func load(
        file: String?, environment: [String: String], policies: String?, listen: [String], logLevel: String?
    ) throws -> Self {
        var configuration = ServeConfiguration()
        var problems: [String] = []
        if let file {
            var reader = ConfigFileReader(path: file)
            try reader.read(into: &configuration)
            problems += reader.problems
        }
        if let value = environment["GATEHOUSE_POLICIES"] { configuration.policies = value }
        if let value = environment["GATEHOUSE_LISTEN"] {
            configuration.grpc.listeners = Self.listeners(
                value.split(separator: ",").map(String.init), source: "GATEHOUSE_LISTEN", problems: &problems)
        }
        if let value = environment["GATEHOUSE_FLUSH_COALESCING_US"], let micros = Int64(value) {
            configuration.grpc.flushCoalescingDelay = micros > 0 ? .microseconds(micros) : nil
        }
        if let value = environment["GATEHOUSE_EVENT_LOOP_THREADS"], let threads = Int(value), threads > 0 {
            configuration.grpc.eventLoopThreads = threads
        }
        if let value = environment["GATEHOUSE_TRANSPORT"] {
            Self.transport(value, source: "GATEHOUSE_TRANSPORT", into: &configuration, problems: &problems)
        }
        if let value = environment["GATEHOUSE_CACHE"] {
            switch value.lowercased() {
            case "on", "true", "1": configuration.cache.isEnabled = true
            case "off", "false", "0": configuration.cache.isEnabled = false
            default: problems.append("GATEHOUSE_CACHE: '\(value)' is not a switch; write on or off.")
            }
        }
        if let value = environment["GATEHOUSE_LOG_LEVEL"] {
            Self.level(value, source: "GATEHOUSE_LOG_LEVEL", into: &configuration, problems: &problems)
        }
        if let policies { configuration.policies = policies }
        if !listen.isEmpty {
            configuration.grpc.listeners = Self.listeners(listen, source: "--listen", problems: &problems)
        }
        if let logLevel { Self.level(logLevel, source: "--log-level", into: &configuration, problems: &problems) }
        problems += configuration.validate()
        guard problems.isEmpty else { throw ConfigurationError(code: .invalidConfiguration, problems: problems) }
        return configuration
    }

    private static func listeners(_ addresses: [String], source: String, problems: inout [String])
        -> [ListenerConfiguration]
    {
        addresses.compactMap { text in
            guard let address = ListenerConfiguration.Address(text.trimmingCharacters(in: .whitespaces)) else {
                problems.append("\(source): '\(text)' is not an address; write HOST:PORT, [V6]:PORT or unix:PATH.")
                return nil
            }
            return ListenerConfiguration(address: address)
        }
    }

    static func level(
        _ text: String, source: String, into configuration: inout ServeConfiguration, problems: inout [String]
    ) {
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            problems.append("\(source): '\(text)' is not a log level; use one of \(levels).")
            return
        }
        configuration.logLevel = level
    }

    static func transport(
        _ text: String, source: String, into configuration: inout ServeConfiguration, problems: inout [String]
    ) {
        guard let transport = GRPCServerConfiguration.Transport(rawValue: text) else {
            let names = GRPCServerConfiguration.Transport.allCases.map(\.rawValue).joined(separator: " or ")
            problems.append("\(source): '\(text)' is not a transport; use \(names).")
            return
        }
        configuration.grpc.transport = transport
    }

    /// Checks what can only be checked once everything is composed: files exist, listeners are distinct.
    private func validate() -> [String] {
        var problems: [String] = []
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: self.policies, isDirectory: &isDirectory) || !isDirectory.boolValue {
            problems.append("policies: the directory '\(self.policies)' does not exist; pass --policies DIR.")
        }
        if self.grpc.listeners.isEmpty { problems.append("grpc.listeners: no listener is configured; add one.") }
        var seen: Set<ListenerConfiguration.Address> = []
        for listener in self.grpc.listeners {
            if !seen.insert(listener.address).inserted {
                problems.append("grpc.listeners: '\(listener.address)' is listed twice.")
            }
            let files: [(String, String)]
            switch listener.security {
            case .plaintext: files = []
            case .tls(let chain, let key): files = [("certificate", chain), ("key", key)]
            case .mutualTLS(let chain, let key, let ca, _):
                files = [("certificate", chain), ("key", key), ("clientCA", ca)]
            }
            for (name, path) in files where !FileManager.default.isReadableFile(atPath: path) {
                problems.append("grpc.listeners[\(listener.address)].tls.\(name): the file '\(path)' cannot be read.")
            }
        }
        return problems
    }
}
