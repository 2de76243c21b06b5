import GatehouseCore
import GatehouseTestSupport
import Testing

@Suite("Byte table: the trie's and the policy index's lookups")
struct ByteTableTests {
    @Test("Every stored key is found under its owner only; absent keys, prefixes and extensions are not")
    func lookups() {
        var random = SplitMix64(seed: 15)
        var table = ByteTable()
        var model: [String: Int32] = [:]
        let alphabet = Array("ab/.-é0")
        for number in 0..<3_000 {
            let length = random.below(20)
            let text = String((0..<length).map { _ in random.pick(alphabet) })
            let owner = Int32(random.below(4))
            table.set(Int32(number), owner: owner, text)
            model["\(owner)|\(text)"] = Int32(number)
        }
        #expect(table.count == model.count)
        for (key, value) in model {
            let owner = Int32(key.prefix { $0 != "|" })!
            let text = String(key.drop { $0 != "|" }.dropFirst())
            #expect(table.value(owner: owner, text) == value)
            #expect(table.value(owner: owner, text + "x") == model["\(owner)|\(text)x"])
            if !text.isEmpty {
                #expect(table.value(owner: owner, String(text.dropLast())) == model["\(owner)|\(text.dropLast())"])
            }
            #expect(table.value(owner: owner + 4, text) == nil)
        }
    }

    @Test("Byte comparison sees every byte, in words and in the tail")
    func equality() {
        let base = Array("0123456789abcdefghij".utf8)
        for index in base.indices {
            var changed = base
            changed[index] ^= 1
            base.withUnsafeBytes { lhs in
                changed.withUnsafeBytes { rhs in
                    #expect(!ByteTable.equal(lhs, rhs))
                    #expect(ByteTable.equal(lhs, lhs))
                    #expect(ByteTable.hash(owner: 0, lhs) == ByteTable.hash(owner: 0, UnsafeRawBufferPointer(lhs)))
                }
            }
        }
        #expect(ByteTable().value(owner: 0, "") == nil)
        var table = ByteTable()
        table.set(7, owner: 0, "")
        #expect(table.value(owner: 0, "") == 7)
        table.set(8, owner: 0, "")
        #expect(table.value(owner: 0, "") == 8 && table.count == 1)
    }
}
