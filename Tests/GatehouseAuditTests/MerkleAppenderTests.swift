import GatehouseAudit
import Testing

@Suite(.bug(id: "13")) struct MerkleAppenderTests {
    @Test("Leaf and node hashes are RFC 9162's; roots match the Certificate Transparency vectors")
    func vectors() throws {
        #expect(Merkle.emptyRoot.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let leaves: [[UInt8]] = [
            [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43], Array(0x50...0x57),
            Array(0x60...0x6F),
        ]
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ]
        var tree = MerkleAppender()
        #expect(tree.root == Merkle.emptyRoot)
        for (leaf, root) in zip(leaves, roots) {
            tree.append(Merkle.leafHash(leaf))
            #expect(tree.root.hex == root)
        }
    }

    @Test("Every size 0…70: the root is MTH, the reported nodes are exactly the completed perfect subtrees")
    func matchesDefinition() throws {
        let leaves = MerkleReference.leaves(70)
        var tree = MerkleAppender()
        var reported: [MerkleNode] = []
        for size in 1...70 {
            let nodes = tree.append(Merkle.leafHash(leaves[size - 1]))
            reported += nodes
            #expect(tree.size == UInt64(size))
            #expect(tree.root.bytes == MerkleReference.mth(leaves[0..<size]))
            #expect(tree.frontier.count == size.nonzeroBitCount)
            // The append completes one node per trailing one bit of the old size, plus the leaf.
            #expect(nodes.count == (size - 1).trailingZeroBitCount(ofComplement: ()) + 1)
        }
        // Every perfect subtree inside 70 leaves, and nothing else, was reported once, with its MTH.
        var expected: Set<MerkleNode> = []
        for level in 0..<7 {
            var index = 0
            while (index + 1) << level <= 70 {
                let hash = MerkleReference.mth(leaves[(index << level)..<((index + 1) << level)])
                expected.insert(
                    MerkleNode(level: level, index: UInt64(index), hash: try #require(MerkleHash(bytes: hash))))
                index += 1
            }
        }
        #expect(Set(reported) == expected)
        #expect(reported.count == expected.count)
    }

    @Test("A tree resumed from its size and frontier goes on exactly as the original")
    func resume() throws {
        var original = MerkleAppender()
        for index in 0..<37 { original.append(Merkle.leafHash([UInt8(index)])) }
        var resumed = try MerkleAppender(size: original.size, frontier: original.frontier)
        #expect(resumed == original)
        for index in 37..<64 {
            #expect(resumed.append(Merkle.leafHash([UInt8(index)])) == original.append(Merkle.leafHash([UInt8(index)])))
        }
        #expect(resumed.root == original.root)
        let error = #expect(throws: AuditError.self) { try MerkleAppender(size: 5, frontier: [Merkle.emptyRoot]) }
        #expect(error?.code == .storeCorrupt)
    }

    @Test("Hashes round-trip through hex and base64; wrong lengths and digits are refused")
    func hashText() throws {
        let hash = Merkle.leafHash([1, 2, 3])
        #expect(MerkleHash(hex: hash.hex) == hash)
        #expect(MerkleHash(hex: hash.hex.uppercased()) == hash)
        #expect(MerkleHash(base64: hash.base64) == hash)
        #expect(hash.base64.count == 44)
        #expect(MerkleHash(bytes: hash.bytes) == hash)
        #expect(MerkleHash(hex: String(hash.hex.dropLast())) == nil)
        #expect(MerkleHash(hex: String(hash.hex.dropLast()) + "g") == nil)
        #expect(MerkleHash(bytes: [UInt8](repeating: 0, count: 31)) == nil)
        #expect(MerkleHash(base64: "AAAA") == nil)
    }
}

extension Int {
    /// The number of trailing one bits.
    fileprivate func trailingZeroBitCount(ofComplement: Void) -> Int { (~self).trailingZeroBitCount }
}
