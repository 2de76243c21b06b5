import GatehouseCore
import Testing

@testable import GatehousePolicy

/// The compiled rules' own storage: equal values in fresh buffers, repeated lists kept once.
@Suite("Rule storage")
struct RuleStorageTests {
    static func base(_ array: [some Any]) -> UnsafeRawPointer? {
        array.withUnsafeBufferPointer { $0.baseAddress.map { UnsafeRawPointer($0) } }
    }

    static let conditions: [Condition] = [
        .methods(["GET", "HEAD"], negated: true),
        .paths(
            [PathPattern(segments: [.literal("a-segment-longer-than-fifteen"), .star, .doubleStar])], negated: true),
        .hosts([HostPattern("records.gov.example")!], negated: false),
        .header(name: "x-a-long-header-name", .equals("a value longer than fifteen bytes")),
        .header(name: "x-tenant", .prefix("gov-")), .header(name: "x-request-id", .present),
        .principals([.spiffe(prefix: "spiffe://gov.example/ns/health/sa/api", isWildcard: false)], negated: false),
        .sourceCIDRs([try! CIDR.parse("10.0.0.0/8").get()], negated: true),
        .claim(path: ["realm_access", "roles"], .contains(.string("a-role-name-longer-than-fifteen"))),
        .claim(path: ["level"], .oneOf([.number(2), .string("three-written-out-in-full"), .array([.bool(true)])])),
        .claim(path: ["department"], .equals(.null)), .claim(path: ["department"], .exists(false)),
        .property(.subject, path: ["department"], .equals(.string("finance"))), .authenticated(true),
    ]

    @Test("Every kind of condition comes out equal")
    func conditionsEqual() {
        var storage = RuleStorage()
        for condition in Self.conditions { #expect(storage.condition(condition) == condition) }
    }

    @Test("Copies are equal and in buffers of their own")
    func copies() {
        let text = String(repeating: "r0042-readers-", count: 3)
        let copy = RuleStorage.copy(text)
        #expect(copy == text)
        let textBase = text.utf8.withContiguousStorageIfAvailable { $0.baseAddress }
        let copyBase = copy.utf8.withContiguousStorageIfAvailable { $0.baseAddress }
        #expect(textBase != nil && copyBase != nil && textBase! != copyBase!)
        let patterns = [PathPattern(segments: [.literal("records"), .star])]
        let copied = RuleStorage.copy(patterns)
        #expect(copied == patterns)
        #expect(Self.base(copied) != Self.base(patterns))
        #expect(RuleStorage.copy([Int]()).isEmpty)
    }

    @Test("Repeated method lists and claim paths are kept once")
    func sharing() {
        var storage = RuleStorage()
        let first = storage.shared(["GET", "HEAD"])
        let second = storage.shared(Array(["GET", "HEAD"]))
        #expect(first == ["GET", "HEAD"])
        #expect(Self.base(first) == Self.base(second))
        let other = storage.shared(["POST"])
        #expect(other == ["POST"])
        #expect(Self.base(other) != Self.base(first))
    }
}
