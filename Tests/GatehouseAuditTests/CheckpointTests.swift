import Foundation
import GatehouseAudit
import GatehouseCore
import Testing

@Suite(.bug(id: "13")) struct CheckpointTests {
    // A valid 32-byte seed and name: cannot throw.
    static let key = try! AuditSigningKey(name: "gh.example/audit/gh-1", seed: [UInt8](repeating: 9, count: 32))
    static let checkpoint = Checkpoint(
        origin: "gh.example/audit/gh-1", size: 1_048_576, root: Merkle.leafHash([1]),
        time: UnixTime(seconds: 1_796_517_312, nanoseconds: 5), instance: "gh-1")

    @Test("The note is the tlog-checkpoint body, a blank line and one signature line; it opens to the same checkpoint")
    func layout() throws {
        let note = Self.checkpoint.signed(by: Self.key)
        let lines = note.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 8)
        #expect(lines[0] == "gh.example/audit/gh-1")
        #expect(lines[1] == "1048576")
        #expect(lines[2] == Substring(Merkle.leafHash([1]).base64))
        #expect(lines[3] == "time 2026-12-06T00:35:12.000000005Z")
        #expect(lines[4] == "instance gh-1")
        #expect(lines[5] == "")
        #expect(lines[6].hasPrefix("\u{2014} gh.example/audit/gh-1 "))
        #expect(lines[7] == "")
        let signature = try #require(Data(base64Encoded: String(lines[6].split(separator: " ")[2])))
        #expect(signature.count == 68)
        #expect(signature.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } == Self.key.verifierKey.keyID)
        #expect(try Checkpoint.open(note, verifier: Self.key.verifierKey) == Self.checkpoint)
        #expect(try Checkpoint(body: Self.checkpoint.body) == Self.checkpoint)
    }

    @Test("A witness's extra signature line is ignored; ours must still verify")
    func cosigned() throws {
        let witness = try AuditSigningKey.generate(name: "witness.example")
        let note = Self.checkpoint.signed(by: Self.key)
        let extra = String(
            Checkpoint(
                origin: "witness.example", size: 0, root: Merkle.emptyRoot, time: UnixTime(seconds: 0), instance: "w"
            ).signed(by: witness).split(separator: "\n").last!)  // a signature line, in the same format
        #expect(try Checkpoint.open(note + extra + "\n", verifier: Self.key.verifierKey) == Self.checkpoint)
    }

    @Test("Refused: another key, another name, a changed body, a changed signature, an origin not the signer's")
    func refusesForgeries() throws {
        let note = Self.checkpoint.signed(by: Self.key)
        let otherKey = try AuditSigningKey.generate(name: Self.key.name)
        var error = #expect(throws: AuditError.self) { try Checkpoint.open(note, verifier: otherKey.verifierKey) }
        #expect(error?.code == .checkpointUnknownSigner)
        // Signed by another key under the right name: the key id differs, so it is not "ours".
        error = #expect(throws: AuditError.self) {
            try Checkpoint.open(Self.checkpoint.signed(by: otherKey), verifier: Self.key.verifierKey)
        }
        #expect(error?.code == .checkpointUnknownSigner)
        // A changed size, root or time.
        for (old, new) in [("1048576", "1048575"), ("time 2026", "time 2027"), ("instance gh-1", "instance gh-2")] {
            let altered = note.replacingOccurrences(of: old, with: new)
            error = #expect(throws: AuditError.self) { try Checkpoint.open(altered, verifier: Self.key.verifierKey) }
            #expect(error?.code == .checkpointSignatureInvalid, "\(old)")
        }
        // Every single-bit change of the signature bytes.
        let lines = note.split(separator: "\n").map(String.init)
        let signatureField = try #require(lines.last?.split(separator: " ").last)
        let signatureBytes = try #require(Data(base64Encoded: String(signatureField)))
        for bit in 32..<(signatureBytes.count * 8) {
            var flipped = Array(signatureBytes)
            flipped[bit / 8] ^= 1 << (bit % 8)
            let forged = note.replacingOccurrences(
                of: String(signatureField), with: Data(flipped).base64EncodedString())
            #expect(throws: AuditError.self) { try Checkpoint.open(forged, verifier: Self.key.verifierKey) }
        }
        // A correctly signed checkpoint whose origin is some other log.
        var foreign = Self.checkpoint
        foreign.origin = "elsewhere"
        error = #expect(throws: AuditError.self) {
            try Checkpoint.open(foreign.signed(by: Self.key), verifier: Self.key.verifierKey)
        }
        #expect(error?.code == .checkpointUnknownSigner)
    }

    @Test("Malformed notes and bodies are refused, naming the line")
    func refusesMalformed() throws {
        let note = Self.checkpoint.signed(by: Self.key)
        let root = Merkle.leafHash([1]).base64
        let cases: [(String, String)] = [
            (String(note.dropLast()), "newline"),
            (note.replacingOccurrences(of: "\n\n", with: "\n"), "blank line"),
            (note.replacingOccurrences(of: "\u{2014} ", with: "- "), "signature line"),
            (note.replacingOccurrences(of: "1048576", with: "01048576"), "size line"),
            (note.replacingOccurrences(of: "1048576", with: "-1"), "size line"),
            (note.replacingOccurrences(of: root, with: String(root.dropLast(4))), "root line"),
            (note.replacingOccurrences(of: "time ", with: "when "), "fourth line"),
            (note.replacingOccurrences(of: "instance gh-1\n", with: "instance gh-1\nextra\n"), "6 lines"),
            (note.replacingOccurrences(of: "gh.example/audit/gh-1\n1048576", with: "\n1048576"), "origin line"),
            (String(repeating: "x", count: 70_000) + "\n", "64 KiB"),
        ]
        for (text, mentions) in cases {
            let error = #expect(throws: AuditError.self) { try Checkpoint.open(text, verifier: Self.key.verifierKey) }
            #expect(
                error?.code == .checkpointMalformed || error?.code == .checkpointUnknownSigner,
                "\(mentions): \(String(describing: error))")
            if error?.code == .checkpointMalformed {
                #expect(
                    error?.message.contains(mentions) == true, "\(String(describing: error)) should say \(mentions)")
            }
        }
    }
}
