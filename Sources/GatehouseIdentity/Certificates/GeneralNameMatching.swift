import SwiftASN1
import X509

/// How one name compares with one name-constraint subtree of the same form (RFC 5280 §4.2.1.10).
///
/// Every comparison answers `true` (the name is in the subtree), `false`, or `nil` when the name
/// or the subtree is malformed and cannot be compared; the policy then refuses the chain.
///
/// - DNS names: the subtree's labels end the name's, case-insensitively; a leading period
///   requires at least one more label; the empty subtree holds every name. A wildcard label
///   (`*.example.com`) is a literal label when checking permission, and any one label when
///   checking exclusion.
/// - IP addresses: in the subtree's CIDR block (address and mask, 8 or 32 bytes).
/// - URIs: by the host of the authority, which must be a domain name (no IP literal); a subtree
///   with a leading period holds the hosts below that domain, one without holds that host only.
/// - RFC 822 names: a subtree `local@host` holds that mailbox (local part exact, host in any
///   case), `host` every mailbox at that host, `.domain` every mailbox at hosts below the domain.
enum GeneralNameMatching {
    /// The name forms Gatehouse evaluates.
    enum Form: Hashable {
        case dnsName, ipAddress, uri, rfc822Name
    }

    /// The form of `name`, or `nil` for one Gatehouse does not evaluate.
    static func form(of name: GeneralName) -> Form? {
        switch name {
        case .dnsName: .dnsName
        case .ipAddress: .ipAddress
        case .uniformResourceIdentifier: .uri
        case .rfc822Name: .rfc822Name
        default: nil
        }
    }

    /// Whether `name` lies in `subtree` (of the same form); `nil` when either is malformed.
    static func match(_ name: GeneralName, _ subtree: GeneralName, excluding: Bool) -> Bool? {
        switch (name, subtree) {
        case (.dnsName(let name), .dnsName(let subtree)):
            Self.dnsName(name, in: subtree, excluding: excluding)
        case (.ipAddress(let address), .ipAddress(let block)):
            Self.ipAddress(address.bytes, in: block.bytes)
        case (.uniformResourceIdentifier(let uri), .uniformResourceIdentifier(let subtree)):
            Self.uri(uri, in: subtree)
        case (.rfc822Name(let address), .rfc822Name(let subtree)):
            Self.mailbox(address, in: subtree)
        default:
            false
        }
    }

    /// `name` for a description: its form and value, quoted.
    static func describe(_ name: GeneralName) -> String {
        switch name {
        case .dnsName(let value): "DNS name \(Quoted(value))"
        case .rfc822Name(let value): "RFC 822 name \(Quoted(value))"
        case .uniformResourceIdentifier(let value): "URI \(Quoted(value))"
        case .ipAddress(let value): "IP address \(Self.ipText(value.bytes))"
        case .directoryName: "directoryName"
        case .otherName: "otherName"
        case .x400Address: "x400Address"
        case .ediPartyName: "ediPartyName"
        case .registeredID: "registeredID"
        }
    }

    // MARK: DNS names

    static func dnsName(_ name: String, in subtree: String, excluding: Bool) -> Bool? {
        guard !subtree.isEmpty else { return Self.labels(name, wildcard: true) == nil ? nil : true }
        let needsMoreLabels = subtree.hasPrefix(".")
        guard let domain = Self.labels(String(subtree.dropFirst(needsMoreLabels ? 1 : 0)), wildcard: false),
            let labels = Self.labels(name, wildcard: true)
        else { return nil }
        if Self.isBelow(labels, domain, strictly: needsMoreLabels) { return true }
        // `*.example.com` stands for any `x.example.com`: excluded when one of those would be.
        if excluding, labels.first == "*", !needsMoreLabels, labels.count == domain.count,
            labels.dropFirst().elementsEqual(domain.dropFirst())
        {
            return true
        }
        return false
    }

    /// Whether `labels` ends with `domain`, with at least one label more when `strictly`.
    private static func isBelow(_ labels: [String], _ domain: [String], strictly: Bool) -> Bool {
        labels.count >= domain.count + (strictly ? 1 : 0) && labels.suffix(domain.count).elementsEqual(domain)
    }

