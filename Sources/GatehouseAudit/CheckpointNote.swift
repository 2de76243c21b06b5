import Foundation
import GatehouseCore

/// The signed-note layer under ``Checkpoint``: splitting text from signatures, and the body's lines.
enum CheckpointNote {
    /// One signature line: signer name, key id, signature bytes.
    struct Signature {
        var name: String
        var keyID: UInt32
        var signature: [UInt8]
    }

    /// Notes are small; anything larger is not a checkpoint.
    static let maximumLength = 64 * 1024
    /// The signature line prefix: U+2014 EM DASH and a space.
    static let dash = "\u{2014} "

    static func signatureLine(name: String, keyID: UInt32, signature: [UInt8]) -> String {
        let keyIDBytes = (0..<4).map { UInt8(truncatingIfNeeded: keyID >> (24 - 8 * $0)) }
        return "\(Self.dash)\(name) \(Data(keyIDBytes + signature).base64EncodedString())\n"
    }

    static func hex(_ keyID: UInt32) -> String {
        let text = String(keyID, radix: 16)
        return String(repeating: "0", count: 8 - text.count) + text
    }

    private static func malformed(_ what: String) -> AuditError {
        AuditError(
            .checkpointMalformed,
            "The checkpoint is not a signed tlog-checkpoint note: \(what). Use the note exactly as the store or "
                + "'gatehouse audit prove' printed it.")
    }

    /// The note's text (ending in a newline) and its signature lines.
    static func split(_ note: String) throws(AuditError) -> (body: String, signatures: [Signature]) {
        guard note.utf8.count <= Self.maximumLength else { throw Self.malformed("it is longer than 64 KiB") }
        guard note.hasSuffix("\n") else { throw Self.malformed("it does not end in a newline") }
        guard let separator = note.range(of: "\n\n", options: .backwards) else {
            throw Self.malformed("there is no blank line before the signatures")
        }
        let body = String(note[..<separator.lowerBound]) + "\n"
        var signatures: [Signature] = []
        for line in note[separator.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            signatures.append(try Self.signature(String(line)))
        }
        guard !signatures.isEmpty else { throw Self.malformed("it has no signature line") }
        return (body, signatures)
    }

    private static func signature(_ line: String) throws(AuditError) -> Signature {
        guard line.hasPrefix(Self.dash) else { throw Self.malformed("a signature line does not start with '— '") }
        let fields = line.dropFirst(Self.dash.count).split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 2, !fields[0].isEmpty, let bytes = Data(base64Encoded: String(fields[1])), bytes.count > 4
        else { throw Self.malformed("the signature line '\(line.prefix(100))' is not '— <name> <base64>'") }
        let keyID = bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return Signature(name: String(fields[0]), keyID: keyID, signature: Array(bytes.dropFirst(4)))
    }

    /// The body's five lines: origin, size, root, `time …`, `instance …`.
    static func parseBody(_ body: String) throws(AuditError) -> Checkpoint {
        guard body.hasSuffix("\n") else { throw Self.malformed("its body does not end in a newline") }
        let lines = body.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count == 5 else {
            throw Self.malformed("its body has \(lines.count) lines, not 5 (origin, size, root, time, instance)")
        }
        guard !lines[0].isEmpty else { throw Self.malformed("the origin line is empty") }
        guard let size = UInt64(lines[1]), String(size) == lines[1] else {
            throw Self.malformed("the size line '\(lines[1].prefix(40))' is not a decimal number")
        }
        guard let root = MerkleHash(base64: lines[2]), root.base64 == lines[2] else {
            throw Self.malformed("the root line '\(lines[2].prefix(60))' is not a base64 SHA-256 hash")
        }
        guard lines[3].hasPrefix("time "), let time = AuditLeafTime.parse(lines[3].utf8.dropFirst(5)) else {
            throw Self.malformed("the fourth line '\(lines[3].prefix(60))' is not 'time <UTC time>'")
        }
        guard lines[4].hasPrefix("instance "), lines[4].count > 9 else {
            throw Self.malformed("the fifth line '\(lines[4].prefix(60))' is not 'instance <id>'")
        }
        return Checkpoint(
            origin: lines[0], size: size, root: root, time: time, instance: String(lines[4].dropFirst(9)))
    }
}
