import Foundation
import GatehouseCache
import GatehouseCore
import GatehouseGRPC
import GatehouseHTTPAuthz
import Logging

/// Every setting of `gatehouse serve`, once: its YAML key, environment variable, flag, parser,
/// default and meaning.
///
/// The file reader, the environment reader and the flags all go through this table, and a test
/// checks that `deploy/CONFIGURATION.md` lists exactly these rows, so the three cannot drift.
/// Precedence: flags > environment > file > defaults.
package enum ServeSettings {
    package static let table: [ServeSetting] = [
        ServeSetting(
            "policies", variable: "GATEHOUSE_POLICIES", flag: "--policies", \.policies, .path,
            "the policy directory, or a bundle file (.tar.gz); watched and reloaded on change, SIGHUP and the admin API's notify"
        ),
        ServeSetting(
            "bundles.url", variable: "GATEHOUSE_BUNDLE_URL", \.bundles.url,
            SettingParser.string.noneIsAbsent(),
            "an HTTP(S) URL serving a .tar.gz bundle, polled with If-None-Match; replaces policies as the source"),
        ServeSetting(
            "bundles.pollInterval", \.bundles.pollInterval, .duration(minimum: .seconds(1)),
            "how often bundles.url is polled"),
        ServeSetting(
            "bundles.requireSignature", variable: "GATEHOUSE_BUNDLE_REQUIRE_SIGNATURE", \.bundles.requireSignature,
            .toggle, "refuse unsigned or wrongly signed bundles, and plain directories (needs bundles.keys)"),
        ServeSetting(
            "bundles.keys", variable: "GATEHOUSE_BUNDLE_KEYS", \.bundles.keys,
            SettingParser.path.noneIsAbsent(), "the JWKS file of the keys bundle signatures are verified with"
        ),
        ServeSetting(
            "bundles.store", variable: "GATEHOUSE_BUNDLE_STORE", \.bundles.store, .path,
            "where activated revisions are kept, for a restart without the source and for rollback"),
        ServeSetting(
            "bundles.keep", \.bundles.keep, .integer(1...100), "how many revisions the store keeps"),
        ServeSetting(
            "bundles.watch", variable: "GATEHOUSE_BUNDLE_WATCH", \.bundles.watch, .toggle,
            "reload when the policy directory changes (inotify, else polling; debounced)"),
        ServeSetting(
            "bundles.runTests", \.bundles.runTests, .toggle,
            "refuse a revision whose *_test.yaml cases fail"),
        ServeSetting(
            "paths.dotSegments", variable: "GATEHOUSE_DOT_SEGMENTS", flag: "--dot-segments", \.paths.dotSegments,
            .choice("a way to treat dot segments"),
            "a path with a '.' or '..' segment or an encoded dot: reject (400 ambiguous_path) or normalize (resolve it; only behind Envoy's normalize_path)"
        ),
        ServeSetting(
            "grpc.listeners", variable: "GATEHOUSE_LISTEN", flag: "--listen", \.grpc.listeners, .listeners,
            nodeReader: .listeners,
            "where to serve Check; the variable takes comma-separated addresses, the flag repeats (plaintext)"),
        ServeSetting(
            "grpc.maxConcurrentStreams", \.grpc.maxConcurrentStreams, .integer(1...1_000_000),
            "HTTP/2 streams per connection"),
        ServeSetting(
            "grpc.maxRequestBytes", \.grpc.maxRequestBytes, .integer(1024...(256 << 20)),
            "the largest CheckRequest; larger ones fail with RESOURCE_EXHAUSTED"),
        ServeSetting(
            "grpc.keepaliveTime", \.grpc.keepaliveTime, .duration(),
            "how long a connection may be silent before Gatehouse pings it (0s: never)"),
        ServeSetting(
            "grpc.keepaliveTimeout", \.grpc.keepaliveTimeout, .duration(),
            "how long a pinged connection may stay silent before it is closed (GOAWAY, then close)"),
        ServeSetting(
            "grpc.idleTimeout", \.grpc.idleTimeout, SettingParser.duration().zeroIsOff(),
            "close a connection that carries no call this long (with GOAWAY)"),
        ServeSetting(
            "grpc.eventLoopThreads", variable: "GATEHOUSE_EVENT_LOOP_THREADS", \.grpc.eventLoopThreads,
            SettingParser.integer(1...256).optional(absent: "per core"),
            "event-loop threads for all listeners; by default one per core"),
        ServeSetting(
            "shutdownGracePeriod", \.grpc.shutdownGracePeriod, .duration(),
            "after SIGTERM or SIGINT, how long checks in flight may take before the process exits"),
        ServeSetting(
            "httpAuthz.listeners", variable: "GATEHOUSE_HTTP_LISTEN", flag: "--http-listen", \.httpAuthz.listeners,
            .listeners, nodeReader: .httpListeners,
            "where to serve Envoy's ext_authz HTTP mode (http_service), as grpc.listeners; none by default"),
        ServeSetting(
            "httpAuthz.routes", \.httpAuthz.routes, .httpRoutes, nodeReader: .httpRoutes,
            "HTTP mode path prefixes (Envoy's per-route http_service.path_prefix), each with the contextExtensions it stands for"
        ),
        ServeSetting(
            "httpAuthz.idleTimeout", \.httpAuthz.idleTimeout, SettingParser.duration().zeroIsOff(),
            "close an HTTP mode connection that carries no request this long"),
        ServeSetting(
            "envoy.metadata", variable: "GATEHOUSE_ENVOY_METADATA", \.envoyMetadata, .metadataFields,
            "the decision fields every answer carries for Envoy's access log (dynamic metadata; HTTP mode: x-gatehouse-metadata-* headers): lean (decision_id, reason, reason_detail), full, or a comma-separated list"
        ),
        ServeSetting(
            "log.level", variable: "GATEHOUSE_LOG_LEVEL", flag: "--log-level", \.logLevel, .choice("a log level"),
            "the lowest level logged (structured, on stderr)"),
        ServeSetting(
            "cache.enabled", variable: "GATEHOUSE_CACHE", \.cache.isEnabled, .toggle, "the decision cache"),
        ServeSetting(
            "cache.maxEntries", \.cache.limits.requestedEntries, .integer(1...100_000_000),
            "the most decisions kept"),
        ServeSetting(
            "cache.maxBytes", \.cache.limits.requestedBytes, .integer(4096...(64 << 30)),
            "the most bytes kept (an estimate per entry: ~300 + the decision's text)"),
        ServeSetting(
            "cache.ttl", \.cache.timeToLive, .duration(minimum: .seconds(1)),
            "how long a decision may be reused (a policy's cache.ttl overrides it)"),
        ServeSetting(
            "cache.negativeTtl", \.cache.negativeTimeToLive, .duration(),
            "how long the denial of a rejected credential may be reused (0s: never)"),
        ServeSetting(
            "cache.shards", \.cache.limits.requestedShards, .integer(1...1024),
            "independently locked parts (rounded up to a power of two)"),
        ServeSetting(
            "metrics.enabled", variable: "GATEHOUSE_METRICS", \.metricsEnabled, .toggle,
            "Prometheus metrics, served on the admin API's GET /metrics (deploy/METRICS.md)"),
        ServeSetting(
            "admin.listen", variable: "GATEHOUSE_ADMIN_LISTEN", flag: "--admin-listen", \.admin.listen, .adminListen,
            "where the admin API listens (HOST:PORT), or off (deploy/ADMIN.md)"),
        ServeSetting(
            "admin.maxBundleBytes", \.admin.maxBundleBytes, .integer(1024...(1 << 30)),
            "the largest bundle PUT /v1/policy/bundle takes; larger ones are 413"),
        ServeSetting(
            "admin.tokens", \.admin.tokens, .adminTokens, nodeReader: .adminTokens,
            "bearer tokens by their SHA-256 (gatehouse admin hash-token), each with a name and a role"),
        ServeSetting(
            "admin.clients", \.admin.clients, .adminClients, nodeReader: .adminClients,
            "client certificates (by SPIFFE ID or subject) and their roles; needs admin.tls.clientCA"),
        ServeSetting(
            "admin.tls", \.admin.tls, .adminTLS, nodeReader: .adminTLS,
            "HTTPS for the admin API: certificate, key; clientCA, crls, trustDomain for client certificates"),
        ServeSetting(
            "authzen.listen", variable: "GATEHOUSE_AUTHZEN_LISTEN", \.admin.authzenListen, .adminListen,
            "a listener of its own for the AuthZEN API (HOST:PORT; admin.tls, admin.tokens and admin.clients apply), or off (deploy/AUTHZEN.md)"
        ),
        ServeSetting(
            "authzen.onAdmin", variable: "GATEHOUSE_AUTHZEN_ON_ADMIN", \.admin.authzenOnAdmin, .toggle,
            "whether the admin listener serves the AuthZEN API too"),
        ServeSetting(
            "audit.enabled", variable: "GATEHOUSE_AUDIT", \.audit.isEnabled, .toggle,
            "record every decision, admin action and activation in the decision log (deploy/README.md#decision-log)"),
        ServeSetting(
            "audit.store", variable: "GATEHOUSE_AUDIT_STORE", \.audit.store, .auditStore,
            "the decision log: a SQLite database (WAL), or postgres://USER@HOST:PORT/DATABASE?sslmode=… for a fleet"),
        ServeSetting(
            "audit.onFull", variable: "GATEHOUSE_AUDIT_ON_FULL", \.audit.onFull, .choice("a full-queue policy"),
            "when a record cannot be queued or written: gap (serve, count, write a gap record) or strict (deny 503 audit_unavailable)"
        ),
        ServeSetting(
            "audit.queueCapacity", \.audit.queueCapacity, .integer(1...(1 << 24)),
            "records waiting to be written at most; beyond it onFull applies"),
        ServeSetting(
            "audit.flushInterval", \.audit.flushInterval, .duration(minimum: .milliseconds(1)),
            "how long a record waits before it is written at most: what a kill -9 can lose"),
        ServeSetting(
            "audit.checkpointEvery", \.audit.checkpointEvery, .integer(1...100_000_000),
            "a signed checkpoint after this many new records"),
        ServeSetting(
            "audit.checkpointInterval", \.audit.checkpointInterval, .duration(minimum: .seconds(1)),
            "a signed checkpoint at least this often, also when idle"),
        ServeSetting(
            "audit.key", variable: "GATEHOUSE_AUDIT_KEY", \.audit.key, .path,
            "the instance's Ed25519 signing key (PEM, mode 0600), created on first start; keep it outside the database's folder in production"
        ),
        ServeSetting(
            "audit.instance", variable: "GATEHOUSE_AUDIT_INSTANCE", \.audit.instance,
            SettingParser.string.noneIsAbsent(),
            "the writer's instance id; none: a generated one, kept beside the key (KEY.instance)"),
        ServeSetting(
            "audit.retention.maxAge", \.audit.retentionMaxAge, SettingParser.retentionAge.noneIsAbsent(),
            "prune records older than this (e.g. 90d); a signed checkpoint marks where the kept log begins"),
        ServeSetting(
            "audit.retention.maxBytes", \.audit.retentionMaxBytes,
            SettingParser.integer(1 << 20...Int(Int64.max)).noneIsAbsent(),
            "prune the oldest records to keep the store under this many bytes"),
        ServeSetting(
            "fleet.postgres", variable: "GATEHOUSE_FLEET_POSTGRES", \.fleet.postgres, .fleetPostgres,
            "the fleet's PostgreSQL: notify and rollback publish the revision there, every replica activates it (deploy/README.md#running-a-fleet)"
        ),
        ServeSetting(
            "fleet.replica", variable: "GATEHOUSE_FLEET_REPLICA", \.fleet.replica,
            SettingParser.string.noneIsAbsent(),
            "this replica's name in the fleet; none: the decision log's instance id (audit.instance)"),
        ServeSetting(
            "fleet.reconcileInterval", \.fleet.reconcileInterval, .duration(minimum: .seconds(1)),
            "how often the fleet's desired revision is read without a notification"),
    ]

    /// A setting that existed once and is gone: a file or environment still naming it fails
    /// with `why`, rather than as an unknown name.
    struct Removed {
        /// The file key.
        var key: String
        /// The environment variable that set it.
        var variable: String
        /// Why it went and what replaces it: a clause that ends the problem's sentence.
        var why: String
    }

    /// The removed settings.
    static let removed = [
        Removed(
            key: "grpc.transport", variable: "GATEHOUSE_TRANSPORT",
            why:
                "every listener is served by the direct transport, the only server transport since grpc-swift's server was removed (deploy/README.md)"
        ),
        Removed(
            key: "grpc.flushCoalescingDelay", variable: "GATEHOUSE_FLUSH_COALESCING_US",
            why:
                "it applied only to grpc-swift's server, which was removed; the direct transport flushes each response as it is written"
        ),
    ]

    /// The row for `key`, if it is one.
    static func setting(key: String) -> ServeSetting? {
        self.table.first { $0.key == key }
    }

    /// The names allowed directly under `section` (`""` for the top level), in table order.
    static func children(of section: String) -> [String] {
        let prefix = section.isEmpty ? "" : section + "."
        var names: [String] = []
        for setting in self.table where setting.key.hasPrefix(prefix) {
            let rest = setting.key.dropFirst(prefix.count)
            let name = String(rest.prefix { $0 != "." })
            if !names.contains(name) { names.append(name) }
        }
        return names
    }
}

