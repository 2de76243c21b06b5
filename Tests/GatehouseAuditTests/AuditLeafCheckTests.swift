import Foundation
import GatehouseAudit
import GatehouseCore
import Testing

/// The verifier's one-pass canonical check, held to the full decode it stands in for.
@Suite("Audit leaf check: a fast yes only where decode says yes", .bug(id: "13"))
struct AuditLeafCheckTests {
    private static func place(_ body: [UInt8]) -> AuditLeafCheck.Place? {
        body.withUnsafeBufferPointer { AuditLeafCheck.place(of: $0) }
    }

    private static func place(_ text: String) -> AuditLeafCheck.Place? { Self.place(Array(text.utf8)) }

    private static let samples: [AuditRecord] =
        AuditRecordSamples.all + [AuditRecordSamples.decision(7), AuditWriterFixture.decision(3, subject: "bob")]

    private static func bodies() -> [[UInt8]] {
        Self.samples.enumerated().map { index, record in
            AuditLeaf.encode(record, instance: "gh-1", sequence: UInt64(index * 1_000_003))
        }
    }

    @Test("Every kind, fully populated and minimal, is proven with its seq and instance")
    func everyKind() throws {
        for (index, body) in Self.bodies().enumerated() {
            let place = try #require(Self.place(body), "\(String(decoding: body, as: UTF8.self))")
            #expect(place.sequence == UInt64(index * 1_000_003))
            #expect(Array(body[place.instance]) == Array("gh-1".utf8))
        }
    }

    @Test("Every cache outcome and HTTP status bound is proven")
    func values() throws {
        for cache in [CacheUse.hit, .miss, .coalesced, .bypass] {
            var entry = AuditRecordSamples.minimalDecision
            entry.cache = cache
            entry.status = 65_535
            let record = AuditRecord(id: "c", time: AuditRecordSamples.time, entry: .decision(entry))
            #expect(Self.place(AuditLeaf.encode(record, instance: "i", sequence: .max))?.sequence == .max)
        }
    }

    /// Single-byte edits, insertions, deletions and swaps of every sample: whatever the check
    /// proves, decode must accept with the same seq and instance.
    @Test("No mutation is proven that decode refuses")
    func mutations() throws {
        let replacements: [UInt8] =
            [
                0x20, 0x0A, 0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xED, 0xF4, 0xFF,
            ] + Array("0189\"\\/aefuAZ{}[],:-T.".utf8)
        var proven = 0
        var tried = 0
        for body in Self.bodies() {
            var variants: [[UInt8]] = []
            for offset in body.indices {
                var deleted = body
                deleted.remove(at: offset)
                variants.append(deleted)
                for byte in replacements where byte != body[offset] {
                    var replaced = body
                    replaced[offset] = byte
                    variants.append(replaced)
                    var inserted = body
                    inserted.insert(byte, at: offset)
                    variants.append(inserted)
                }
                if offset + 1 < body.count {
                    var swapped = body
                    swapped.swapAt(offset, offset + 1)
                    variants.append(swapped)
                }
            }
            for variant in variants {
                tried += 1
                guard let place = Self.place(variant) else { continue }
                proven += 1
                let decoded = try AuditLeaf.decode(variant)
                #expect(decoded.sequence == place.sequence)
                #expect(Array(decoded.instance.utf8) == Array(variant[place.instance]))
            }
        }
        // Digit edits in numbers and ids stay canonical: the check must still say yes to those.
        #expect(proven > 1_000, "\(proven) of \(tried) proven")
    }

    @Test(
        "Non-canonical forms are not proven",
        arguments: [
            ("{\"v\":1}", "another key order"),
            (" ", "leading whitespace"),
            ("\n", "a trailing newline"),
            ("\"host\":\"h\"", "a space after a colon"),
            ("\\u000a", "an upper-case or named escape"),
            ("\\/", "an escaped slash"),
            ("\"latency_us\":07", "a leading zero"),
            ("\"claims\":{}", "an empty map"),
            ("\"shadow_rules\":[]", "an empty list"),
            ("\"v\":2", "another version"),
            ("2026-02-30T", "a day that does not exist"),
            ("\"status\":70000", "a status above 16 bits"),
            ("\"zzz\":\"x\"", "an unknown key"),
            ("no policy_revision", "a missing required key"),
        ])
    func nonCanonical(edit: String, what: String) throws {
        let body = String(
            decoding: AuditLeaf.encode(AuditRecordSamples.all[1], instance: "gh-1", sequence: 5), as: UTF8.self)
        #expect(Self.place(body) != nil)
        let edited: String
        switch edit {
        case "{\"v\":1}": edited = body.replacingFirst("\"v\":1,", with: "").replacingFirst("{", with: "{\"v\":1,")
        case " ": edited = " " + body
        case "\n": edited = body + "\n"
        case "\"host\":\"h\"": edited = body.replacingFirst("\"host\":\"h\"", with: "\"host\": \"h\"")
        case "\\u000a": edited = body.replacingFirst("\"host\":\"h\"", with: "\"host\":\"h\\u000A\\n\"")
        case "\\/": edited = body.replacingFirst("\"path\":\"/\"", with: "\"path\":\"\\/\"")
        case "\"latency_us\":07": edited = body.replacingFirst("\"latency_us\":0", with: "\"latency_us\":07")
        case "\"claims\":{}": edited = body.replacingFirst("\"decision\"", with: "\"claims\":{},\"decision\"")
        case "\"shadow_rules\":[]": edited = body.replacingFirst("\"status\"", with: "\"shadow_rules\":[],\"status\"")
        case "\"v\":2": edited = body.replacingFirst("\"v\":1", with: "\"v\":2")
        case "2026-02-30T": edited = body.replacingFirst("1970-01-01T", with: "1970-02-30T")
        case "\"status\":70000": edited = body.replacingFirst("\"status\":200", with: "\"status\":70000")
        case "\"zzz\":\"x\"": edited = body.replacingFirst("}", with: ",\"zzz\":\"x\"}")
        default: edited = body.replacingFirst("\"policy_revision\":\"r1\",", with: "")
        }
        #expect(edited != body, "the edit '\(what)' did not apply")
        #expect(Self.place(edited) == nil, "\(what): \(edited)")
        #expect(throws: AuditError.self) { try AuditLeaf.decode(Array(edited.utf8)) }
    }

    @Test("A claim name beyond ASCII is left to decode, which accepts it")
    func unicodeClaimName() throws {
        var entry = AuditRecordSamples.minimalDecision
        entry.caller.claims = ["é": "1", "e": "2"]
        let body = AuditLeaf.encode(
            AuditRecord(id: "u", time: AuditRecordSamples.time, entry: .decision(entry)), instance: "gh-1", sequence: 1)
        #expect(Self.place(body) == nil)
        #expect(try AuditLeaf.decode(body).sequence == 1)
    }
}

extension String {
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = self.range(of: target) else { return self }
        return self.replacingCharacters(in: range, with: replacement)
    }
}
