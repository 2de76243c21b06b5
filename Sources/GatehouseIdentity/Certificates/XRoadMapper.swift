import GatehouseCore

/// Derives an X-Road client ID from a certificate's subject or URI SANs with a policy's mappings.
///
/// The first mapping that yields every part it names wins. A mapping never guesses: an
/// attribute the subject lacks or holds twice, several URI SANs yielding different IDs, or a
/// part that is empty or contains `/` means the mapping yields nothing.
struct XRoadMapper: Sendable {
    let mappings: [XRoadMapping]

    /// The client ID of the first mapping that yields one.
    func client(subject: SubjectAttributes, uris: [String]) -> XRoadClientID? {
        for mapping in self.mappings {
            let client: XRoadClientID?
            switch mapping {
            case .subject(let instance, let memberClass, let memberCode, let subsystem):
                client = Self.fromSubject(
                    [instance, memberClass, memberCode] + (subsystem.map { [$0] } ?? []), subject: subject)
            case .uriSAN(let pattern):
                client = Self.fromURIs(uris, pattern: URIPattern(pattern))
            }
            if let client { return client }
        }
        return nil
    }

    /// Fills each `${ATTR}` of the templates from the subject.
    static func fromSubject(_ templates: [String], subject: SubjectAttributes) -> XRoadClientID? {
        var parts: [String] = []
        for template in templates {
            guard let part = Self.render(template, subject: subject) else { return nil }
            parts.append(part)
        }
        return Self.client(parts)
    }

    private static func render(_ template: String, subject: SubjectAttributes) -> String? {
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstRange(of: "${") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}"),
                let value = subject.single(String(rest[open.upperBound..<close]))
            else { return nil }
            result += rest[..<open.lowerBound] + value
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    /// The one client ID the URIs matching `pattern` agree on.
    static func fromURIs(_ uris: [String], pattern: URIPattern) -> XRoadClientID? {
        let found = Set(
            uris.compactMap { uri in
                pattern.match(uri).flatMap { values in
                    Self.client(
                        [values["instance"], values["memberClass"], values["memberCode"]].compactMap { $0 }
                            + (values["subsystem"].map { [$0] } ?? []),
                        expected: pattern.namesSubsystem ? 4 : 3)
                }
            })
        return found.count == 1 ? found.first : nil
    }

    private static func client(_ parts: [String], expected: Int? = nil) -> XRoadClientID? {
        guard parts.count == (expected ?? parts.count),
            parts.allSatisfy({ part in
                !part.isEmpty && part.unicodeScalars.allSatisfy { $0 != "/" && $0.value >= 0x20 && $0.value != 0x7F }
            })
        else { return nil }
        return XRoadClientID(parts.joined(separator: "/"))
    }
}

/// A `uriSAN` mapping pattern: literal text with `{instance}`, `{memberClass}`, `{memberCode}`
/// and optionally `{subsystem}`.
///
/// A placeholder matches a non-empty run of characters that contains neither `/` nor any
/// punctuation character of the pattern's literal text, so with `urn:xroad:{instance}:…` no
/// value can contain `:` and no URI can be read two ways. Matching is on UTF-8 bytes.
struct URIPattern: Sendable {
    enum Token: Sendable, Equatable {
        case literal([UInt8])
        case placeholder(String)
    }

    let tokens: [Token]
    /// Bytes no placeholder value may contain.
    let separators: Set<UInt8>

    init(_ pattern: String) {
        var tokens: [Token] = []
        var literal: [UInt8] = []
        var rest = Array(pattern.utf8)[...]
        while let byte = rest.popFirst() {
            if byte == UInt8(ascii: "{"), let close = rest.firstIndex(of: UInt8(ascii: "}")) {
                if !literal.isEmpty { tokens.append(.literal(literal)) }
                literal = []
                tokens.append(.placeholder(String(decoding: rest[..<close], as: UTF8.self)))
                rest = rest[(close + 1)...]
            } else {
                literal.append(byte)
            }
        }
        if !literal.isEmpty { tokens.append(.literal(literal)) }
        self.tokens = tokens
        let punctuation = tokens.flatMap { token -> [UInt8] in
            guard case .literal(let bytes) = token else { return [] }
            return bytes.filter { $0 < 0x80 && !Self.isAlphanumeric($0) }
        }
        self.separators = Set(punctuation + [UInt8(ascii: "/")])
    }

    /// Whether the pattern names `{subsystem}`.
    var namesSubsystem: Bool { self.tokens.contains(.placeholder("subsystem")) }

    /// The placeholder values when `uri` matches the whole pattern.
    func match(_ uri: String) -> [String: String]? {
        var values: [String: String] = [:]
        var rest = Array(uri.utf8)[...]
        for token in self.tokens {
            switch token {
            case .literal(let bytes):
                guard rest.starts(with: bytes) else { return nil }
                rest = rest.dropFirst(bytes.count)
            case .placeholder(let name):
                let end = rest.firstIndex(where: { self.separators.contains($0) }) ?? rest.endIndex
                guard end > rest.startIndex, values[name] == nil else { return nil }
                values[name] = String(decoding: rest[..<end], as: UTF8.self)
                rest = rest[end...]
            }
        }
        return rest.isEmpty ? values : nil
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}
