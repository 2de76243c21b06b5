/// An X-Road client identifier: a member `INSTANCE/CLASS/CODE` or a subsystem `INSTANCE/CLASS/CODE/SUBSYSTEM`.
package struct XRoadClientID: Hashable, Sendable, CustomStringConvertible {
    /// The X-Road instance, e.g. `GOV`.
    package var instance: String
    /// The member class, e.g. `GOV`, `COM`, `NGO`.
    package var memberClass: String
    /// The member code, e.g. a registry code.
    package var memberCode: String
    /// The subsystem code; `nil` for a member-level client.
    package var subsystem: String?

    package init(instance: String, memberClass: String, memberCode: String, subsystem: String? = nil) {
        self.instance = instance
        self.memberClass = memberClass
        self.memberCode = memberCode
        self.subsystem = subsystem
    }

    /// Parses `INSTANCE/CLASS/CODE[/SUBSYSTEM]`; every part must be non-empty.
    package init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/" as Character, omittingEmptySubsequences: false).map { String($0) }
        guard parts.count == 3 || parts.count == 4, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        self.init(
            instance: parts[0], memberClass: parts[1], memberCode: parts[2],
            subsystem: parts.count == 4 ? parts[3] : nil)
    }

    /// The parts in order, three or four of them.
    package var parts: [String] {
        [self.instance, self.memberClass, self.memberCode] + (self.subsystem.map { [$0] } ?? [])
    }

    package var description: String { self.parts.joined(separator: "/") }
}
