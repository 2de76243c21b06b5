import GatehousePostgres
import Synchronization
import Testing

@Suite("withPostgresDeadline")
struct PostgresDeadlineTests {
    @Test("Returns the body's result, or its error")
    func passesThrough() async throws {
        #expect(try await withPostgresDeadline(.seconds(60)) { 42 } == 42)
        await #expect(throws: Failure.self) {
            try await withPostgresDeadline(.seconds(60)) { () async throws -> Int in throw Failure() }
        }
    }

    @Test("Gives up on a body that ignores cancellation, and hands its late result to `abandoned`")
    func abandonsAStuckBody() async throws {
        // The body waits on a continuation nothing cancels, like a postgres-nio query already written.
        let parked = Mutex<CheckedContinuation<Int, Never>?>(nil)
        let (lateResults, late) = AsyncStream.makeStream(of: Int.self)
        await #expect(throws: PostgresTimeout(timeout: .milliseconds(50))) {
            try await withPostgresDeadline(.milliseconds(50), abandoned: { late.yield($0) }) {
                await withCheckedContinuation { continuation in parked.withLock { $0 = continuation } }
            }
        }
        // Unblock the abandoned body (it was parked by the time the deadline passed, or parks soon).
        while true {
            if let continuation = parked.withLock({ $0.take() }) {
                continuation.resume(returning: 7)
                break
            }
            await Task.yield()
        }
        var results = lateResults.makeAsyncIterator()
        #expect(await results.next() == 7)
    }

    @Test("A cancelled caller is answered with CancellationError without waiting for the body")
    func cancelledCaller() async throws {
        let parked = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let caller = Task {
            try await withPostgresDeadline(.seconds(3600)) {
                await withCheckedContinuation { continuation in parked.withLock { $0 = continuation } }
            }
        }
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        while true {
            if let continuation = parked.withLock({ $0.take() }) {
                continuation.resume()
                break
            }
            await Task.yield()
        }
    }

    private struct Failure: Error {}
}