extension SettingParser where Value == [ListenerConfiguration] {
    /// Comma-separated plaintext listener addresses; a repeated flag adds listeners.
    static let listeners = SettingParser(
        type: "listener list",
        expected: "a list of addresses (\(SettingParser<ListenerConfiguration.Address>.addressForms))",
        parse: { text, _ in
            var listeners: [ListenerConfiguration] = []
            for item in text.split(separator: ",", omittingEmptySubsequences: false) {
                let trimmed = item.trimmingCharacters(in: .whitespaces)
                guard let address = ListenerConfiguration.Address(trimmed) else { return nil }
                listeners.append(ListenerConfiguration(address: address))
            }
            return listeners
        }, format: { $0.isEmpty ? "[]" : $0.map { "\($0.address)" }.joined(separator: ", ") }, combine: { $0 + $1 })
}

extension SettingParser where Value == MetadataFields {
    /// `lean`, `full`, or a comma-separated list of metadata field names.
    static let metadataFields = SettingParser(
        type: "lean, full or a list of fields",
        expected:
            "lean, full or a comma-separated list of fields (\(MetadataFields.Field.allCases.map(\.rawValue).joined(separator: ", ")))",
        parse: { text, _ in MetadataFields(text) }, format: { $0.description })
}

extension SettingParser where Value == ListenerConfiguration.Address {
    /// How an address is written.
    static let addressForms = "HOST:PORT, [V6]:PORT or unix:PATH"

    /// One listener address, as `grpc.listeners[].address` takes it.
    static let address = SettingParser(
        type: "address", expected: "an address (\(addressForms))",
        parse: { text, _ in ListenerConfiguration.Address(text) }, format: { "\($0)" })
}

extension CacheLimits {
    // Each limit set through CacheLimits' initialiser, which rounds the shards up to a power of two.

    var requestedEntries: Int {
        get { self.maximumEntries }
        set { self = CacheLimits(maximumEntries: newValue, maximumBytes: self.maximumBytes, shards: self.shards) }
    }

    var requestedBytes: Int {
        get { self.maximumBytes }
        set { self = CacheLimits(maximumEntries: self.maximumEntries, maximumBytes: newValue, shards: self.shards) }
    }

    var requestedShards: Int {
        get { self.shards }
        set {
            self = CacheLimits(maximumEntries: self.maximumEntries, maximumBytes: self.maximumBytes, shards: newValue)
        }
    }
}
