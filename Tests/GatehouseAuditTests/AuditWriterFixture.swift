import Foundation
import GatehouseAudit
import GatehouseCore
import Synchronization

/// What the store and writer tests share: a fixed signer, a hand-moved clock, decision records.
enum AuditWriterFixture {
    static let start = UnixTime(seconds: 1_796_517_312)

    /// A checkpoint note with the C2SP layout and a fake signature line (the store only reads the root line).
    static let signer = AuditCheckpointSigner { size, root, _ in
        "test.example/audit\n\(size)\n\(root.base64)\n\n— test.example/audit AAAA\n"
    }

    /// A decision at `start + index` ms with the given caller facts.
    static func decision(
        _ index: Int, subject: String? = nil, xroad: String? = nil, host: String = "civil-registry.gov.example",
        path: String = "/births/1", outcome: Decision.Outcome = .allow, rule: String? = "clerks-read"
    ) -> AuditRecord {
        let entry = DecisionEntry(
            decision: outcome, status: outcome == .allow ? 200 : 403,
            reason: outcome == .allow ? "allowed" : "rule_denied", policy: "civil-registry", policyRevision: "r1",
            rule: rule, method: "GET", host: host, path: path, sourceAddress: "10.0.0.7",
            caller: AuditedCaller(xroadClient: xroad, issuer: subject.map { _ in "https://idp" }, subject: subject)
        )
        let time = UnixTime(seconds: start.seconds + Int64(index / 1000), nanoseconds: Int32(index % 1000) * 1_000_000)
        return AuditRecord(id: String(format: "%032x", index), time: time, entry: .decision(entry))
    }

    /// The leaf hashes' root over every stored body of `instance`, recomputed from scratch.
    static func recomputedRoot(_ store: AuditStore, _ instance: String) throws -> MerkleHash {
        var appender = MerkleAppender()
        for body in try store.bodies(of: instance, in: 0..<store.treeSize(of: instance)) {
            appender.append(Merkle.leafHash(body))
        }
        return appender.root
    }
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let time = Mutex(AuditWriterFixture.start)

    var now: @Sendable () -> UnixTime { { [self] in self.time.withLock { $0 } } }

    func advance(seconds: Int64) {
        self.time.withLock { $0.seconds += seconds }
    }
}
