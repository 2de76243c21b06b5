import GatehouseCore
import Testing

@testable import GatehouseAudit

@Suite("Audit queue: the writer's drained buffer comes back for the offers", .bug(id: "13"))
struct AuditQueueTests {
    private typealias F = AuditWriterFixture

    @Test("A recycled buffer is the next one the offers fill: emptied, its capacity kept, the counts unchanged")
    func recycledBufferIsReused() {
        let queue = AuditQueue(capacity: 100, batchSize: 10, onFull: .gap)
        for index in 0..<40 { #expect(queue.offer(F.decision(index)) == .accepted) }
        let taken = queue.take()
        #expect(taken.map(\.id) == (0..<40).map { F.decision($0).id })
        #expect(queue.counters.pending == 40)
        let capacity = taken.capacity
        queue.recycle(taken)
        queue.written(40)
        #expect(queue.counters.pending == 0)

        // The buffer the offers filled meanwhile is taken; the recycled one takes its place.
        for index in 40..<45 { #expect(queue.offer(F.decision(index)) == .accepted) }
        #expect(queue.take().map(\.id) == (40..<45).map { F.decision($0).id })
        for index in 45..<50 { #expect(queue.offer(F.decision(index)) == .accepted) }
        let next = queue.take()
        #expect(next.map(\.id) == (45..<50).map { F.decision($0).id })
        #expect(next.capacity >= capacity)
        #expect(queue.counters.pending == 10)
        #expect(queue.counters.dropped == 0)
    }

    @Test("A buffer above the recycled size is let go, and a shared one is never emptied under its owner")
    func oversizedAndSharedBuffersAreNotKept() {
        let queue = AuditQueue(capacity: 100_000, batchSize: 10, onFull: .gap)
        let record = F.decision(0)
        for _ in 0...AuditQueue.recycledCapacity { #expect(queue.offer(record) == .accepted) }
        let large = queue.take()
        #expect(large.capacity > AuditQueue.recycledCapacity)
        queue.recycle(large)
        #expect(queue.take().capacity < AuditQueue.recycledCapacity)

        #expect(queue.offer(record) == .accepted)
        let shared = queue.take()
        let copy = shared
        queue.recycle(shared)
        #expect(copy.count == 1)
        #expect(copy.first == record)
    }
}
