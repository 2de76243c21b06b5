/// A position in a policy file, 1-based.
package struct SourceLocation: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The file path as given to the compiler.
    package var file: String
    /// The line, from 1.
    package var line: Int
    /// The column in Unicode scalars, from 1.
    package var column: Int

    package init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    package static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }

    package var description: String { "\(self.file):\(self.line):\(self.column)" }
}
