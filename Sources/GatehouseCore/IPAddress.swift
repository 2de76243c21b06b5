/// An IPv4 or IPv6 address, parsed from its textual form.
///
/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are stored as IPv4, so a policy's IPv4
/// CIDR applies to a dual-stack listener's callers too. A zone index (`fe80::1%eth0`) is
/// ignored.
package enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address, most significant octet first.
    case v4(UInt32)
    /// An IPv6 address as two 64-bit halves, most significant first.
    case v6(high: UInt64, low: UInt64)

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text; `nil` when the text is neither.
    package init?(_ text: some StringProtocol) {
        var utf8 = Array(text.utf8)
        let isV6 = utf8.contains(UInt8(ascii: ":"))
        // A zone index belongs to link-local IPv6 only.
        if isV6, let zone = utf8.firstIndex(of: UInt8(ascii: "%")) { utf8.removeSubrange(zone...) }
        if isV6 {
            guard let (high, low) = Self.parseV6(utf8[...]) else { return nil }
            if high == 0, low >> 32 == 0xFFFF {
                self = .v4(UInt32(truncatingIfNeeded: low))
            } else {
                self = .v6(high: high, low: low)
            }
        } else {
            guard let value = Self.parseV4(utf8[...]) else { return nil }
            self = .v4(value)
        }
    }

    /// The number of bits in an address of this family.
    package var bitWidth: Int {
        switch self {
        case .v4: return 32
        case .v6: return 128
        }
    }

    package var description: String {
        switch self {
        case .v4(let value):
            return Self.formatV4(value)
        case .v6(let high, let low):
            let groups = (0..<8).map { index -> UInt16 in
                let half = index < 4 ? high : low
                return UInt16(truncatingIfNeeded: half >> (48 - 16 * (index % 4)))
            }
            return Self.formatV6(groups)
        }
    }

    /// Dotted-quad text written in place: at most 15 bytes, a small string (no allocation). The
    /// decision log formats every check's source address (four numbers joined were four strings,
    /// an array and a join on the event loop).
    private static func formatV4(_ value: UInt32) -> String {
        String(unsafeUninitializedCapacity: 15) { buffer in
            var count = 0
            for shift in stride(from: 24, through: 0, by: -8) {
                let octet = Int((value >> UInt32(shift)) & 0xFF)
                if shift != 24 {
                    buffer[count] = UInt8(ascii: ".")
                    count += 1
                }
                if octet >= 100 {
                    buffer[count] = UInt8(ascii: "0") + UInt8(octet / 100)
                    count += 1
                }
                if octet >= 10 {
                    buffer[count] = UInt8(ascii: "0") + UInt8(octet / 10 % 10)
                    count += 1
                }
                buffer[count] = UInt8(ascii: "0") + UInt8(octet % 10)
                count += 1
            }
            return count
        }
    }

    private static func parseV4(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            // Leading zeros are refused: `010` means octal to some parsers and decimal to others.
            guard (1...3).contains(part.count), part.allSatisfy(Self.isDigit),
                part.count == 1 || part.first != UInt8(ascii: "0")
            else { return nil }
            let octet = part.reduce(0) { $0 * 10 + UInt32($1 - UInt8(ascii: "0")) }
            guard octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    private static func parseV6(_ bytes: ArraySlice<UInt8>) -> (UInt64, UInt64)? {
        // A single ':' may not open or close an address; only "::" may.
        if bytes.first == 58, !bytes.starts(with: [58, 58]) { return nil }
        if bytes.last == 58, !bytes.reversed().starts(with: [58, 58]) { return nil }
        var groups: [UInt16] = []
        var gap: Int? = nil
        var parts = bytes.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)[...]
        // A leading or trailing "::" yields two empty parts; collapse them into one gap marker.
        if bytes.starts(with: [58, 58]) { parts = parts.dropFirst() }
        if bytes.reversed().starts(with: [58, 58]) { parts = parts.dropLast() }
        for (offset, part) in parts.enumerated() {
            if part.isEmpty {
                guard gap == nil else { return nil }
                gap = groups.count
                continue
            }
            if offset == parts.count - 1, part.contains(UInt8(ascii: ".")) {
                guard let v4 = parseV4(part) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
                continue
            }
            // Hex digits only: `UInt16(_:radix:)` would also take a sign ("+1", "-0").
            guard part.count <= 4, part.allSatisfy({ PathNormalizer.hexValue($0) != nil }),
                let group = UInt16(String(decoding: part, as: UTF8.self), radix: 16)
            else {
                return nil
            }
            groups.append(group)
        }
        if let gap {
            guard groups.count < 8 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        let high = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return (high, low)
    }

    private static func formatV6(_ groups: [UInt16]) -> String {
        // RFC 5952: compress the longest run of two or more zero groups.
        var best = (start: -1, length: 0)
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index > best.length, end - index >= 2 { best = (index, end - index) }
            index = end
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.start >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
}
