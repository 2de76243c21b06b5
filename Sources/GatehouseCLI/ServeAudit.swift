import Foundation
import GatehouseAudit
import GatehouseAuditPostgres
import GatehouseCore
import GatehouseGRPC

/// The decision log of one `gatehouse serve` (`audit.*`): the writer every record goes to, its
/// instance key and id, and what it tells `/metrics`.
///
/// Opened before the first policy load, so the start-up activation is recorded too; drained last
/// on shutdown, after the listeners stopped and answered what was in flight.
struct ServeAudit: Sendable {
    let writer: AuditWriter
    /// The store the writer appends to, read by `GET /v1/decisions`: the SQLite file (WAL: reads
    /// never wait for writes) or the fleet's PostgreSQL.
    let store: any AuditLogStore
    /// This process's claim on a SQLite store: released when the process ends. A PostgreSQL store
    /// holds its instance's advisory lock itself.
    let lock: ServeAuditLock?

    /// Takes the store's one-writer lock, opens the store, loads (or creates) the instance key and
    /// id, resumes the instance's tree and starts the writer thread; `nil` when `audit.enabled` is false.
    ///
    /// - Throws: A message naming the setting, the file and the fix, when another server writes the
    ///   store (``ServeAuditLock``), the store, the key or the instance file cannot be opened, or the
    ///   stored tree does not match its checkpoint.
    static func open(_ settings: AuditServeSettings) throws(ConfigurationProblem) -> ServeAudit? {
        guard settings.isEnabled else { return nil }
        if PostgresAuditConfiguration.isURL(settings.store) { return try Self.openPostgres(settings) }
        // First, before an instance id or key is made: a second server on the same store stops here.
        do {
            try Self.createDirectory(of: settings.store)
        } catch {
            throw ConfigurationProblem("audit.store '\(settings.store)': \(error)")
        }
        let lock = try ServeAuditLock(store: settings.store)
        let instance = try Self.instance(settings)
        let key = try Self.signingKey(settings, instance: instance)
        do {
            let store = try AuditStore(path: settings.store)
            let writer = try AuditWriter(
                store: store, instance: instance, signer: Self.signer(key, instance: instance),
                settings: settings.writer)
            writer.start()
            return ServeAudit(writer: writer, store: store, lock: lock)
        } catch {
            throw ConfigurationProblem("audit.store '\(settings.store)': \(error)")
        }
    }

    /// The instance's checkpoint-signing key at `audit.key`, made on first use (either store).
    private static func signingKey(
        _ settings: AuditServeSettings, instance: String
    ) throws(ConfigurationProblem) -> AuditSigningKey {
        do {
            try Self.createDirectory(of: settings.key)
            return try AuditSigningKey.loadOrCreate(path: settings.key, name: "gatehouse.audit/\(instance)")
        } catch {
            throw ConfigurationProblem("audit.key: \(error)")
        }
    }

    /// `audit.store: postgres://…`: the fleet's database, this instance's tree under its advisory lock.
    private static func openPostgres(_ settings: AuditServeSettings) throws(ConfigurationProblem) -> ServeAudit {
        let configuration: PostgresAuditConfiguration
        do {
            configuration = try PostgresAuditConfiguration(url: settings.store)
        } catch {
            throw ConfigurationProblem(error.description)
        }
        let instance = try Self.instance(settings)
        let key = try Self.signingKey(settings, instance: instance)
        do {
            let store = try PostgresAuditStore(configuration: configuration)
            do {
                try store.lock(instance: instance)
                let writer = try AuditWriter(
                    store: store, instance: instance, signer: Self.signer(key, instance: instance),
                    settings: settings.writer)
                writer.start()
                return ServeAudit(writer: writer, store: store, lock: nil)
            } catch {
                store.close()
                throw error
            }
        } catch {
            throw ConfigurationProblem("audit.store '\(configuration)': \(error)")
        }
    }

    /// Stops taking records, writes what is queued and signs the final checkpoint. Blocks until done.
    func drain() {
        self.writer.shutdown()
        (self.store as? PostgresAuditStore)?.close()
    }

    /// The writer's counters, for `/v1/status`.
    var status: AuditLogStatus {
        let status = self.writer.status
        return AuditLogStatus(
            queued: status.queued, dropped: status.dropped, refused: status.refused, written: status.treeSize,
            failure: status.failure, pruneFailures: status.pruneFailures, pruneFailure: status.pruneFailure)
    }

    /// The writer's counters in the Prometheus text format, appended to `/metrics`.
    var metricsText: String {
        let status = self.writer.status
        return """
            # HELP gatehouse_audit_records_dropped_total Decision-log records lost (onFull: gap, or a failed write); each run of them is a gap record.
            # TYPE gatehouse_audit_records_dropped_total counter
            gatehouse_audit_records_dropped_total \(status.dropped)
            # HELP gatehouse_audit_records_refused_total Records refused under onFull: strict; their requests were denied audit_unavailable.
            # TYPE gatehouse_audit_records_refused_total counter
            gatehouse_audit_records_refused_total \(status.refused)
            # HELP gatehouse_audit_records_written Records in this instance's log (its Merkle tree size).
            # TYPE gatehouse_audit_records_written gauge
            gatehouse_audit_records_written \(status.treeSize)
            # HELP gatehouse_audit_queue_depth Records waiting to be written.
            # TYPE gatehouse_audit_queue_depth gauge
            gatehouse_audit_queue_depth \(status.queued)
            # HELP gatehouse_audit_store_failing 1 while the store cannot write.
            # TYPE gatehouse_audit_store_failing gauge
            gatehouse_audit_store_failing \(status.failure == nil ? 0 : 1)
            # HELP gatehouse_audit_prune_failures_total Retention prunes that failed (retried at the next timed checkpoint).
            # TYPE gatehouse_audit_prune_failures_total counter
            gatehouse_audit_prune_failures_total \(status.pruneFailures)

            """
    }

    /// Signs the writer's checkpoints with the instance key: T's C2SP `tlog-checkpoint` note
    /// (``Checkpoint``: origin = the key's name, size, root, time, instance) and its signature line.
    static func signer(_ key: AuditSigningKey, instance: String) -> AuditCheckpointSigner {
        AuditCheckpointSigner { size, root, time in
            Checkpoint(origin: key.name, size: size, root: root, time: time, instance: instance).signed(by: key)
        }
    }

    /// `audit.instance`, else the id kept beside the key, else a new one (`gh-` and 16 hex digits) written there.
    private static func instance(_ settings: AuditServeSettings) throws(ConfigurationProblem) -> String {
        if let instance = settings.instance { return instance }
        let file = settings.instanceFile
        if let data = FileManager.default.contents(atPath: file),
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !text.isEmpty
        {
            return text
        }
        let instance = "gh-" + String(DecisionID.random().prefix(16))
        do {
            try Self.createDirectory(of: file)
            try Data((instance + "\n").utf8).write(to: URL(fileURLWithPath: file))
        } catch {
            throw ConfigurationProblem(
                "audit.instance: cannot keep the generated instance id in '\(file)' (\(error)); make the folder writable or set audit.instance."
            )
        }
        return instance
    }

    private static func createDirectory(of path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
}

/// A setting that cannot be put into effect at start-up; `serve` prints it and exits 2.
struct ConfigurationProblem: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
