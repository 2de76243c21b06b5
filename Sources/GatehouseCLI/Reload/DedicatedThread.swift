import Foundation

/// Runs long CPU-bound work on a thread of its own and awaits it.
///
/// Swift concurrency's cooperative pool has one thread per core (two on the machines Gatehouse is
/// measured on), and the checks' tasks run there. Compiling a 100,000-rule bundle takes seconds;
/// done inline by the reload actor it held one of those threads the whole time. On a thread of
/// its own it holds none (its parallel parts run on Dispatch's workers, ``PolicyCompiler``).
enum DedicatedThread {
    /// The result of `work`, computed on a new thread.
    static func run<Value: Sendable>(name: String, _ work: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: work()) }
            thread.name = name
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
