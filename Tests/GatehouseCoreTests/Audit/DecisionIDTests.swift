import Testing

@testable import GatehouseCore

@Suite("Decision ids")
struct DecisionIDTests {
    @Test("32 lower-case hex digits: 48 bits of milliseconds, then 80 bits of entropy")
    func layout() {
        let time = UnixTime(seconds: 0x0123_4567_89AB / 1000, nanoseconds: Int32(0x0123_4567_89AB % 1000) * 1_000_000)
        let id = DecisionID.make(at: time, entropy: (0xFFFF_FFFF_FFFF_CDEF, 0x0011_2233_4455_6677))
        #expect(id == "0123456789abcdef0011223344556677")
        #expect(DecisionID.hex(0xA, 0xB) == "000000000000000a000000000000000b")
    }

    @Test("Ids made later sort later, whatever their entropy")
    func timeOrdered() {
        let earlier = DecisionID.make(at: UnixTime(seconds: 1_796_517_312), entropy: (.max, .max))
        let later = DecisionID.make(at: UnixTime(seconds: 1_796_517_312, nanoseconds: 1_000_000), entropy: (0, 0))
        #expect(earlier < later)
        #expect(later.allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }

    @Test("Ids of the same millisecond differ in their entropy digits only")
    func sameMillisecond() {
        let time = UnixTime(seconds: 0, nanoseconds: 42_000_000)
        let first = DecisionID.make(at: time, entropy: (1, 2))
        let second = DecisionID.make(at: time, entropy: (3, 4))
        #expect(first != second)
        #expect(first.hasPrefix("00000000002a") && second.hasPrefix("00000000002a"))
    }
}
