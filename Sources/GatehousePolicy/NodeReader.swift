import GatehouseCore

/// Typed reads of YAML nodes that report problems instead of throwing, so one pass finds them all.
struct NodeReader {
    var diagnostics = DiagnosticBag()

    /// The mapping's entries by key, after reporting keys outside `allowed` (with a suggestion).
    mutating func mapping(_ node: YAMLNode, allowed: [String], what: String) -> [String: YAMLNode]? {
        guard case .mapping(let pairs) = node.content else {
            self.diagnostics.error(.typeError, "\(what) must be a mapping, not \(node.typeName).", at: node.location)
            return nil
        }
        var entries: [String: YAMLNode] = [:]
        for (key, value) in pairs {
            guard let name = key.scalarText, !key.isNull else {
                self.diagnostics.error(
                    .typeError, "Keys of \(what) must be plain strings, not \(key.typeName).", at: key.location)
                continue
            }
            guard allowed.contains(name) else {
                let hint =
                    Self.closest(to: name, in: allowed).map { " Did you mean '\($0)'?" }
                    ?? " Allowed keys: \(allowed.joined(separator: ", "))."
                self.diagnostics.error(.unknownKey, "\(what) has no key '\(name)'.\(hint)", at: key.location)
                continue
            }
            entries[name] = value
        }
        return entries
    }

    /// Reports a missing required key.
    mutating func require(_ key: String, in entries: [String: YAMLNode], of node: YAMLNode, what: String) -> YAMLNode? {
        guard let value = entries[key] else {
            self.diagnostics.error(.missingKey, "\(what) needs the key '\(key)'.", at: node.location)
            return nil
        }
        return value
    }

    /// A string; any non-null scalar is accepted as written (`2` reads as `"2"`).
    mutating func string(_ node: YAMLNode, what: String) -> String? {
        guard case .scalar(let text, _) = node.content, !node.isNull else {
            self.diagnostics.error(.typeError, "\(what) must be a string, not \(node.typeName).", at: node.location)
            return nil
        }
        return text
    }

    /// A boolean: `true` or `false`.
    mutating func bool(_ node: YAMLNode, what: String) -> Bool? {
        switch node.scalarText {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            self.diagnostics.error(
                .typeError, "\(what) must be true or false, not '\(node.scalarText ?? node.typeName)'.",
                at: node.location)
            return nil
        }
    }

    /// An integer within `range`.
    mutating func integer(_ node: YAMLNode, in range: ClosedRange<Int>, what: String) -> Int? {
        guard let text = node.scalarText, let value = Int(text) else {
            self.diagnostics.error(
                .typeError, "\(what) must be a whole number, not '\(node.scalarText ?? node.typeName)'.",
                at: node.location)
            return nil
        }
        guard range.contains(value) else {
            self.diagnostics.error(
                .invalidValue, "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(value).",
                at: node.location)
            return nil
        }
        return value
    }

    /// A list of nodes; a single scalar counts as a one-item list when `scalarAllowed`.
    mutating func list(_ node: YAMLNode, what: String, scalarAllowed: Bool = false) -> [YAMLNode]? {
        switch node.content {
        case .sequence(let items): return items
        case .scalar where scalarAllowed && !node.isNull: return [node]
        default:
            self.diagnostics.error(.typeError, "\(what) must be a list, not \(node.typeName).", at: node.location)
            return nil
        }
    }

    /// A non-empty list of strings with their locations; an empty list is reported as `emptyCode`.
    mutating func strings(_ node: YAMLNode, what: String, emptyCode: DiagnosticCode = .invalidValue) -> [(
        String, SourceLocation
    )]? {
        guard let items = self.list(node, what: what, scalarAllowed: true) else { return nil }
        guard !items.isEmpty else {
            self.diagnostics.error(
                emptyCode, "\(what) is an empty list, which can never match; remove the key or list something.",
                at: node.location)
            return nil
        }
        var values: [(String, SourceLocation)] = []
        for item in items {
            if let text = self.string(item, what: "Each entry of \(what)") { values.append((text, item.location)) }
        }
        return values.count == items.count ? values : nil
    }

    /// A typed claim value: plain scalars become numbers, booleans or null when they read as such.
    mutating func claimValue(_ node: YAMLNode, what: String) -> ClaimValue? {
        switch node.content {
        case .scalar(let text, let isPlain):
            guard isPlain else { return .string(text) }
            if node.isNull { return .null }
            if ["true", "True", "TRUE"].contains(text) { return .bool(true) }
            if ["false", "False", "FALSE"].contains(text) { return .bool(false) }
            if let number = Double(text),
                text.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) ?? false
            {
                return .number(number)
            }
            return .string(text)
        case .sequence(let items):
            let values = items.compactMap { self.claimValue($0, what: what) }
            return values.count == items.count ? .array(values) : nil
        case .mapping(let pairs):
            var object: [String: ClaimValue] = [:]
            for (key, value) in pairs {
                guard let name = key.scalarText, let converted = self.claimValue(value, what: what) else { return nil }
                object[name] = converted
            }
            return .object(object)
        }
    }

    /// The allowed word closest to `word`, if it is close enough to be a likely typo.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, Self.distance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else { return nil }
        return best.0
    }

    private static func distance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs)
        let b = Array(rhs)
        guard !a.isEmpty else { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
