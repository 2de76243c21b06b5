import Foundation

/// Where a query page ended: the last row's (time, instance, sequence number), carried by clients
/// as an opaque URL-safe token.
package struct AuditCursor: Sendable, Hashable, CustomStringConvertible {
    /// The last row's time.
    package var time: String
    /// The last row's instance.
    package var instance: String
    /// The last row's sequence number.
    package var seq: UInt64

    package init(time: String, instance: String, seq: UInt64) {
        self.time = time
        self.instance = instance
        self.seq = seq
    }

    /// Reads a token made by ``description``.
    ///
    /// - Throws: ``AuditError`` (`query_invalid`) for anything else.
    package init(token: String) throws {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { throw Self.invalid(token) }
        let parts = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "1", let seq = UInt64(parts[2]) else { throw Self.invalid(token) }
        self.init(time: String(parts[1]), instance: String(parts[3]), seq: seq)
    }

    /// The opaque token (base64url, no padding).
    package var description: String {
        Data("1\n\(self.time)\n\(self.seq)\n\(self.instance)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func invalid(_ token: String) -> AuditError {
        AuditError(
            .queryInvalid,
            "The cursor '\(token.prefix(80))' is not one this log gave out; pass the 'next' value of the previous "
                + "page unchanged, or start without a cursor."
        )
    }
}
