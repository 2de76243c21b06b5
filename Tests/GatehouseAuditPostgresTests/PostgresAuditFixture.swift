import Foundation
import GatehouseAudit
import GatehouseAuditPostgres
import GatehouseCore
import GatehouseTestSupport

/// What the PostgreSQL store tests share: per-instance keys and signers, decision records, and a
/// way to call the (blocking) store from an async test without holding a cooperative thread.
enum PostgresAuditFixture {
    static let start = UnixTime(seconds: 1_796_517_312)

    /// The instance's checkpoint key; `try!`: any 32-byte seed is a valid Ed25519 key.
    static func key(_ instance: String) -> AuditSigningKey {
        let seed = [UInt8](repeating: UInt8(truncatingIfNeeded: instance.utf8.reduce(0, &+)), count: 32)
        return try! AuditSigningKey(name: "gatehouse.audit/\(instance)", seed: seed)
    }

    /// Signs like `gatehouse serve`: a C2SP checkpoint of `instance` by its key.
    static func signer(_ instance: String) -> AuditCheckpointSigner {
        let key = Self.key(instance)
        return AuditCheckpointSigner { size, root, time in
            Checkpoint(origin: key.name, size: size, root: root, time: time, instance: instance).signed(by: key)
        }
    }

    /// A verifier that knows every instance's key.
    static func verifier(_ store: any AuditLogStore) -> AuditVerifier {
        AuditVerifier(store: store) { instance in
            try AuditVerifierKey(
                name: "gatehouse.audit/\(instance)", publicKey: Self.key(instance).verifierKey.publicKey)
        }
    }

    /// A decision by `subject` at `start + index` ms.
    static func decision(_ index: Int, subject: String) -> AuditRecord {
        let entry = DecisionEntry(
            decision: .allow, status: 200, reason: "allowed", policy: "civil-registry", policyRevision: "r1",
            rule: "clerks-read", method: "GET", host: "civil-registry.gov.example", path: "/births/\(index)",
            sourceAddress: "10.0.0.7", caller: AuditedCaller(issuer: "https://idp", subject: subject))
        let time = UnixTime(seconds: start.seconds + Int64(index / 1000), nanoseconds: Int32(index % 1000) * 1_000_000)
        return AuditRecord(id: String(format: "%032x", index), time: time, entry: .decision(entry))
    }

    /// A fixed clock for the writers (checkpoint times).
    static let now: @Sendable () -> UnixTime = { Self.start }

    /// `instance`'s writer on `store`: batches of 100, a checkpoint every 250 records, the fixed clock.
    static func writer(_ store: PostgresAuditStore, _ instance: String) throws -> AuditWriter {
        try AuditWriter(
            store: store, instance: instance, signer: Self.signer(instance),
            settings: AuditSettings(batchSize: 100, checkpointEvery: 250, checkpointInterval: .seconds(3600)),
            now: Self.now)
    }

    /// Opens a store on `database` (migrating it), with the test server's plain TCP.
    ///
    /// Opening is setup, not what these tests check: in fresh-clone CI runs (every suite starting at
    /// once on 2 cores) PostgreSQL answered the migrations later than the store's 5 s bound, so a
    /// late open is retried, up to 10 times.
    static func store(_ database: TestPostgres.Database, readOnly: Bool = false) throws -> PostgresAuditStore {
        let configuration = try PostgresAuditConfiguration(url: database.url + "?sslmode=disable")
        var attempt = 1
        while true {
            do {
                return try PostgresAuditStore(configuration: configuration, readOnly: readOnly)
            } catch let error as AuditError where error.code == .storeUnavailable && attempt < 10 {
                attempt += 1
            }
        }
    }
}

/// Runs `body` on a thread of its own and awaits it: the store's calls block their thread while
/// PostgreSQL answers, which an async test must not do on one of the two cooperative threads.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
