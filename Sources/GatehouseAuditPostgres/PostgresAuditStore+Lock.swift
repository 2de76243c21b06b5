package import GatehouseAudit
import GatehousePostgres
import PostgresNIO
import Synchronization

/// The instances a store writes and the sessions holding their advisory locks.
///
/// A session lock lives as long as its connection: when PostgreSQL restarts, every lock is gone
/// with it, and another server could take one. So the store remembers which instances it
/// claimed (``claimed``) apart from the connections holding them now (``held``), and takes a lost
/// one again before its next write.
struct PostgresInstanceLocks {
    /// Every instance ``PostgresAuditStore/lock(instance:)`` took.
    var claimed: Set<String> = []
    /// The connection holding each claimed instance's lock, while it is open, and its backend's
    /// process id (what `pg_locks` names the holder by).
    var held: [String: (connection: PostgresConnection, pid: Int32)] = [:]

    /// Forgets every claim; returns the connections to close.
    mutating func releaseAll() -> [PostgresConnection] {
        defer {
            self.claimed.removeAll()
            self.held.removeAll()
        }
        return self.held.values.map(\.connection)
    }
}

/// The session holding an instance's lock is gone though its connection looked open (the client
/// had not seen it close yet): the append fails, and the next one takes the lock again.
struct PostgresInstanceLockLost: Error, CustomStringConvertible {
    var instance: String

    var description: String { "the session holding instance '\(self.instance)'s writer lock has ended" }
}

/// Another session holds an instance's advisory lock: this store must not write its tree.
struct PostgresInstanceLockHeld: Error, CustomStringConvertible {
    var instance: String
    var location: String

    var description: String {
        "Another server writes instance '\(self.instance)' into \(self.location) (it holds the instance's advisory "
            + "lock): give every replica its own audit.instance (or its own key file beside which the id is kept)."
    }
}

extension PostgresAuditStore {
    /// Takes `instance`'s advisory lock on a connection of its own, held until ``close()`` or the
    /// process ends: two servers configured with the same instance id cannot both write its tree.
    /// If the connection is lost (PostgreSQL restarted), the next append takes it again, and
    /// fails while another session holds it.
    ///
    /// - Throws: ``AuditError`` (`store_unavailable`) when another session holds it, or PostgreSQL
    ///   cannot be reached.
    package func lock(instance: String) throws {
        guard !self.locks.withLock({ $0.claimed.contains(instance) }) else { return }
        do {
            try self.takeLock(instance)
        } catch let error as PostgresInstanceLockHeld {
            throw AuditError(.storeUnavailable, error.description)
        } catch {
            throw AuditError(
                .storeUnavailable,
                "Cannot take the writer lock of instance '\(instance)' in \(self.location) (\(Self.describe(error))).")
        }
        self.locks.withLock { _ = $0.claimed.insert(instance) }
    }

    /// Before writing `instance`: when this store claimed it and the session holding its lock is
    /// gone, takes the lock again.
    ///
    /// - Throws: ``PostgresInstanceLockHeld`` when another session took it meanwhile (the writer
    ///   then counts its records into a gap instead of writing into another server's tree), or
    ///   PostgreSQL's error when it cannot be reached.
    func relockIfLost(_ instance: String) throws {
        let lost: Bool = self.locks.withLock { locks in
            guard locks.claimed.contains(instance) else { return false }
            guard let held = locks.held[instance] else { return true }
            guard held.connection.isClosed else { return false }
            locks.held[instance] = nil
            return true
        }
        guard lost else { return }
        try self.takeLock(instance)
    }

    /// Connects and tries `instance`'s lock; keeps the connection when it got it.
    private func takeLock(_ instance: String) throws {
        let configuration = try self.configuration.endpoint.connectionConfiguration(
            applicationName: "gatehouse-audit-lock")
        let query = Self.lockQuery(instance)
        typealias Held = (connection: PostgresConnection, pid: Int32)
        let held: Held? = try self.blocking(abandoned: { try? await $0?.connection.close() }) { _, logger in
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
            var taken: (Bool, Int32) = (false, 0)
            do {
                for try await value in try await connection.query(query, logger: logger).decode((Bool, Int32).self) {
                    taken = value
                }
            } catch {
                try? await connection.close()
                throw error
            }
            guard taken.0 else {
                try? await connection.close()
                return nil
            }
            return (connection, taken.1)
        }
        guard let held else { throw PostgresInstanceLockHeld(instance: instance, location: self.location) }
        let previous = self.locks.withLock { locks in
            defer { locks.held[instance] = held }
            return locks.held[instance]?.connection
        }
        if let previous { _ = try? self.blocking { _, _ in try await previous.close() } }
    }

    /// The backend process id of the session holding `instance`'s lock, when this store claimed it.
    func lockHolder(_ instance: String) -> Int32? {
        self.locks.withLock { $0.held[instance]?.pid }
    }

    /// After an append found its lock's session gone: forget the connection (closing it), so the
    /// next append takes the lock again.
    func forgetLock(_ instance: String) {
        let connection = self.locks.withLock { locks in
            defer { locks.held[instance] = nil }
            return locks.held[instance]?.connection
        }
        if let connection { _ = try? self.blocking { _, _ in try await connection.close() } }
    }

    /// Tries `instance`'s advisory lock, keyed by a 64-bit hash of its name computed by the server
    /// (`hashtextextended`), so every replica derives the same key.
    static func lockQuery(_ instance: String) -> PostgresQuery {
        "SELECT pg_try_advisory_lock(hashtextextended(\("gatehouse.audit/" + instance), 0)), pg_backend_pid()"
    }
}
