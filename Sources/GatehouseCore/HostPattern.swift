/// A host pattern: an exact name, `*.suffix` (one or more labels before the suffix), or `*` (any host).
///
/// Hosts are compared lower-cased and without a port, as ``AuthzRequest/host`` holds them.
package enum HostPattern: Sendable, Hashable, CustomStringConvertible {
    /// Exactly this host.
    case exact(String)
    /// Any host ending in `.` + suffix; the suffix itself does not match.
    case suffix(String)
    /// Every host.
    case any

    /// Parses `example.gov`, `*.example.gov` or `*`; `nil` for a `*` elsewhere or an empty name.
    package init?(_ text: String) {
        let lowered = ASCII.lowercased(text)
        if lowered == "*" {
            self = .any
        } else if lowered.hasPrefix("*."), lowered.count > 2, !lowered.dropFirst(2).contains("*") {
            self = .suffix(String(lowered.dropFirst(2)))
        } else if !lowered.isEmpty, !lowered.contains("*"), !lowered.contains("/"), !lowered.contains(" ") {
            self = .exact(lowered)
        } else {
            return nil
        }
    }

    /// Whether a request host (lower-case, no port) matches.
    package func matches(_ host: some StringProtocol) -> Bool {
        switch self {
        case .exact(let name): return ASCII.equal(host, name)
        case .any: return true
        case .suffix(let suffix):
            let hostCount = host.utf8.count
            let suffixCount = suffix.utf8.count
            guard hostCount > suffixCount + 1 else { return false }
            let tail = host.utf8.dropFirst(hostCount - suffixCount - 1)
            return tail.first == UInt8(ascii: ".") && tail.dropFirst().elementsEqual(suffix.utf8)
        }
    }

    package var description: String {
        switch self {
        case .exact(let name): return name
        case .suffix(let suffix): return "*.\(suffix)"
        case .any: return "*"
        }
    }
}
