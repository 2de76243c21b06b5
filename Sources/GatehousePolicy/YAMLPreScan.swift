import GatehouseCore

/// A lexical pass over a YAML file before it reaches the YAML parser.
///
/// The parser builds its node tree recursively and expands aliases by value, so a file of a
/// few kilobytes could exhaust the stack (`[[[[…`, `- - - - …`) or expand exponentially
/// (nested aliases). This pass estimates nesting depth from indentation, compact `- ` runs
/// and flow brackets, and finds alias uses, without building anything. It errs on the safe
/// side: an estimate over the limit is reported, with its line and column.
enum YAMLPreScan {
    /// The deepest nesting accepted.
    static let maximumDepth = 32

    static func check(_ source: PolicySource) -> Diagnostic? {
        var scanner = Scanner(path: source.path)
        // Every YAML line break (LF, CR, CRLF, and libyaml's NEL, LS, PS) ends a line, as it does for the parser.
        let lines = source.text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (offset, line) in lines.enumerated() {
            if let diagnostic = scanner.scan(line: Array(line.utf8), number: offset + 1) { return diagnostic }
        }
        return nil
    }

    private struct Scanner {
        let path: String
        var indents: [Int] = []
        var flowDepth = 0
        var quote: UInt8? = nil
        var blockScalarParentIndent: Int? = nil

        init(path: String) { self.path = path }

        mutating func scan(line: [UInt8], number: Int) -> Diagnostic? {
            let indent = line.prefix { $0 == 32 }.count
            let isBlank = line.allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 } || line.dropFirst(indent).first == 35
            if let parent = self.blockScalarParentIndent {
                if isBlank || indent > parent { return nil }
                self.blockScalarParentIndent = nil
            }
            if isBlank && self.quote == nil { return nil }
            if self.quote == nil && self.flowDepth == 0 {
                while let last = self.indents.last, last > indent { self.indents.removeLast() }
                if self.indents.last.map({ $0 < indent }) ?? true { self.indents.append(indent) }
            }
            var compact = 0
            var index = self.quote == nil ? indent : 0
            var atNodeStart = self.quote == nil
            while index < line.count {
                let byte = line[index]
                if let quote = self.quote {
                    if byte == quote {
                        if quote == 39, index + 1 < line.count, line[index + 1] == 39 {
                            index += 2
                            continue
                        }
                        self.quote = nil
                    } else if byte == 92, quote == 34 {
                        index += 1
                    }
                    index += 1
                    continue
                }
                let next = index + 1 < line.count ? line[index + 1] : 32
                let depth = self.indents.count + compact + self.flowDepth
                if depth > YAMLPreScan.maximumDepth {
                    return self.tooDeep(depth, line: number, column: Self.column(line, index))
                }
                switch byte {
                case 32, 9, 13:
                    index += 1
                    continue
                case 35 where atNodeStart || (index > 0 && (line[index - 1] == 32 || line[index - 1] == 9)):
                    return nil  // a comment runs to the end of the line
                case 42 where atNodeStart:  // '*' where a node starts: an alias
                    return Diagnostic(
                        .error, .limitExceeded,
                        "YAML aliases are not accepted in policies, because they can expand a small file into a huge one; write the value out.",
                        at: SourceLocation(file: self.path, line: number, column: Self.column(line, index)))
                case 91, 123:  // '[' '{'
                    if atNodeStart || self.flowDepth > 0 {
                        self.flowDepth += 1
                        atNodeStart = true
                    }
                case 93, 125:  // ']' '}'
                    if self.flowDepth > 0 { self.flowDepth -= 1 }
                    atNodeStart = false
                case 44 where self.flowDepth > 0:  // ','
                    atNodeStart = true
                case 39, 34:  // quotes
                    if atNodeStart { self.quote = byte }
                    atNodeStart = false
                case 45, 63, 58:  // '- ' '? ' ': ' (only when followed by a space or the line's end)
                    // Inside a flow collection a ':' is an indicator even when glued to its value (`{"a":*x}`).
                    let isIndicator =
                        next == 32 || next == 9 || index + 1 == line.count || (byte == 58 && self.flowDepth > 0)
                    if isIndicator, byte != 58, self.flowDepth == 0, atNodeStart { compact += 1 }
                    atNodeStart = isIndicator
                case 124, 62:  // '|' '>' start a block scalar when they open a node
                    if atNodeStart, self.flowDepth == 0 {
                        self.blockScalarParentIndent = indent
                        return nil
                    }
                    atNodeStart = false
                default:
                    atNodeStart = false
                }
                index += 1
            }
            return nil
        }

        /// The 1-based column in Unicode scalars, as the parser counts it, of the byte at `index`.
        private static func column(_ line: [UInt8], _ index: Int) -> Int {
            line[..<index].filter { $0 & 0xC0 != 0x80 }.count + 1
        }

        private func tooDeep(_ depth: Int, line: Int, column: Int) -> Diagnostic {
            Diagnostic(
                .error, .limitExceeded,
                "The document nests deeper than \(YAMLPreScan.maximumDepth) levels; flatten it.",
                at: SourceLocation(file: self.path, line: line, column: column))
        }
    }
}
