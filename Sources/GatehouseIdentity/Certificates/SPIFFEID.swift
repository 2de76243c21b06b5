import GatehouseCore

/// A SPIFFE ID (`spiffe://trust-domain/path`), validated to the SPIFFE ID specification.
///
/// The rules are the strict ones, since the ID is what policies match on: scheme exactly
/// `spiffe`, a trust domain of lower-case letters, digits, `.`, `-` and `_` (so no port, no
/// user info), a non-empty path of segments of letters, digits, `.`, `-` and `_` with no
/// empty, `.` or `..` segment (so no query, fragment or percent-encoding), 2048 bytes at most.
struct SPIFFEID: Hashable, Sendable, CustomStringConvertible {
    /// The trust domain, e.g. `gov.example`.
    let trustDomain: String
    /// The path, starting with `/`.
    let path: String

    var description: String { "spiffe://\(self.trustDomain)\(self.path)" }

    static let maximumBytes = 2048

    /// Whether `uri` claims to be a SPIFFE ID, in any spelling of the scheme; such a URI must
    /// then parse, so a second ID cannot hide behind `SPIFFE://`.
    static func isCandidate(_ uri: String) -> Bool {
        ASCII.equal(ASCII.lowercased(String(decoding: uri.utf8.prefix(7), as: UTF8.self)), "spiffe:")
    }

    /// Parses `text`, or says what is wrong with it.
    ///
    /// Works on the UTF-8 bytes: `String` compares by canonical equivalence, and a combining
    /// mark after a `/` must not hide the `/` from the checks.
    static func parse(_ text: String) -> Result<SPIFFEID, CertificateProblem> {
        func invalid(_ why: String) -> Result<SPIFFEID, CertificateProblem> {
            .failure(CertificateProblem(.certificateSPIFFEInvalid, "The SPIFFE ID \(Quoted(text)) \(why)."))
        }
        let bytes = Array(text.utf8)
        guard bytes.count <= Self.maximumBytes else { return invalid("is longer than 2048 bytes") }
        guard ASCII.hasPrefix(text, "spiffe://") else {
            return invalid("does not start with 'spiffe://' in lower case")
        }
        let rest = bytes.dropFirst("spiffe://".utf8.count)
        if rest.contains(UInt8(ascii: "?")) { return invalid("has a query") }
        if rest.contains(UInt8(ascii: "#")) { return invalid("has a fragment") }
        if rest.contains(UInt8(ascii: "%")) { return invalid("contains percent-encoding") }
        let slash = rest.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
        let domain = rest[..<slash]
        let path = rest[slash...]
        if domain.contains(UInt8(ascii: "@")) { return invalid("has user info") }
        if domain.contains(UInt8(ascii: ":")) { return invalid("has a port") }
        guard !domain.isEmpty, domain.allSatisfy(Self.isTrustDomainByte) else {
            return invalid("has an empty or invalid trust domain (lower-case letters, digits, '.', '-', '_')")
        }
        guard !path.isEmpty else { return invalid("has an empty path") }
        for segment in path.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if segment.isEmpty { return invalid("has an empty path segment") }
            if segment.elementsEqual(".".utf8) || segment.elementsEqual("..".utf8) {
                return invalid("has a '.' or '..' path segment")
            }
            guard segment.allSatisfy(Self.isPathByte) else {
                return invalid("has a path segment with characters other than letters, digits, '.', '-', '_'")
            }
        }
        return .success(
            SPIFFEID(
                trustDomain: String(decoding: domain, as: UTF8.self), path: String(decoding: path, as: UTF8.self)))
    }

    private static func isTrustDomainByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"): true
        default: false
        }
    }

    private static func isPathByte(_ byte: UInt8) -> Bool {
        Self.isTrustDomainByte(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
