package import GatehouseCore

/// A YAML node with its position, composed from libyaml's events with size and depth limits enforced.
package struct YAMLNode: Sendable {
    /// A node's content.
    package enum Content: Sendable {
        /// A scalar: its text, and whether it was written plain (unquoted), so that `3` and `true` get types.
        case scalar(String, isPlain: Bool)
        /// A mapping, keys in order.
        case mapping([(key: YAMLNode, value: YAMLNode)])
        /// A sequence.
        case sequence([YAMLNode])
    }

    /// The content.
    package let content: Content
    /// Where the node starts.
    package let location: SourceLocation

    /// The most nodes one file may hold.
    static let maximumNodes = 4_000_000

    /// The scalar's text, if this is a scalar.
    var scalarText: String? {
        if case .scalar(let text, _) = self.content { return text }
        return nil
    }

    /// Whether this is the null scalar (`~`, `null`, or nothing).
    var isNull: Bool {
        guard case .scalar(let text, let isPlain) = self.content, isPlain else { return false }
        return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    /// A name for the node's type, for messages.
    var typeName: String {
        switch self.content {
        case .scalar: return self.isNull ? "null" : "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    /// Parses every document of a source.
    ///
    /// - Parameter sink: Takes a long sequence of a root mapping chunk by chunk as it is composed
    ///   (see ``YAMLEventComposer/SequenceSink``).
    /// - Returns: The documents, or the diagnostics that stopped parsing.
    static func parseDocuments(
        _ source: PolicySource, sink: YAMLEventComposer.SequenceSink? = nil
    ) -> Result<[YAMLNode], Diagnostic> {
        if let problem = YAMLPreScan.check(source) { return .failure(problem) }
        do {
            return .success(try YAMLEventComposer.documents(of: source.text, path: source.path, sink: sink))
        } catch {
            return .failure(Self.diagnostic(for: error, source: source))
        }
    }

    private static func diagnostic(for failure: YAMLEventComposer.Failure, source: PolicySource) -> Diagnostic {
        let path = source.path
        switch failure {
        case .syntax(let problem, let context, let line, let column):
            let contextText = context.map { " (\($0.text) at line \($0.line))" } ?? ""
            return Diagnostic(
                .error, .parseError, "YAML syntax error: \(problem)\(contextText); fix the YAML at this position.",
                at: SourceLocation(file: path, line: line, column: column))
        case .duplicateKeys(let duplicates, let line, let column):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return Diagnostic(
                .error, .duplicateKey, "The key \(keys) appears more than once in one mapping; keep one.",
                at: SourceLocation(file: path, line: line, column: column))
        case .reader(let problem, let utf8Offset):
            // Line and column in characters, counted up to the refused byte.
            let yaml = source.text
            var location = SourceLocation(file: path, line: 1, column: 1)
            if let index = yaml.utf8.index(yaml.utf8.startIndex, offsetBy: utf8Offset, limitedBy: yaml.utf8.endIndex)?
                .samePosition(in: yaml)
            {
                let prefix = yaml[..<index]
                location.line = prefix.filter { $0 == "\n" }.count + 1
                location.column =
                    prefix.count
                    - (prefix.lastIndex(of: "\n").map { prefix.distance(from: prefix.startIndex, to: $0) + 1 } ?? 0) + 1
            }
            return Diagnostic(
                .error, .parseError,
                "The file cannot be read as YAML: \(problem); remove control characters and save as UTF-8.",
                at: location)
        case .memory:
            return Diagnostic(
                .error, .parseError, "The YAML could not be parsed: Memory error.",
                at: SourceLocation(file: path, line: 1, column: 1))
        case .limit(let diagnostic):
            return diagnostic
        }
    }
}
