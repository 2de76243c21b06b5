// Measures the decision log's tree work in release (issue #13): MerkleAppender appends/s from
// precomputed leaf hashes, and per-record encode, canonical decode and leaf hashing, the work a
// full verification does per record. Usage: AuditTreeThroughput [RECORDS] (default 1,000,000).
import GatehouseAudit
import GatehouseCore

let count = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 1_000_000
let clock = ContinuousClock()

func rate(_ what: String, _ operations: Int, _ body: () -> Void) {
    let elapsed = clock.measure(body)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("\(what): \(operations) in \(seconds) s = \(Int(Double(operations) / seconds))/s")
}

let entry = DecisionEntry(
    decision: .allow, status: 200, reason: "allowed", policy: "civil-registry", policyRevision: "r42",
    rule: "clerks-read", method: "GET", host: "civil-registry.gov.example", path: "/births/1987-0042",
    sourceAddress: "10.0.0.7",
    caller: AuditedCaller(issuer: "https://idp.gov.example", subject: "alice", claims: ["roles": "[\"clerk\"]"]),
    cache: .hit, latencyMicroseconds: 41, requestID: "6f1c6a8e-5d7b-4f3e-9b1a-2c3d4e5f6a7b",
    traceID: "4bf92f3577b34da6a3ce929d0e0e4736")
let record = AuditRecord(
    id: "0123456789abcdef0123456789abcdef", time: UnixTime(seconds: 1_796_517_312, nanoseconds: 123_456_789),
    entry: .decision(entry))

let leaves = (0..<count).map { Merkle.leafHash([UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)]) }
var tree = MerkleAppender()
rate("MerkleAppender.append (no node list)", count) {
    for leaf in leaves { tree.append(leaf) { _ in } }
}
print("root \(tree.root.hex)")
var tree2 = MerkleAppender()
var nodes = 0
rate("MerkleAppender.append returning nodes", count) {
    for leaf in leaves { nodes += tree2.append(leaf).count }
}

var bodies: [[UInt8]] = []
bodies.reserveCapacity(count)
rate("AuditLeaf.encode", count) {
    for sequence in 0..<count { bodies.append(AuditLeaf.encode(record, instance: "gh-1", sequence: UInt64(sequence))) }
}
print("body bytes: \(bodies[0].count)")
var hashed = MerkleAppender()
rate("leaf hash + append", count) {
    for body in bodies { hashed.append(Merkle.leafHash(body)) { _ in } }
}
var decoded = 0
rate("AuditLeaf.decode (canonical check) + leaf hash + append", count) {
    var verifying = MerkleAppender()
    for body in bodies {
        if (try? AuditLeaf.decode(body)) != nil { decoded += 1 }
        verifying.append(Merkle.leafHash(body)) { _ in }
    }
}
precondition(decoded == count)
