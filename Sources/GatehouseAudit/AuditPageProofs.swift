import Foundation

/// Builds the inclusion proofs of one page of `GET /v1/decisions` (`proof=true`).
///
/// Every record is proved against its instance's latest checkpoint, read once per page so that
/// all of an instance's proofs in a page lead to the same signed root. The element is the JSON
/// object `gatehouse audit prove` prints (``AuditProof``, compact), so it can be saved and checked
/// with `gatehouse audit check-proof` as it is. A record the latest checkpoint does not cover yet
/// (written after it) gets `{"proof":null,"reason":"not_checkpointed","message":…}` instead, and
/// one whose proof cannot be built from the kept nodes `"reason":"node_missing"`: neither fails
/// the page, only a store that cannot be read does.
struct AuditPageProofs {
    private let store: any AuditLogStore
    private var checkpoints: [String: StoredCheckpoint?] = [:]
    private var nodes: [String: PageNodes] = [:]

    init(store: any AuditLogStore) {
        self.store = store
    }

    /// The proof element for `row`, as JSON text.
    ///
    /// - Throws: ``AuditError`` (`store_failed`) when the store cannot be read.
    mutating func proof(for row: AuditQueryRow) throws -> String {
        let checkpoint = try self.checkpoint(of: row.instance)
        guard let checkpoint, row.seq < checkpoint.size else {
            return Self.missing(
                reason: "not_checkpointed",
                message: "Record seq \(row.seq) of '\(row.instance)' was written after its instance's latest "
                    + "checkpoint (\(checkpoint?.size ?? 0) records); ask again after the next one "
                    + "(audit.checkpointEvery records or audit.checkpointInterval).")
        }
        let nodes =
            self.nodes[row.instance] ?? PageNodes(store: self.store, instance: row.instance, size: checkpoint.size)
        self.nodes[row.instance] = nodes
        let path: [MerkleHash]
        do {
            path = try Merkle.inclusionProof(leaf: row.seq, size: checkpoint.size, nodes: nodes)
        } catch {
            guard error.code == .nodeMissing || error.code == .proofUnavailable else { throw error }
            return Self.missing(reason: error.code.description, message: error.message)
        }
        return Self.compact(.inclusion(record: row.body, seq: row.seq, proof: path, checkpoint: checkpoint.note))
    }

    private mutating func checkpoint(of instance: String) throws -> StoredCheckpoint? {
        if let known = self.checkpoints[instance] { return known }
        let latest = try self.store.latestCheckpoint(of: instance)
        self.checkpoints[instance] = .some(latest)
        return latest
    }

    /// `proof` as one line: the same fields and values `audit prove` prints, without the indentation.
    private static func compact(_ proof: AuditProof) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, integers and arrays of strings cannot fail.
        return String(decoding: try! encoder.encode(proof), as: UTF8.self)
    }

    /// The element for a record without a proof: `proof` is null, `reason` a stable code.
    private static func missing(reason: String, message: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding two strings cannot fail.
        let text = String(decoding: try! encoder.encode(["reason": reason, "message": message]), as: UTF8.self)
        return #"{"proof":null,"# + text.dropFirst()
    }
}

/// The subtree roots one page's proofs need, from the store, remembered for the page.
///
/// Neighbouring records share most of their paths. Below the stored height (256 leaves) a root is
/// hashed from leaves: the whole 256-leaf block is read once and its leaf hashes kept, instead of
/// reading up to 255 leaves again for every record.
private final class PageNodes: MerkleNodeSource {
    let store: any AuditLogStore
    let instance: String
    /// The checkpoint's tree size: no leaf at or past it is read.
    let size: UInt64
    private var roots: [Key: MerkleHash] = [:]
    private var blocks: [UInt64: [MerkleHash]] = [:]

    private struct Key: Hashable {
        var level: Int
        var index: UInt64
    }

    init(store: any AuditLogStore, instance: String, size: UInt64) {
        self.store = store
        self.instance = instance
        self.size = size
    }

    func subtreeRoot(level: Int, index: UInt64) throws(AuditError) -> MerkleHash {
        let key = Key(level: level, index: index)
        if let known = self.roots[key] { return known }
        let root: MerkleHash
        if level >= AuditStore.storedNodeHeight {
            root = try self.stored(level: level, index: index)
        } else {
            root = try self.hashed(level: level, index: index)
        }
        self.roots[key] = root
        return root
    }

    private func stored(level: Int, index: UInt64) throws(AuditError) -> MerkleHash {
        try StoredNodes(store: self.store, instance: self.instance).subtreeRoot(level: level, index: index)
    }

    /// The root of a subtree below the stored height, from its block's leaf hashes.
    private func hashed(level: Int, index: UInt64) throws(AuditError) -> MerkleHash {
        let height = UInt64(AuditStore.storedNodeHeight)
        let first = index << UInt64(level)
        let block = first >> height
        let leaves = try self.leafHashes(block: block)
        let offset = Int(first - (block << height))
        let count = 1 << level
        guard offset + count <= leaves.count else {
            throw AuditError(
                .nodeMissing,
                "Instance '\(self.instance)' has no records \(first)..<\(first + UInt64(count)) in "
                    + "'\(self.store.location)'; the store was pruned past them or damaged.")
        }
        var hashes = Array(leaves[offset..<offset + count])
        while hashes.count > 1 {
            hashes = stride(from: 0, to: hashes.count, by: 2).map { Merkle.nodeHash(hashes[$0], hashes[$0 + 1]) }
        }
        return hashes[0]
    }

    /// The leaf hashes of 256-leaf block `block`, up to the checkpoint's size.
    private func leafHashes(block: UInt64) throws(AuditError) -> [MerkleHash] {
        if let known = self.blocks[block] { return known }
        let height = UInt64(AuditStore.storedNodeHeight)
        let start = block << height
        let end = min((block + 1) << height, self.size)
        let hashes: [MerkleHash]
        do {
            hashes = try self.store.bodies(of: self.instance, in: start..<end).map { Merkle.leafHash($0) }
        } catch let error as AuditError where error.code == .storeFailed {
            // `bodies` says store_failed for a gap in the leaves: here that is a node this page cannot build.
            throw AuditError(.nodeMissing, error.message)
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError(.storeFailed, "Reading records of '\(self.instance)' failed: \(error).")
        }
        self.blocks[block] = hashes
        return hashes
    }
}
