/// Byte-level string helpers.
///
/// Swift's `String ==` compares by Unicode canonical equivalence; an authorization decision
/// must compare the bytes the upstream will see, so matching goes through these helpers.
package enum ASCII {
    /// `text` with ASCII upper-case letters lowered; other bytes unchanged.
    package static func lowercased(_ text: some StringProtocol) -> String {
        guard text.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) else { return String(text) }
        return String(decoding: text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// Whether two strings hold the same bytes.
    @inline(__always)
    package static func equal(_ lhs: some StringProtocol, _ rhs: some StringProtocol) -> Bool {
        // Native strings are contiguous UTF-8: compare lengths, then the bytes in one pass.
        let contiguous: Bool?? = lhs.utf8.withContiguousStorageIfAvailable { left in
            rhs.utf8.withContiguousStorageIfAvailable { right in
                ByteTable.equal(UnsafeRawBufferPointer(left), UnsafeRawBufferPointer(right))
            }
        }
        if let result = contiguous ?? nil { return result }
        return lhs.utf8.elementsEqual(rhs.utf8)
    }

    /// Whether `text` starts with the bytes of `prefix`.
    @inline(__always)
    package static func hasPrefix(_ text: some StringProtocol, _ prefix: some StringProtocol) -> Bool {
        text.utf8.starts(with: prefix.utf8)
    }

    /// Whether `text` ends with the bytes of `suffix`.
    package static func hasSuffix(_ text: some StringProtocol, _ suffix: some StringProtocol) -> Bool {
        let textCount = text.utf8.count
        let suffixCount = suffix.utf8.count
        guard textCount >= suffixCount else { return false }
        return text.utf8.dropFirst(textCount - suffixCount).elementsEqual(suffix.utf8)
    }

    /// Whether `text` is an RFC 9110 token, as HTTP methods and header names must be.
    package static func isToken(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 > 32 && $0 < 127 && !"()<>@,;:\\\"/[]?={}".utf8.contains($0) }
    }
}
