package import GatehouseAudit
import GatehouseCore

/// The `audit.*` settings of `gatehouse serve`: whether decisions are logged, where, how the
/// writer queues and checkpoints, with which key, and how long records are kept.
package struct AuditServeSettings: Sendable, Hashable {
    /// Whether every decision, admin action and activation is recorded.
    package var isEnabled = true
    /// The SQLite database's path, or a `postgres://` URL (GatehouseAuditPostgres).
    package var store = AuditStore.defaultPath
    /// What happens when a record cannot be queued: `gap` (serve, count, write a gap record) or
    /// `strict` (deny with `audit_unavailable`).
    package var onFull = AuditSettings.OnFull.gap
    /// Records the queue holds at most.
    package var queueCapacity = AuditSettings.defaults.queueCapacity
    /// How long a record waits in the queue at most: bounds what a `kill -9` loses.
    package var flushInterval = AuditSettings.defaults.flushInterval
    /// A checkpoint is signed after this many new records.
    package var checkpointEvery = Int(AuditSettings.defaults.checkpointEvery)
    /// A checkpoint is signed at least this often, also when idle.
    package var checkpointInterval = AuditSettings.defaults.checkpointInterval
    /// The instance's Ed25519 key (PKCS#8 PEM, mode 0600), created on first start; kept outside the database.
    package var key = ".gatehouse/audit-key.pem"
    /// The writer's instance id; `nil`: a generated one, kept in a file beside the key.
    package var instance: String?
    /// Records older than this are pruned; `nil` keeps them.
    package var retentionMaxAge: Duration?
    /// The store is pruned (oldest first) to stay under this many bytes; `nil`: no limit.
    package var retentionMaxBytes: Int?

    package init() {}

    /// The writer's settings.
    package var writer: AuditSettings {
        var retention: AuditRetentionPolicy?
        if self.retentionMaxAge != nil || self.retentionMaxBytes != nil {
            retention = AuditRetentionPolicy(
                maxAge: self.retentionMaxAge, maxBytes: self.retentionMaxBytes.map(Int64.init))
        }
        return AuditSettings(
            queueCapacity: self.queueCapacity, flushInterval: self.flushInterval, onFull: self.onFull,
            checkpointEvery: UInt64(self.checkpointEvery), checkpointInterval: self.checkpointInterval,
            retention: retention)
    }

    /// The file beside ``key`` that keeps a generated instance id across restarts.
    package var instanceFile: String { self.key + ".instance" }
}

extension SettingParser where Value == Duration {
    /// A retention age: whole days (`90d`), or a duration (`12h`, `30m`); at least a minute, at most 100 years.
    static let retentionAge = SettingParser(
        type: "duration 1m–36500d", expected: "an age from 1m to 36500d (e.g. 90d or 12h)",
        parse: { text, _ in
            if text.hasSuffix("d"), let days = Int(text.dropLast()), (1...36_500).contains(days) {
                return .seconds(days * 86_400)
            }
            return DurationText.parse(text, maximum: .seconds(86_400)).flatMap { $0 >= .seconds(60) ? $0 : nil }
        },
        format: { duration in
            let seconds = duration.components.seconds
            return seconds % 86_400 == 0 ? "\(seconds / 86_400)d" : SettingParser.text(duration)
        })
}

extension SettingParser where Value == String {
    /// `audit.store`: a `postgres://` (or `postgresql://`) URL as written, else a path (relative
    /// to the configuration file, as ``path`` reads it).
    static let auditStore = SettingParser(
        type: "path or postgres:// URL", expected: "a path or a postgres://USER@HOST:PORT/DATABASE URL",
        parse: { text, source in
            if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") { return text }
            return SettingParser.path.parse(text, source)
        }, format: { $0 })
}
