// `gatehouse audit verify`'s records/s over a real store (issue #13: at least 500,000 records/s,
// 10 million records in under a minute).
//
//   AuditVerifyThroughput fill DB KEY RECORDS   writes RECORDS realistic decision records of instance
//                                               bench-1 through the real writer (checkpoint every
//                                               10,000, signed with the Ed25519 key file KEY, created
//                                               when missing), so that `gatehouse audit verify --db DB
//                                               --key-file KEY` checks a genuine log
//   AuditVerifyThroughput verify DB KEY         runs AuditVerifier in this process and prints records/s
//   AuditVerifyThroughput parts - - [RECORDS [check|hash|decode]]   the per-record work without
//                                               SQLite, on one thread: the one-pass canonical check, the
//                                               leaf hash, the full decode (or only the one named)
import Foundation
import GatehouseAudit
import GatehouseCore

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 3, ["fill", "verify", "parts"].contains(arguments[0]) else {
    print("usage: AuditVerifyThroughput fill DB KEY RECORDS | verify DB KEY | parts - - [RECORDS]")
    exit(2)
}
let (path, keyPath) = (arguments[1], arguments[2])
let instance = "bench-1"
if arguments[0] == "parts" {
    let count = arguments.count > 3 ? Int(arguments[3]) ?? 1_000_000 : 1_000_000
    let bodies = (0..<count).map { AuditLeaf.encode(record($0), instance: "bench-1", sequence: UInt64($0)) }
    print("body bytes: \(bodies.reduce(0) { $0 + $1.count } / count) on average")
    let only = arguments.count > 4 ? arguments[4] : nil
    func rate(_ what: String, _ work: ([UInt8]) -> Bool) {
        guard only == nil || what.lowercased().contains(only!) else { return }
        var passed = 0
        let elapsed = ContinuousClock().measure { for body in bodies where work(body) { passed += 1 } }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("\(what): \(Int(Double(count) / seconds))/s (\(passed) of \(count) passed)")
    }
    rate("AuditLeafCheck.place") { body in body.withUnsafeBufferPointer { AuditLeafCheck.place(of: $0) != nil } }
    rate("Merkle.leafHash") { body in Merkle.leafHash(body) != Merkle.emptyRoot }
    rate("AuditLeaf.decode") { body in (try? AuditLeaf.decode(body)) != nil }
    exit(0)
}
let key = try AuditSigningKey.loadOrCreate(path: keyPath, name: "gatehouse.audit/\(instance)")
let clock = ContinuousClock()

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// A decision like the ones `gatehouse serve` records (about 570 bytes), varied by `index`.
func record(_ index: Int) -> AuditRecord {
    let denied = index % 5 == 0
    let caller = AuditedCaller(
        spiffeID: "spiffe://gov.example/ns/registry/sa/clerk-\(index % 50)",
        xroadClient: "EE/GOV/7000000\(index % 10)/portal", issuer: "https://idp.gov.example",
        subject: "user-\(index % 997)", claims: ["azp": "\"portal\""])
    let entry = DecisionEntry(
        decision: denied ? .deny : .allow, status: denied ? 403 : 200, reason: denied ? "rule_denied" : "allowed",
        policy: "civil-registry", policyRevision: "r42", rule: "clerks-read", method: "GET",
        host: "civil-registry.gov.example", path: "/births/1987-\(index)?x=***", sourceAddress: "10.0.0.7",
        caller: caller, cache: .hit, latencyMicroseconds: UInt64(index % 400), requestID: "req-\(index)",
        traceID: "4bf92f3577b34da6a3ce929d0e0e4736")
    let time = UnixTime(seconds: 1_796_517_312 + Int64(index / 1000), nanoseconds: Int32(index % 1000) * 1000)
    let id = String(repeating: "0", count: 12) + String(index, radix: 16)
    return AuditRecord(id: id, time: time, entry: .decision(entry))
}

if arguments[0] == "fill" {
    let count = arguments.count > 3 ? Int(arguments[3]) ?? 1_000_000 : 1_000_000
    let signer = AuditCheckpointSigner { size, root, time in
        Checkpoint(origin: key.name, size: size, root: root, time: time, instance: instance).signed(by: key)
    }
    let writer = try AuditWriter(
        store: try AuditStore(path: path), instance: instance, signer: signer,
        settings: AuditSettings(batchSize: 8192, onFull: .strict, checkpointInterval: .seconds(3600)))
    let started = clock.now
    // The queue is filled and drained by flush() on this thread: no producer threads are needed.
    var offered = Int(writer.treeSize)
    let end = offered + count
    while offered < end {
        while offered < end, writer.offer(record(offered)) == .accepted { offered += 1 }
        writer.flush()
        if offered % 1_000_000 < 8192 { print("\(offered) records") }
    }
    writer.shutdown()
    let elapsed = seconds(clock.now - started)
    print("filled \(count) records in \(elapsed) s = \(Int(Double(count) / elapsed))/s; tree size \(writer.treeSize)")
} else {
    let store = try AuditStore(path: path, readOnly: true)
    let verifier = AuditVerifier(store: store) { instance in
        try AuditVerifierKey(name: "gatehouse.audit/\(instance)", publicKey: key.verifierKey.publicKey)
    }
    let started = clock.now
    let results = try verifier.verify()
    let elapsed = seconds(clock.now - started)
    let records = results.reduce(0) { $0 + $1.size - $1.firstSeq }
    for result in results {
        print("\(result.instance): \(result.problem.map { "\($0.code): \($0.message)" } ?? "ok") size \(result.size)")
    }
    print("verified \(records) records in \(elapsed) s = \(Int(Double(records) / elapsed)) records/s")
}
