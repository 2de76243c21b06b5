import GatehouseCore

/// The AuthZEN bodies' JSON: Core's strict reader (``JSONReader``) with AuthZEN's limits, and a
/// compact writer (``write(_:into:)``).
///
/// Foundation's `JSONDecoder` cost about 100,000 instructions for a single evaluation (and ~200,000
/// an item of a batch, trying each kind of value in turn through thrown errors), more than the
/// cached decision itself; the reader takes one pass over the bytes and the writer appends
/// straight into the response buffer. The reader refuses what RFC 8259 refuses and nesting deeper
/// than ``maxDepth`` (a hostile body cannot exhaust the stack); a duplicate member name keeps the
/// last value, as `JSONSerialization` does.
///
/// ```swift
/// let value = try AuthZENJSON.value(from: Array(#"{"decision": true}"#.utf8))
/// var buffer = ByteBuffer()
/// AuthZENJSON.write(value, into: &buffer)   // {"decision":true}
/// ```
package enum AuthZENJSON {
    /// The deepest nesting of arrays and objects the reader accepts (`JSONDecoder`'s limit).
    package static let maxDepth = 512

    private static let options = JSONReader.Options(maximumDepth: maxDepth)

    /// Reads one JSON value that makes up the whole of `bytes` (whitespace around it allowed).
    ///
    /// - Parameter bytes: UTF-8 JSON text.
    /// - Returns: The value.
    /// - Throws: ``AuthZENJSONError`` naming the byte offset and what was expected there.
    package static func value(from bytes: UnsafeRawBufferPointer) throws(AuthZENJSONError) -> AuthZENValue {
        do throws(JSONSyntaxError) {
            return try JSONReader.value(from: bytes, options: Self.options)
        } catch {
            throw AuthZENJSONError(error.message)
        }
    }

    /// Reads one JSON value that makes up the whole of `bytes`; see ``value(from:)-(UnsafeRawBufferPointer)``.
    package static func value(from bytes: [UInt8]) throws(AuthZENJSONError) -> AuthZENValue {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(AuthZENJSONError) -> AuthZENValue in try Self.value(from: raw) }
        }
        return try result.get()
    }
}

/// JSON that is not well-formed, or well-formed JSON of the wrong shape for an AuthZEN body.
package struct AuthZENJSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, where, and what was expected (a sentence without the final period).
    package var message: String

    package init(_ message: String) { self.message = message }

    package var description: String { self.message }
}
