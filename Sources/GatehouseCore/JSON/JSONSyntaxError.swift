/// Text that ``JSONReader`` refuses: what is wrong, at which byte, and what was expected there.
///
/// The message quotes at most one byte of the input (as `\xNN` when it is not printable ASCII) or
/// a member name made printable the same way, so it is safe to log and to send back to a caller.
package struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of refusal, for callers that answer them differently (JOSE's duplicate members).
    package enum Kind: Sendable, Hashable {
        /// Anything RFC 8259 forbids, or nesting deeper than the caller allows.
        case malformed
        /// A member name appears twice in one object, with ``JSONReader/Options/DuplicateMembers/reject``.
        case duplicateMember
    }

    package var kind: Kind
    /// Where and what, as a sentence without the final period, e.g. `malformed JSON at byte 8: '}'
    /// where a member name in double quotes was expected`.
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { self.message }
}
