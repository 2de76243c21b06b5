package import GatehouseCore
import Yams

/// A YAML node with its position, converted from Yams with size and depth limits enforced.
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
    /// - Returns: The documents, or the diagnostics that stopped parsing.
    static func parseDocuments(_ source: PolicySource) -> Result<[YAMLNode], Diagnostic> {
        if let problem = YAMLPreScan.check(source) { return .failure(problem) }
        var converter = Converter(path: source.path)
        do {
            // Plain scalars are typed by the policy parser; Yams need not resolve tags (by regular expression).
            let parser = try Parser(yaml: source.text, resolver: .basic)
            var documents: [YAMLNode] = []
            while let root = try parser.nextRoot() {
                documents.append(try converter.convert(root, depth: 0))
            }
            return .success(documents)
        } catch let error as YamlError {
            return .failure(Self.diagnostic(for: error, path: source.path))
        } catch let diagnostic as Diagnostic {
            return .failure(diagnostic)
        } catch {
            return .failure(
                Diagnostic(
                    .error, .parseError, "The YAML could not be parsed: \(error).",
                    at: SourceLocation(file: source.path, line: 1, column: 1)))
        }
    }

    private static func diagnostic(for error: YamlError, path: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: path, line: mark.line, column: mark.column) }
        let start = SourceLocation(file: path, line: 1, column: 1)
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let contextText = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return Diagnostic(
                .error, .parseError, "YAML syntax error: \(problem)\(contextText); fix the YAML at this position.",
                at: at(mark))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return Diagnostic(
                .error, .duplicateKey, "The key \(keys) appears more than once in one mapping; keep one.",
                at: at(context.mark))
        case .reader(let problem, let offset, _, let yaml):
            var location = start
            if let offset {
                let prefix = yaml.prefix(offset)
                location.line = prefix.filter { $0 == "\n" }.count + 1
                location.column =
                    prefix.count
                    - (prefix.lastIndex(of: "\n").map { prefix.distance(from: prefix.startIndex, to: $0) + 1 } ?? 0) + 1
            }
            return Diagnostic(
                .error, .parseError,
                "The file cannot be read as YAML: \(problem); remove control characters and save as UTF-8.",
                at: location)
        default:
            return Diagnostic(.error, .parseError, "The YAML could not be parsed: \(error).", at: start)
        }
    }

    /// Turns Yams nodes into ``YAMLNode``s; throws a `limit_exceeded` ``Diagnostic`` for a file
    /// that is too large, nests too deep or uses an alias.
    private struct Converter {
        let path: String
        var count = 0
        /// Anchors met so far. The parser expands an alias into the very node that carries the
        /// anchor, so meeting an anchor twice means an alias got past the pre-scan.
        var anchors: Set<String> = []

        init(path: String) { self.path = path }

        mutating func convert(_ node: Node, depth: Int) throws -> YAMLNode {
            let mark = node.mark
            let location = SourceLocation(file: self.path, line: mark?.line ?? 1, column: mark?.column ?? 1)
            self.count += 1
            guard self.count <= YAMLNode.maximumNodes else {
                throw Diagnostic(
                    .error, .limitExceeded,
                    "The file holds more than \(YAMLNode.maximumNodes) YAML nodes; split it into several files.",
                    at: location)
            }
            if let anchor = node.anchor?.rawValue {
                guard self.anchors.insert(anchor).inserted else {
                    throw Diagnostic(
                        .error, .limitExceeded, "YAML aliases are not accepted in policies; write the value out.",
                        at: location)
                }
            }
            guard depth <= YAMLPreScan.maximumDepth + 8 else {
                throw Diagnostic(
                    .error, .limitExceeded,
                    "The document nests deeper than \(YAMLPreScan.maximumDepth) levels; flatten it.", at: location)
            }
            switch node {
            case .scalar(let scalar):
                let isPlain = scalar.style == .plain || scalar.style == .any
                return YAMLNode(content: .scalar(scalar.string, isPlain: isPlain), location: location)
            case .mapping(let mapping):
                var pairs: [(key: YAMLNode, value: YAMLNode)] = []
                pairs.reserveCapacity(mapping.count)
                for (key, value) in mapping {
                    pairs.append((try self.convert(key, depth: depth + 1), try self.convert(value, depth: depth + 1)))
                }
                return YAMLNode(content: .mapping(pairs), location: location)
            case .sequence(let sequence):
                var items: [YAMLNode] = []
                items.reserveCapacity(sequence.count)
                for item in sequence { items.append(try self.convert(item, depth: depth + 1)) }
                return YAMLNode(content: .sequence(items), location: location)
            case .alias:
                throw Diagnostic(
                    .error, .limitExceeded, "YAML aliases are not accepted in policies; write the value out.",
                    at: location)
            }
        }
    }
}
