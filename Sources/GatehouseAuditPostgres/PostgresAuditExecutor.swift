import Dispatch

/// Where the store's queries run while a synchronous caller waits: a serial dispatch queue, not
/// Swift's cooperative pool.
///
/// ``AuditLogStore`` is synchronous and its callers may be on the cooperative pool (`GET
/// /v1/decisions` is answered there; it has two threads here). If the query ran on that pool
/// too, two callers waiting at once would leave no thread to run it. With this executor the query
/// needs only this queue and PostgresNIO's event loop, so a waiting caller never starves it.
final class PostgresAuditExecutor: TaskExecutor, @unchecked Sendable {
    private let queue = DispatchQueue(label: "gatehouse.audit.postgres")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