    /// The lower-cased labels of a DNS name: 1 to 63 letters, digits, `-` or `_` each (no `-`
    /// at either end), at most 253 bytes, the last label not all digits (an IPv4 address is no
    /// host name); a first label `*` when `wildcard`. `nil` when the name is not one.
    static func labels(_ name: String, wildcard: Bool) -> [String]? {
        guard !name.isEmpty, name.utf8.count <= 253 else { return nil }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false).map { $0.lowercased() }
        for (index, label) in labels.enumerated() {
            if wildcard, index == 0, label == "*", labels.count > 2 { continue }
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                label.utf8.allSatisfy({ $0.isDNSLabelByte })
            else { return nil }
        }
        guard let last = labels.last, !last.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        return labels
    }

    // MARK: IP addresses

    static func ipAddress(_ address: ArraySlice<UInt8>, in block: ArraySlice<UInt8>) -> Bool? {
        guard address.count == 4 || address.count == 16, block.count == 8 || block.count == 32 else { return nil }
        let base = Array(block.prefix(block.count / 2))
        let mask = Array(block.suffix(block.count / 2))
        guard Self.isCIDRMask(mask) else { return nil }
        guard address.count == base.count else { return false }
        return zip(zip(address, base), mask).allSatisfy { pair, mask in pair.0 & mask == pair.1 & mask }
    }

    /// Leading one bits, then only zero bits.
    private static func isCIDRMask(_ mask: [UInt8]) -> Bool {
        let bits: [Bool] = mask.flatMap { (byte: UInt8) -> [Bool] in
            (0..<8).map { (shift: Int) -> Bool in (byte << shift) & 0x80 != 0 }
        }
        let ones = bits.prefix { $0 }.count
        return !bits.dropFirst(ones).contains(true)
    }

    private static func ipText(_ bytes: ArraySlice<UInt8>) -> String {
        let isV4 = bytes.count == 4 || bytes.count == 8
        let half = bytes.count == 8 || bytes.count == 32 ? bytes.count / 2 : bytes.count
        let address = Array(bytes.prefix(half))
        let text =
            isV4
            ? address.map(String.init).joined(separator: ".")
            : stride(from: 0, to: address.count - 1, by: 2).map {
                String(UInt16(address[$0]) << 8 | UInt16(address[$0 + 1]), radix: 16)
            }.joined(separator: ":")
        guard half < bytes.count else { return text }
        return text + "/" + String(bytes.suffix(half).reduce(0) { $0 + $1.nonzeroBitCount })
    }

    // MARK: URIs

    static func uri(_ uri: String, in subtree: String) -> Bool? {
        let below = subtree.hasPrefix(".")
        guard let domain = Self.labels(String(subtree.dropFirst(below ? 1 : 0)), wildcard: false),
            let host = Self.host(of: uri), let labels = Self.labels(host, wildcard: false)
        else { return nil }
        return below ? Self.isBelow(labels, domain, strictly: true) : labels == domain
    }

    /// The host of `uri`'s authority (RFC 3986 `scheme://[userinfo@]host[:port]`); `nil` without
    /// an authority or with an IP literal, which RFC 5280 requires to reject under a URI constraint.
    static func host(of uri: String) -> String? {
        guard let colon = uri.firstIndex(of: ":"), let first = uri.first, first.isASCII, first.isLetter else {
            return nil
        }
        let afterScheme = uri[uri.index(after: colon)...]
        guard afterScheme.hasPrefix("//") else { return nil }
        let authority = afterScheme.dropFirst(2).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostAndPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? authority
        guard !hostAndPort.hasPrefix("[") else { return nil }
        let host = hostAndPort.prefix { $0 != ":" }
        return host.isEmpty ? nil : String(host)
    }

    // MARK: RFC 822 names

    static func mailbox(_ address: String, in subtree: String) -> Bool? {
        guard let (local, domain) = Self.mailboxParts(address) else { return nil }
        if subtree.contains("@") {
            guard let (subtreeLocal, subtreeDomain) = Self.mailboxParts(subtree) else { return nil }
            return local == subtreeLocal && domain == subtreeDomain
        }
        let below = subtree.hasPrefix(".")
        guard let subtreeDomain = Self.labels(String(subtree.dropFirst(below ? 1 : 0)), wildcard: false) else {
            return nil
        }
        return below ? Self.isBelow(domain, subtreeDomain, strictly: true) : domain == subtreeDomain
    }

    /// The local part (exact) and the domain's labels of `local@domain`, split at the last `@`.
    private static func mailboxParts(_ address: String) -> (Substring, [String])? {
        guard address.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), let at = address.lastIndex(of: "@") else {
            return nil
        }
        let local = address[..<at]
        guard !local.isEmpty, let domain = Self.labels(String(address[address.index(after: at)...]), wildcard: false)
        else { return nil }
        return (local, domain)
    }
}

extension UInt8 {
    /// A letter, digit, `-` or `_`: what a DNS label in a certificate may hold.
    fileprivate var isDNSLabelByte: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }
}
