/// SplitMix64 (Steele, Lea, Flood 2014): a tiny deterministic generator, so every run sees the same
/// cases and a failure is reproducible from its seed. Used by the property tests of
/// Core, Policy and Cache.
package struct SplitMix64 {
    private var state: UInt64

    package init(seed: UInt64) { self.state = seed }

    package mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = self.state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// A number in `0..<bound`.
    package mutating func below(_ bound: Int) -> Int { Int(self.next() % UInt64(bound)) }

    /// A number in `range`.
    package mutating func within(_ range: ClosedRange<Int>) -> Int { range.lowerBound + self.below(range.count) }

    /// `true` with the given probability, in percent.
    package mutating func chance(_ percent: Int) -> Bool { self.below(100) < percent }

    package mutating func pick<Element>(_ elements: [Element]) -> Element { elements[self.below(elements.count)] }
}
