// The decision-log writer's sustained throughput: N realistic decision records offered as fast
// as the queue takes them (strict: a refused offer is retried), written by the writer thread in
// batches with canonical encoding, Merkle hashing, stored nodes and Ed25519-signed checkpoints
// (every 10,000 records), until shutdown has drained everything.
//
//   cd Tests/Benchmarks && swift run -c release AuditWriterThroughput [records] [directory] [thread|direct|rate=N]
import Foundation
import GatehouseAudit
import GatehouseCore

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000
let directory = CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : NSTemporaryDirectory()
let path = (directory as NSString).appendingPathComponent("audit-throughput-\(getpid()).db")
defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }

let key = try AuditSigningKey.generate(name: "bench.example/audit")
// The note's shape and its Ed25519 signature, so the cost of signing is measured.
let signer = AuditCheckpointSigner { size, root, _ in
    let body = "bench.example/audit\n\(size)\n\(root.base64)\n"
    return body + "\n— bench.example/audit " + Data(key.sign(Array(body.utf8))).base64EncodedString() + "\n"
}
let store = try AuditStore(path: path)
let writer = try AuditWriter(
    store: store, instance: "bench-1", signer: signer, settings: AuditSettings(onFull: .strict)
)
func record(_ index: Int) -> AuditRecord {
    let denied = index % 5 == 0
    let caller = AuditedCaller(
        spiffeID: "spiffe://gov.example/ns/registry/sa/clerk-\(index % 50)",
        xroadClient: "EE/GOV/7000000\(index % 10)/portal", issuer: "https://idp.gov.example",
        subject: "user-\(index % 997)", claims: ["azp": "\"portal\""]
    )
    let entry = DecisionEntry(
        decision: denied ? .deny : .allow, status: denied ? 403 : 200, reason: denied ? "rule_denied" : "allowed",
        policy: "civil-registry", policyRevision: "r42", rule: "clerks-read", method: "GET",
        host: "civil-registry.gov.example", path: "/births/1987-\(index)?x=***", sourceAddress: "10.0.0.7",
        caller: caller, cache: .hit, latencyMicroseconds: 42, requestID: "req-\(index)",
        traceID: "4bf92f3577b34da6a3ce929d0e0e4736"
    )
    return AuditRecord(id: "", time: UnixTime(seconds: 0), entry: .decision(entry))
}
let records: [AuditRecord] = (0..<1000).map(record)
/// Offered record `index`: one of the 1,000 above with its own time (1 µs apart) and an id made
/// as the front door makes them (time-ordered, 80 random bits), so the time and id indexes cost
/// what they do in serve.
func numbered(_ index: Int) -> AuditRecord {
    var record = records[index % records.count]
    record.time = UnixTime(
        seconds: 1_796_517_312 + Int64(index / 1_000_000), nanoseconds: Int32(index % 1_000_000) * 1000)
    var generator = SystemRandomNumberGenerator()
    record.id = DecisionID.make(at: record.time, entropy: (generator.next(), generator.next()))
    return record
}

// "thread" (default): producers offer while the writer thread drains, as in serve. "direct": the
// queue is filled and drained by flush() on this one thread, so the figure is the writer's own cost.
// "rate=N": N records/s offered in 1 ms bursts while the writer thread drains, as a server answering
// N checks/s; the CPU time per record is then what the decision log adds to each check (batches are
// as small as the flush interval makes them at that rate, not the large ones of a writer catching up).
let mode = CommandLine.arguments.count > 3 ? CommandLine.arguments[3] : "thread"
let direct = mode == "direct"
let rate = mode.hasPrefix("rate=") ? Int(mode.dropFirst(5)) : nil
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
let cpuAtStart = cpuSeconds()
let clock = ContinuousClock()
let started = clock.now
var refusals = 0
if direct {
    var offered = 0
    while offered < count {
        while offered < count, writer.offer(numbered(offered)) == .accepted { offered += 1 }
        writer.flush()
    }
} else if let rate {
    writer.start()
    let perBurst = max(1, rate / 1000)
    var index = 0
    while index < count {
        let burstStarted = clock.now
        for _ in 0..<min(perBurst, count - index) {
            if writer.offer(numbered(index)) != .accepted { refusals += 1 }
            index += 1
        }
        let rest = Duration.milliseconds(1) - (clock.now - burstStarted)
        if rest > .zero { usleep(UInt32(rest.components.attoseconds / 1_000_000_000_000)) }
    }
} else {
    writer.start()
    for index in 0..<count {
        while writer.offer(numbered(index)) == .refused {
            refusals += 1
            usleep(100)
        }
    }
}
writer.shutdown()
let elapsed = clock.now - started
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let size = try store.treeSize(of: "bench-1")
let fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
print("records: \(size) (offered \(count), dropped \(writer.status.dropped))")
print(String(format: "elapsed: %.3f s, %.0f records/s", seconds, Double(size) / seconds))
print("checkpoints: \(try store.checkpoints(of: "bench-1").count), refused offers retried: \(refusals)")
print("database: \(fileBytes / 1_048_576) MiB")
print(
    String(format: "cpu: %.1f µs per record (process user + system)", (cpuSeconds() - cpuAtStart) * 1e6 / Double(size)))
