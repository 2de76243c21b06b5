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
        var text = source.text
        return text.withUTF8 { bytes in
            var scanner = Scanner(path: source.path)
            var number = 1
            var start = 0
            var index = 0
            while index < bytes.count {
                guard let width = Self.lineBreak(in: bytes, at: index) else {
                    index += 1
                    continue
                }
                let line = UnsafeBufferPointer(rebasing: bytes[start..<index])
                if let diagnostic = scanner.scan(line: line, number: number) { return diagnostic }
                number += 1
                index += width
                start = index
            }
            return scanner.scan(line: UnsafeBufferPointer(rebasing: bytes[start...]), number: number)
        }
    }

    /// The length in bytes of the line break at `index`, if one starts there.
    ///
    /// Every YAML line break (LF, CR, CRLF, and libyaml's NEL, LS, PS) ends a line, as it does for
    /// the parser; so do VT and FF, which `Character.isNewline` (what this pass split on before it
    /// worked on bytes) counts too. A break is always a grapheme of its own, so splitting the bytes
    /// gives the same lines as splitting the characters did.
    @inline(__always)
    private static func lineBreak(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        switch bytes[index] {
        case 0x0A, 0x0B, 0x0C: return 1
        case 0x0D: return index + 1 < bytes.count && bytes[index + 1] == 0x0A ? 2 : 1
        case 0xC2: return index + 1 < bytes.count && bytes[index + 1] == 0x85 ? 2 : nil
        case 0xE2:
            guard index + 2 < bytes.count, bytes[index + 1] == 0x80,
                bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9
            else { return nil }
            return 3
        default: return nil
        }
    }

    private struct Scanner {
        let path: String
        var indents: [Int] = []
        var flowDepth = 0
        var quote: UInt8? = nil
        var blockScalarParentIndent: Int? = nil

        init(path: String) { self.path = path }

        mutating func scan(line: UnsafeBufferPointer<UInt8>, number: Int) -> Diagnostic? {
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
        private static func column(_ line: UnsafeBufferPointer<UInt8>, _ index: Int) -> Int {
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
