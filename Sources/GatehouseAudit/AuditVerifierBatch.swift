import Dispatch
import Synchronization

/// A batch of stored rows read together (bodies back to back in one buffer) and what the parallel
/// pass found for each: its leaf hash, and whether it is certainly the canonical record of its row.
///
/// Reused from batch to batch, so a verification allocates per batch, not per record. One thread
/// fills it; then ``prove(instance:)`` splits the hashing over two threads; then the walk reads it
/// in order. The phases never overlap on one batch, which is what makes `@unchecked` sound.
final class AuditVerifierBatch: @unchecked Sendable {
    /// The records hashed and checked per grab of the shared counter.
    private static let block = 256

    private var bytes: [UInt8] = []
    private var ends: [Int] = []
    private var seqs: [UInt64] = []
    /// Written by several threads at distinct indices: raw memory, so no exclusivity check applies.
    private let hashes: UnsafeMutableBufferPointer<MerkleHash>
    private let proven: UnsafeMutableBufferPointer<Bool>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        self.hashes = .allocate(capacity: capacity)
        self.hashes.initialize(repeating: Merkle.emptyRoot)
        self.proven = .allocate(capacity: capacity)
        self.proven.initialize(repeating: false)
        self.ends.reserveCapacity(capacity)
        self.seqs.reserveCapacity(capacity)
        self.bytes.reserveCapacity(capacity * 640)
    }

    deinit {
        self.hashes.deallocate()
        self.proven.deallocate()
    }

    var count: Int { self.seqs.count }

    func removeAll() {
        self.bytes.removeAll(keepingCapacity: true)
        self.ends.removeAll(keepingCapacity: true)
        self.seqs.removeAll(keepingCapacity: true)
    }

    func append(seq: UInt64, body: UnsafeRawBufferPointer) {
        precondition(self.seqs.count < self.capacity, "a verifier batch holds at most \(self.capacity) rows")
        self.bytes.append(contentsOf: body)
        self.ends.append(self.bytes.count)
        self.seqs.append(seq)
    }

    /// Row `index`'s sequence number, as stored in its row.
    func seq(_ index: Int) -> UInt64 { self.seqs[index] }

    /// Row `index`'s body, copied (only for the full decode of a record the fast check did not prove).
    func body(_ index: Int) -> [UInt8] {
        Array(self.bytes[(index == 0 ? 0 : self.ends[index - 1])..<self.ends[index]])
    }

    /// Row `index`'s leaf hash, after ``prove(instance:)``.
    func hash(_ index: Int) -> MerkleHash { self.hashes[index] }

    /// Whether row `index`'s body is certainly the canonical record of instance `instance` whose
    /// `seq` is the row's, after ``prove(instance:)``.
    func isProven(_ index: Int) -> Bool { self.proven[index] }

    /// Hashes and checks every row on two threads: a helper and the caller, which first runs
    /// `meanwhile` (reading the next batch from SQLite) and then joins the hashing.
    func prove<T>(instance: [UInt8], meanwhile: () throws -> T) rethrows -> T {
        let next = BlockCounter()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { self.proveBlocks(instance: instance, next: next) }
        defer {
            self.proveBlocks(instance: instance, next: next)
            group.wait()
        }
        return try meanwhile()
    }

    private func proveBlocks(instance: [UInt8], next: BlockCounter) {
        // Local copies: one retain each, not an access to the class's storage per record.
        let (ends, seqs, count) = (self.ends, self.seqs, self.count)
        self.bytes.withUnsafeBufferPointer { bytes in
            while true {
                let first = next.value.wrappingAdd(Self.block, ordering: .relaxed).oldValue
                guard first < count else { return }
                for index in first..<min(first + Self.block, count) {
                    let body = UnsafeBufferPointer(rebasing: bytes[(index == 0 ? 0 : ends[index - 1])..<ends[index]])
                    self.hashes[index] = Merkle.leafHash(body)
                    self.proven[index] = Self.isCanonical(body, instance: instance, seq: seqs[index])
                }
            }
        }
    }

    private static func isCanonical(_ body: UnsafeBufferPointer<UInt8>, instance: [UInt8], seq: UInt64) -> Bool {
        guard let place = AuditLeafCheck.place(of: body), place.sequence == seq else { return false }
        return body[place.instance].elementsEqual(instance)
    }
}

/// The next unclaimed row of a batch being proven, shared by the two threads.
private final class BlockCounter: Sendable {
    let value = Atomic<Int>(0)
}
