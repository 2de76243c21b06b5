import GatehouseCore

/// Gives the compiled rules storage of their own, allocated after the YAML is gone, and shares
/// the values rules repeat.
///
/// The schema stage reads strings and builds arrays while the file's `YAMLNode` tree is alive;
/// handed on as they are, a 100,000-rule policy's rules kept one small allocation on almost every
/// page of that tree, and those pages stayed resident after it was freed (86 MiB in use, 232 MiB
/// resident). The builder runs after the tree is freed, so copies made here sit together. Method
/// lists, claim paths and header names repeat across rules and are kept once.
struct RuleStorage {
    private var stringLists: [[String]: [String]] = [:]
    private var strings: [String: String] = [:]

    /// A copy of `text` in a buffer of its own (strings of up to 15 UTF-8 bytes are stored inline
    /// and allocate nothing).
    static func copy(_ text: String) -> String {
        let count = text.utf8.count
        guard count > 15 else { return text }
        return String(unsafeUninitializedCapacity: count) { buffer in
            _ = buffer.initialize(fromContentsOf: text.utf8)
            return count
        }
    }

    /// A copy of `array` in a buffer of its own (elements shared), for an array taken from the
    /// document as it is; a `map` result is already one.
    static func copy<Element>(_ array: [Element]) -> [Element] {
        guard !array.isEmpty else { return [] }
        return array.withUnsafeBufferPointer { Array($0) }
    }

    /// One shared copy of each distinct repeated string.
    mutating func shared(_ text: String) -> String {
        if let existing = self.strings[text] { return existing }
        let copy = Self.copy(text)
        self.strings[copy] = copy
        return copy
    }

    /// One shared copy of each distinct list of strings (method lists, claim paths).
    mutating func shared(_ list: [String]) -> [String] {
        if let existing = self.stringLists[list] { return existing }
        // `map` makes a new array here, after the YAML is gone: it is the copy.
        let copy = list.map { self.shared($0) }
        self.stringLists[copy] = copy
        return copy
    }

    /// A path pattern with its own segment array.
    mutating func pattern(_ pattern: PathPattern) -> PathPattern {
        PathPattern(
            segments: pattern.segments.map { segment in
                if case .literal(let text) = segment { return .literal(Self.copy(text)) }
                return segment
            })
    }

    /// A condition whose strings and arrays are copies or shared.
    mutating func condition(_ condition: Condition) -> Condition {
        switch condition {
        case .methods(let methods, let negated): return .methods(self.shared(methods), negated: negated)
        case .paths(let patterns, let negated): return .paths(patterns.map { self.pattern($0) }, negated: negated)
        case .header(let name, let match): return .header(name: self.shared(name), self.headerMatch(match))
        case .claim(let path, let match): return .claim(path: self.shared(path), self.claimMatch(match))
        case .property(let entity, let path, let match):
            return .property(entity, path: self.shared(path), self.claimMatch(match))
        case .principals(let patterns, let negated): return .principals(Self.copy(patterns), negated: negated)
        case .hosts(let patterns, let negated): return .hosts(Self.copy(patterns), negated: negated)
        case .sourceCIDRs(let blocks, let negated): return .sourceCIDRs(Self.copy(blocks), negated: negated)
        case .authenticated: return condition
        }
    }

    private mutating func headerMatch(_ match: HeaderMatch) -> HeaderMatch {
        switch match {
        case .equals(let text): return .equals(Self.copy(text))
        case .prefix(let text): return .prefix(Self.copy(text))
        case .present, .absent: return match
        }
    }

    private mutating func claimMatch(_ match: ClaimMatch) -> ClaimMatch {
        switch match {
        case .equals(let value): return .equals(Self.claimValue(value))
        case .contains(let value): return .contains(Self.claimValue(value))
        case .oneOf(let values): return .oneOf(values.map(Self.claimValue))
        case .exists: return match
        }
    }

    private static func claimValue(_ value: ClaimValue) -> ClaimValue {
        switch value {
        case .string(let text): return .string(Self.copy(text))
        case .array(let values): return .array(values.map(Self.claimValue))
        case .number, .bool, .null, .object: return value
        }
    }
}
