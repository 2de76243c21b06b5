import CYaml
import GatehouseCore

/// Builds ``YAMLNode``s straight from libyaml's parse events, with the limits enforced on the way.
///
/// Yams' `Parser` composes its own node tree (a `Node` per value, each with a tag, style, mark and
/// anchor) that Gatehouse would then convert again; on a 100,000-rule policy that second tree was
/// most of the compile time and left the heap fragmented. Yams 6 exposes no event API, so this
/// reads the events from libyaml (`CYaml`, the C module Yams builds and links) directly. It keeps
/// every diagnostic Yams' path gave: the same syntax-error problems, contexts and positions (they
/// come from libyaml either way), duplicate keys reported at the end of their mapping at the first
/// occurrence of the smallest duplicated key, and the limits (node count, depth, aliases) reported
/// only once the document parsed, so a syntax error in the same document still comes first.
struct YAMLEventComposer {
    /// Why composing stopped.
    enum Failure: Error {
        /// libyaml's reader, scanner, parser or composer refused the text.
        case syntax(problem: String, context: (text: String, line: Int)?, line: Int, column: Int)
        /// libyaml's reader refused a byte (control character, invalid UTF-8) at this UTF-8 offset.
        case reader(problem: String, utf8Offset: Int)
        /// libyaml ran out of memory.
        case memory
        /// Keys repeated in one mapping (sorted), at the first occurrence of the first.
        case duplicateKeys([String], line: Int, column: Int)
        /// A limit (nodes, depth, aliases) was exceeded.
        case limit(Diagnostic)
    }

    /// One event, copied out of libyaml's buffer.
    private struct Event {
        enum Kind {
            case streamEnd
            case documentStart
            case documentEnd
            case alias(anchor: String)
            case scalar(String, isPlain: Bool, tag: String)
            case sequenceStart
            case sequenceEnd
            case mappingStart
            case mappingEnd
            case other
        }

        var kind: Kind
        var anchor: String?
        var line: Int
        var column: Int
    }

    /// Where the items of one sequence of each document's root mapping go while the document is
    /// still being composed, so that a later stage can start on them.
    struct SequenceSink {
        /// The root mapping's key whose sequence is handed out (`rules`).
        var key: String
        /// Items a chunk. A sequence of at most this many items stays in the tree; a longer one is
        /// handed out whole, in chunks of this size (the last may be smaller), and left empty in
        /// the tree.
        var chunkSize: Int
        /// Takes one chunk: the document's index in the stream and the items, in order.
        var take: (_ document: Int, _ items: [YAMLNode]) -> Void
    }

    private let path: String
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let sink: SequenceSink?
    /// The index of the document being composed.
    private var document = 0
    private var count = 0
    /// Where each anchor was set, once its node is complete (the latest node wins, as in YAML). An
    /// alias is refused at its anchor's node, as the node-tree path refused the expanded node it met
    /// a second time.
    private var anchored: [String: SourceLocation] = [:]
    /// Anchors met so far, in document order: an anchor set twice is refused too.
    private var anchors: Set<String> = []
    /// The first limit exceeded in the current document, thrown when the document ends.
    private var problem: Diagnostic?

    /// The canonical tag of an untagged or quoted scalar: what Yams' basic resolver gives them.
    private static let stringTag = "tag:yaml.org,2002:str"

    private init(path: String, parser: UnsafeMutablePointer<yaml_parser_t>, sink: SequenceSink?) {
        self.path = path
        self.parser = parser
        self.sink = sink
    }

