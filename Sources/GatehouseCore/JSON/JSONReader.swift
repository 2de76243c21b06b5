/// Gatehouse's one JSON reader: strict RFC 8259, one pass over UTF-8 bytes into ``ClaimValue``.
///
/// Tokens and key sets (GatehouseIdentity), AuthZEN bodies (GatehouseAdmin), the claims a decision
/// record keeps (replay) and the PostgreSQL store's query columns all read JSON through it; what
/// differs between them is a ``JSONReader/Options`` value, not a copy of the grammar. It refuses
/// trailing commas, comments, leading zeros, unescaped control characters, invalid UTF-8, unpaired
/// surrogate escapes, text after the value and nesting deeper than ``Options/maximumDepth`` (so a
/// hostile text cannot exhaust the stack); every refusal names the byte offset and what was
/// expected there.
///
/// ```swift
/// let value = try JSONReader.value(from: Array(#"{"sub": "alice"}"#.utf8), options: .init(maximumDepth: 32))
/// // .object(["sub": .string("alice")])
/// ```
package enum JSONReader {
    /// What a caller accepts beyond the grammar every caller shares.
    package struct Options: Sendable {
        /// What a member name that appears twice in one object does.
        package enum DuplicateMembers: Sendable {
            /// The last value is kept, as `JSONSerialization` and PostgreSQL's jsonb do.
            case keepLast
            /// The text is refused (``JSONSyntaxError/Kind/duplicateMember``): JOSE's choice, since
            /// two parsers taking different members is a token-confusion attack (RFC 7515 §4).
            case reject
        }

        /// The deepest nesting of arrays and objects accepted (the outermost counts as 1).
        package var maximumDepth: Int
        /// What a repeated member name does.
        package var duplicateMembers: DuplicateMembers
        /// Whether a number too large for a `Double` reads as ±infinity instead of being refused.
        package var overflowsToInfinity: Bool

        package init(
            maximumDepth: Int, duplicateMembers: DuplicateMembers = .keepLast, overflowsToInfinity: Bool = false
        ) {
            self.maximumDepth = maximumDepth
            self.duplicateMembers = duplicateMembers
            self.overflowsToInfinity = overflowsToInfinity
        }
    }

    /// Reads the one JSON value that makes up the whole of `bytes` (whitespace around it allowed).
    ///
    /// - Throws: ``JSONSyntaxError`` naming the byte offset and what was expected there.
    package static func value(from bytes: UnsafeRawBufferPointer, options: Options) throws(JSONSyntaxError)
        -> ClaimValue
    {
        var reader = JSONByteReader(bytes: bytes, options: options)
        return try reader.document()
    }

    /// Reads the one JSON value that makes up the whole of `bytes`; see ``value(from:options:)-(UnsafeRawBufferPointer,_)``.
    package static func value(from bytes: [UInt8], options: Options) throws(JSONSyntaxError) -> ClaimValue {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONSyntaxError) -> ClaimValue in try Self.value(from: raw, options: options) }
        }
        return try result.get()
    }

    /// Decodes the contents of one JSON string (the bytes between its quotes) to UTF-8, with the
    /// same rules as a string inside ``value(from:options:)-(UnsafeRawBufferPointer,_)``: for readers
    /// that find a string's extent themselves and decode only the strings they need.
    ///
    /// - Throws: ``JSONSyntaxError`` with offsets counted from the first byte of `contents`.
    package static func stringContents(_ contents: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> String {
        var reader = JSONByteReader(bytes: contents, options: Options(maximumDepth: 0))
        return try reader.stringContents()
    }
}
