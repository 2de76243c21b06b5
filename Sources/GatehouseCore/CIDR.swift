/// An address block such as `10.0.0.0/8` or `fd00::/8`.
package struct CIDR: Hashable, Sendable, CustomStringConvertible {
    /// The network address, with every host bit zero.
    package let network: IPAddress
    /// The number of leading bits that must match.
    package let prefixLength: Int

    /// Why a CIDR text was refused.
    package enum ParseProblem: Error, Equatable {
        /// The address part is not an IPv4 or IPv6 address.
        case invalidAddress
        /// The prefix length is not a number within the family's width.
        case invalidPrefixLength
        /// Bits beyond the prefix are set; `suggestion` is the block that was probably meant.
        case hostBitsSet(suggestion: String)
    }

    /// Parses `ADDRESS/LENGTH`, or a bare address meaning a single host.
    package static func parse(_ text: some StringProtocol) -> Result<CIDR, ParseProblem> {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return .failure(.invalidAddress) }
        var length = address.bitWidth
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...address.bitWidth).contains(parsed), !parts[1].hasPrefix("+")
            else { return .failure(.invalidPrefixLength) }
            length = parsed
        }
        let network = Self.masked(address, length)
        guard network == address else {
            return .failure(.hostBitsSet(suggestion: "\(network)/\(length)"))
        }
        return .success(CIDR(network: network, prefixLength: length))
    }

    /// Whether `address` lies inside this block; addresses of the other family never do.
    package func contains(_ address: IPAddress) -> Bool {
        switch (self.network, address) {
        case (.v4, .v4), (.v6, .v6): return Self.masked(address, self.prefixLength) == self.network
        default: return false
        }
    }

    package var description: String { "\(self.network)/\(self.prefixLength)" }

    private static func masked(_ address: IPAddress, _ length: Int) -> IPAddress {
        switch address {
        case .v4(let value):
            let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
            return .v4(value & mask)
        case .v6(let high, let low):
            let highMask: UInt64 = length == 0 ? 0 : (length >= 64 ? ~0 : ~UInt64(0) << UInt64(64 - length))
            let lowMask: UInt64 = length <= 64 ? 0 : (length == 128 ? ~0 : ~UInt64(0) << UInt64(128 - length))
            return .v6(high: high & highMask, low: low & lowMask)
        }
    }
}