    /// Every document of `text`.
    ///
    /// - Parameter sink: Takes the items of a long sequence under its key in a root mapping as
    ///   they are composed; what it took is missing from the returned tree. Whatever it took
    ///   belongs to a document that is returned only if the whole text composes without a failure.
    static func documents(of text: String, path: String, sink: SequenceSink? = nil) throws(Failure) -> [YAMLNode] {
        var text = text
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else { throw .memory }
        defer { yaml_parser_delete(parser) }
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        let result: Result<[YAMLNode], Failure> = text.withUTF8 { bytes in
            yaml_parser_set_input_string(parser, bytes.baseAddress, bytes.count)
            var composer = YAMLEventComposer(path: path, parser: parser, sink: sink)
            do throws(Failure) {
                return .success(try composer.stream())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private mutating func stream() throws(Failure) -> [YAMLNode] {
        _ = try self.next()  // the stream start
        var documents: [YAMLNode] = []
        while true {
            let start = try self.next()
            guard case .documentStart = start.kind else { return documents }
            self.document = documents.count
            let root = try self.node(from: self.next(), depth: 0)
            _ = try self.next()  // the document end
            if let problem = self.problem { throw .limit(problem) }
            documents.append(root)
        }
    }

    /// - Parameter handsOut: Whether this node, if a long sequence, goes to the sink.
    private mutating func node(from event: Event, depth: Int, handsOut: Bool = false) throws(Failure) -> YAMLNode {
        let location = SourceLocation(file: self.path, line: event.line, column: event.column)
        self.check(event, at: location, depth: depth)
        defer { if let anchor = event.anchor { self.anchored[anchor] = location } }
        switch event.kind {
        case .scalar(let text, let isPlain, _):
            return YAMLNode(content: .scalar(text, isPlain: isPlain), location: location)
        case .sequenceStart:
            var items: [YAMLNode] = []
            let chunkSize = handsOut ? self.sink?.chunkSize : nil
            var handedOut = false
            while true {
                let next = try self.next()
                if case .sequenceEnd = next.kind { break }
                // A full chunk goes once an item follows it: a sequence of one chunk stays.
                if let chunkSize, items.count == chunkSize {
                    self.sink?.take(self.document, items)
                    handedOut = true
                    items = []
                }
                items.append(try self.node(from: next, depth: depth + 1))
            }
            if handedOut, !items.isEmpty {
                self.sink?.take(self.document, items)
                items = []
            }
            return YAMLNode(content: .sequence(self.problem == nil ? items : []), location: location)
        case .mappingStart:
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            var keys: [(text: String, tag: String, line: Int, column: Int)] = []
            while true {
                let keyEvent = try self.next()
                if case .mappingEnd = keyEvent.kind { break }
                if case .scalar(let text, _, let tag) = keyEvent.kind {
                    keys.append((text, tag, keyEvent.line, keyEvent.column))
                }
                let key = try self.node(from: keyEvent, depth: depth + 1)
                let handsOut = depth == 0 && self.sink != nil && key.scalarText == self.sink?.key
                let value = try self.node(from: self.next(), depth: depth + 1, handsOut: handsOut)
                pairs.append((key, value))
            }
            try Self.checkDuplicates(keys)
            return YAMLNode(content: .mapping(self.problem == nil ? pairs : []), location: location)
        case .alias(let anchor):
            guard let anchored = self.anchored[anchor] else {
                throw .syntax(problem: "found undefined alias", context: nil, line: event.line, column: event.column)
            }
            self.limit("YAML aliases are not accepted in policies; write the value out.", at: anchored)
            return YAMLNode(content: .scalar("", isPlain: true), location: location)
        case .streamEnd, .documentStart, .documentEnd, .sequenceEnd, .mappingEnd, .other:
            // libyaml only produces a node event here; anything else is a bug in the parser.
            throw .syntax(problem: "unexpected event", context: nil, line: event.line, column: event.column)
        }
    }

    /// The node-tree path's checks, in its order: node count, anchors, depth.
    private mutating func check(_ event: Event, at location: SourceLocation, depth: Int) {
        if case .alias = event.kind { return }  // counted as the node it names, which has its own anchor check
        self.count += 1
        if self.count > YAMLNode.maximumNodes {
            self.limit(
                "The file holds more than \(YAMLNode.maximumNodes) YAML nodes; split it into several files.",
                at: location)
        }
        if let anchor = event.anchor {
            if !self.anchors.insert(anchor).inserted {
                self.limit("YAML aliases are not accepted in policies; write the value out.", at: location)
            }
        }
        if depth > YAMLPreScan.maximumDepth + 8 {
            self.limit(
                "The document nests deeper than \(YAMLPreScan.maximumDepth) levels; flatten it.", at: location)
        }
    }

    private mutating func limit(_ message: String, at location: SourceLocation) {
        if self.problem == nil { self.problem = Diagnostic(.error, .limitExceeded, message, at: location) }
    }

    /// Keys are the same when their text and tag are: `a` and `"a"` are, `1` and `!!int 1` are not.
    private static func checkDuplicates(_ keys: [(text: String, tag: String, line: Int, column: Int)]) throws(Failure) {
        guard keys.count > 1 else { return }
        // The first occurrence of every key that comes again, in order.
        var firsts: [Int] = []
        if keys.count <= 16 {
            // Most mappings are small: comparing pairs is cheaper than hashing every key.
            for index in 1..<keys.count {
                let key = keys[index]
                if let first = keys[..<index].firstIndex(where: { $0.text == key.text && $0.tag == key.tag }),
                    !firsts.contains(first)
                {
                    firsts.append(first)
                }
            }
        } else {
            var seen: [String: [String: Int]] = [:]
            var reported: Set<Int> = []
            for (offset, key) in keys.enumerated() {
                if let first = seen[key.text]?[key.tag] {
                    if reported.insert(first).inserted { firsts.append(first) }
                } else {
                    seen[key.text, default: [:]][key.tag] = offset
                }
            }
        }
        let duplicated = firsts.map { (text: keys[$0].text, line: keys[$0].line, column: keys[$0].column) }
        guard !duplicated.isEmpty else { return }
        let sorted = duplicated.sorted { $0.text < $1.text }
        throw .duplicateKeys(sorted.map(\.text), line: sorted[0].line, column: sorted[0].column)
    }

    private mutating func next() throws(Failure) -> Event {
        var raw = yaml_event_t()
        guard yaml_parser_parse(self.parser, &raw) == 1 else { throw self.failure() }
        defer { yaml_event_delete(&raw) }
        let line = Int(raw.start_mark.line) + 1
        let column = Int(raw.start_mark.column) + 1
        func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: $0) }
        }
        switch raw.type {
        case YAML_STREAM_END_EVENT: return Event(kind: .streamEnd, line: line, column: column)
        case YAML_DOCUMENT_START_EVENT: return Event(kind: .documentStart, line: line, column: column)
        case YAML_DOCUMENT_END_EVENT: return Event(kind: .documentEnd, line: line, column: column)
        case YAML_ALIAS_EVENT:
            return Event(kind: .alias(anchor: text(raw.data.alias.anchor) ?? ""), line: line, column: column)
        case YAML_SCALAR_EVENT:
            let scalar = raw.data.scalar
            // libyaml hands out validated UTF-8, NUL bytes included.
            let value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            let style = scalar.style
            let explicitTag = scalar.quoted_implicit == 1 ? nil : text(scalar.tag)
            let tag = explicitTag.flatMap { $0 == "!" ? nil : $0 } ?? Self.stringTag
            return Event(
                kind: .scalar(
                    value, isPlain: style == YAML_PLAIN_SCALAR_STYLE || style == YAML_ANY_SCALAR_STYLE, tag: tag),
                anchor: text(scalar.anchor), line: line, column: column)
        case YAML_SEQUENCE_START_EVENT:
            return Event(
                kind: .sequenceStart, anchor: text(raw.data.sequence_start.anchor), line: line, column: column)
        case YAML_SEQUENCE_END_EVENT: return Event(kind: .sequenceEnd, line: line, column: column)
        case YAML_MAPPING_START_EVENT:
            return Event(kind: .mappingStart, anchor: text(raw.data.mapping_start.anchor), line: line, column: column)
        case YAML_MAPPING_END_EVENT: return Event(kind: .mappingEnd, line: line, column: column)
        default: return Event(kind: .other, line: line, column: column)
        }
    }

    /// The parser's error, as libyaml reports it.
    private func failure() -> Failure {
        let parser = self.parser.pointee
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
        switch parser.error {
        case YAML_MEMORY_ERROR:
            return .memory
        case YAML_READER_ERROR:
            return .reader(problem: problem, utf8Offset: Int(parser.problem_offset))
        default:
            let context = parser.context.map { (text: String(cString: $0), line: Int(parser.context_mark.line) + 1) }
            return .syntax(
                problem: problem, context: context, line: Int(parser.problem_mark.line) + 1,
                column: Int(parser.problem_mark.column) + 1)
        }
    }
}
