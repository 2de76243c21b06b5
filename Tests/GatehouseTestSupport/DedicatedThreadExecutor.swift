import Dispatch

/// A task executor on a serial dispatch queue of its own: tasks that prefer it run on that
/// queue's thread, not on Swift's cooperative pool.
///
/// For a test's load generator: on a 2-core machine the cooperative pool has two threads, and a
/// full suite keeps them busy with other tests, so a load loop on the pool may answer a few
/// checks a second. Child tasks inherit the preference, and continuations resumed by NIO (a
/// gRPC response) come back to this queue.
///
/// ```swift
/// let executor = DedicatedThreadExecutor(label: "load")
/// try await withTaskExecutorPreference(executor) { try await runLoad() }
/// ```
package final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: the only state is the queue, which is thread-safe.
    private let queue: DispatchQueue

    /// An executor on a new serial queue named `label` (the thread's name in a debugger or `top -H`).
    package init(label: String) {
        self.queue = DispatchQueue(label: label)
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
