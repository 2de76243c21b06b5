// The PostgreSQL decision store (issue #14): one replica's writer appending realistic decision
// records as fast as the queue takes them (strict: a refused offer is retried), into its own
// instance's tree in a shared database; run three at once for a fleet's rate. `query` times the
// cross-replica one-subject query (first page of 100, in (time, instance, seq) order).
//
//   swift run -c release AuditPostgresThroughput write URL INSTANCE [records]
//   swift run -c release AuditPostgresThroughput query URL [subject] [repeats]
import Foundation
import GatehouseAudit
import GatehouseAuditPostgres
import GatehouseCore

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    print("usage: AuditPostgresThroughput write URL INSTANCE [records] | query URL [subject] [repeats]")
    exit(2)
}
let configuration = try PostgresAuditConfiguration(url: arguments[2])

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Record `index` of `instance`: 1,000 callers, 997 subjects, times 1 µs apart, time-ordered ids.
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
        caller: caller, cache: .hit, latencyMicroseconds: 42, requestID: "req-\(index)",
        traceID: "4bf92f3577b34da6a3ce929d0e0e4736")
    let time = UnixTime(
        seconds: 1_796_517_312 + Int64(index / 1_000_000), nanoseconds: Int32(index % 1_000_000) * 1000)
    var generator = SystemRandomNumberGenerator()
    return AuditRecord(
        id: DecisionID.make(at: time, entropy: (generator.next(), generator.next())), time: time,
        entry: .decision(entry))
}

let clock = ContinuousClock()
switch arguments[1] {
case "write":
    let instance = arguments.count > 3 ? arguments[3] : "bench-1"
    let count = arguments.count > 4 ? Int(arguments[4]) ?? 1_000_000 : 1_000_000
    let key = try AuditSigningKey.generate(name: "gatehouse.audit/\(instance)")
    let signer = AuditCheckpointSigner { size, root, time in
        Checkpoint(origin: key.name, size: size, root: root, time: time, instance: instance).signed(by: key)
    }
    let store = try PostgresAuditStore(configuration: configuration)
    try store.lock(instance: instance)
    let writer = try AuditWriter(
        store: store, instance: instance, signer: signer, settings: AuditSettings(onFull: .strict))
    let first = Int(writer.treeSize)
    let cpuAtStart = cpuSeconds()
    let started = clock.now
    writer.start()
    var refusals = 0
    for index in first..<first + count {
        let record = record(index)
        while writer.offer(record) == .refused {
            refusals += 1
            usleep(100)
        }
    }
    writer.shutdown()
    let elapsed = seconds(clock.now - started)
    let written = Int(writer.treeSize) - first
    print(
        String(
            format: "%@: %d records in %.2f s, %.0f records/s, %.1f µs CPU a record (client), refused offers %d",
            instance, written, elapsed, Double(written) / elapsed, (cpuSeconds() - cpuAtStart) * 1e6 / Double(written),
            refusals))
    store.close()
case "query":
    let subject = arguments.count > 3 ? arguments[3] : "user-123"
    let repeats = arguments.count > 4 ? Int(arguments[4]) ?? 20 : 20
    let store = try PostgresAuditStore(configuration: configuration, readOnly: true)
    var times: [Double] = []
    var rows = 0
    var instances: Set<String> = []
    for _ in 0..<repeats {
        let started = clock.now
        let page = try store.query(AuditQuery(subject: subject), after: nil, limit: 100)
        times.append(seconds(clock.now - started) * 1000)
        rows = page.rows.count
        instances = Set(page.rows.map(\.instance))
    }
    times.sort()
    print(
        String(
            format: "subject %@: %d rows from %d instances; first page in %.2f ms median, %.2f ms max (%d runs)",
            subject, rows, instances.count, times[times.count / 2], times.last ?? 0, repeats))
    // A page deep into the result, through its cursor, and the whole subject streamed.
    var cursor: AuditCursor?
    var pages = 0
    let deep = clock.now
    repeat {
        let page = try store.query(AuditQuery(subject: subject), after: cursor, limit: 100)
        cursor = page.next
        pages += 1
    } while cursor != nil && pages < 50
    print(String(format: "50 pages (5,000 rows) by cursor: %.1f ms", seconds(clock.now - deep) * 1000))
    for line in try store.plan(for: AuditQuery(subject: subject), analyze: true) { print("first page: \(line)") }
    // The page after the 50th, run and timed by PostgreSQL step by step.
    for line in try store.plan(for: AuditQuery(subject: subject), after: cursor, analyze: true) {
        print("page 51: \(line)")
    }
    store.close()
default:
    print("unknown mode \(arguments[1])")
    exit(2)
}
