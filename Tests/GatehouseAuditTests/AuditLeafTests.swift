import Foundation
import GatehouseAudit
import GatehouseCore
import Testing

@Suite(.bug(id: "13")) struct AuditLeafTests {
    @Test(
        "Every kind, full and minimal, decodes back to the record, instance and sequence",
        arguments: AuditRecordSamples.all)
    func roundTrip(record: AuditRecord) throws {
        let bytes = AuditLeaf.encode(record, instance: "gh-1", sequence: 41)
        let stored = try AuditLeaf.decode(bytes)
        #expect(stored == StoredRecord(instance: "gh-1", sequence: 41, record: record))
    }

    @Test(
        "Every object's keys are in byte order, unique, and the body is one line of valid JSON",
        arguments: AuditRecordSamples.all)
    func keysSorted(record: AuditRecord) throws {
        let bytes = AuditLeaf.encode(record, instance: "gh-1", sequence: UInt64.max)
        for keys in KeyScanner.objectKeys(bytes) {
            #expect(keys == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            #expect(Set(keys).count == keys.count)
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["kind"] as? String == record.kind)
        #expect(object["seq"] as? UInt64 == UInt64.max)
        #expect(!bytes.contains(0x0A))
    }

    @Test("Golden bytes: a minimal decision")
    func goldenMinimal() {
        let record = AuditRecordSamples.all[1]
        let text = String(decoding: AuditLeaf.encode(record, instance: "gh-1", sequence: 0), as: UTF8.self)
        #expect(
            text
                == #"{"cache":"bypass","decision":"allow","host":"h","id":"d2","instance":"gh-1","kind":"decision","#
                + #""latency_us":0,"method":"GET","path":"/","policy_revision":"r1","reason":"allowed","seq":0,"#
                + #""status":200,"time":"1970-01-01T00:00:00.000000000Z","v":1}"#)
    }

    @Test("Golden bytes: a full decision, escapes, claims in byte order, list order kept")
    func goldenFull() {
        let record = AuditRecordSamples.all[0]
        let text = String(decoding: AuditLeaf.encode(record, instance: "gh-1", sequence: 7), as: UTF8.self)
        let expected =
            #"{"cache":"miss","claims":{"Zed":"1","azp":"\"portal\"","realm_access.roles":"[\"clerk\"]"},"#
            + #""decision":"deny","host":"civil-registry.gov.example","id":"0123456789abcdef0123456789abcdef","#
            + #""instance":"gh-1","issuer":"https://idp.gov.example","kind":"decision","latency_us":87,"#
            + #""method":"GET","path":"/births/1987-0042?x=***","policy":"civil-registry","policy_revision":"r42","#
            + #""reason":"rule_denied","reason_detail":"jwt_expired","request_id":"req-1","rule":"clerks-read","#
            + #""seq":7,"shadow_rules":["audit-all:deny","x:allow"],"source_address":"10.0.0.7","#
            + #""spiffe_id":"spiffe://gov.example/ns/a/sa/b","status":403,"#
            + #""subject":"alice \"the\" clerk\\\u000a\u0001é☃","time":"2026-12-06T00:35:12.123456789Z","#
            + #""trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","v":1,"xroad_client":"EE/GOV/70000001/sub"}"#
        #expect(text == expected)
    }

    @Test("Golden bytes: a gap")
    func goldenGap() {
        let record = AuditRecordSamples.all[6]
        let text = String(decoding: AuditLeaf.encode(record, instance: "i", sequence: 3), as: UTF8.self)
        #expect(
            text
                == #"{"cause":"queue_full","count":17,"from":"2026-12-06T00:35:00.000000005Z","id":"g1","#
                + #""instance":"i","kind":"gap","seq":3,"time":"2026-12-06T00:35:12.123456789Z","#
                + #""to":"2026-12-06T00:35:11.999999999Z","v":1}"#)
    }

    @Test("Every escaped byte at every position of strings up to 3 words long, and multi-byte UTF-8 beside it")
    func escapesAtEveryPosition() throws {
        // The writer tests eight bytes at a time: an escape must be found wherever it falls in a
        // word, at a word's edges, in a short tail and after a multi-byte character.
        let specials: [(Character, String)] = [
            ("\"", #"\""#), ("\\", #"\\"#), ("\u{0}", #"\u0000"#), ("\u{1F}", #"\u001f"#), ("\n", #"\u000a"#),
        ]
        for length in 1...24 {
            for position in 0..<length {
                for (special, escaped) in specials {
                    var plain = Array(repeating: Character("a"), count: length)
                    var expected = Array(repeating: "a", count: length)
                    plain[position] = special
                    expected[position] = escaped
                    if position > 0 {
                        plain[position - 1] = "é"
                        expected[position - 1] = "é"
                    }
                    let subject = String(plain)
                    var entry = AuditRecordSamples.minimalDecision
                    entry.caller = AuditedCaller(subject: subject)
                    let record = AuditRecord(id: "d", time: UnixTime(seconds: 0), entry: .decision(entry))
                    let bytes = AuditLeaf.encode(record, instance: "i", sequence: 0)
                    let text = String(decoding: bytes, as: UTF8.self)
                    #expect(text.contains(#""subject":""# + expected.joined() + #"","#), "\(length) \(position)")
                    #expect(try AuditLeaf.decode(bytes).record == record)
                }
            }
        }
    }

    @Test("Bodies that are records in another encoding are refused as not canonical")
    func refusesNonCanonical() throws {
        let canonical = String(
            decoding: AuditLeaf.encode(AuditRecordSamples.all[1], instance: "gh-1", sequence: 0), as: UTF8.self)
        var variants: [String] = [
            canonical.replacingOccurrences(of: #""seq":0"#, with: #""seq":00"#),
            canonical.replacingOccurrences(of: #","v":1}"#, with: #","v":1 }"#),
            canonical.replacingOccurrences(of: #"{"cache":"bypass","#, with: #"{"decision":"allow","cache":"bypass","#)
                .replacingOccurrences(of: #","decision":"allow","host""#, with: #","host""#),
            canonical.replacingOccurrences(of: #""seq":0,"#, with: #""seq":0,"shadow_rules":[],"#),
            canonical.replacingOccurrences(of: #""cache":"bypass","#, with: #""cache":"bypass","claims":{},"#),
            canonical.replacingOccurrences(of: #""host":"h""#, with: #""host":"\u0068""#),
            canonical.replacingOccurrences(
                of: "1970-01-01T00:00:00.000000000Z", with: "1970-01-01T00:00:00.000000000Z "),
        ]
        variants.append(canonical + "\n")
        for variant in variants {
            #expect(variant != canonical)
            let error = #expect(throws: AuditError.self) { try AuditLeaf.decode(Array(variant.utf8)) }
            #expect(
                error?.code == .recordNotCanonical || error?.code == .recordMalformed,
                "\(variant): \(String(describing: error))")
        }
        // Those that parse as the same record must say "not canonical", not "malformed".
        for variant in variants.prefix(6) {
            let error = #expect(throws: AuditError.self) { try AuditLeaf.decode(Array(variant.utf8)) }
            #expect(error?.code == .recordNotCanonical, "\(variant)")
        }
        var escaped = AuditRecordSamples.all[0]
        escaped.id = "x\u{1F}y"
        let bytes = AuditLeaf.encode(escaped, instance: "i", sequence: 1)
        let upper = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: #"\u001f"#, with: #"\u001F"#)
        #expect(throws: AuditError.self) { try AuditLeaf.decode(Array(upper.utf8)) }
        #expect(try AuditLeaf.decode(bytes).record == escaped)
    }

    @Test("Bodies that are not records are refused as malformed, naming the field")
    func refusesMalformed() {
        let canonical = String(
            decoding: AuditLeaf.encode(AuditRecordSamples.all[1], instance: "gh-1", sequence: 0), as: UTF8.self)
        let cases: [(String, String)] = [
            (canonical.replacingOccurrences(of: #""v":1"#, with: #""v":2"#), "version"),
            (canonical.replacingOccurrences(of: #""kind":"decision""#, with: #""kind":"other""#), "kind"),
            (canonical.replacingOccurrences(of: #""host":"h","#, with: ""), "'host'"),
            (canonical.replacingOccurrences(of: #""host":"h","#, with: #""host":"h","hostname":"x","#), "'hostname'"),
            (canonical.replacingOccurrences(of: #""status":200"#, with: #""status":70000"#), "'status'"),
            (canonical.replacingOccurrences(of: #""status":200"#, with: #""status":"200""#), "'status'"),
            (canonical.replacingOccurrences(of: #""decision":"allow""#, with: #""decision":"maybe""#), "'decision'"),
            (canonical.replacingOccurrences(of: "1970-01-01T00", with: "1970-13-01T00"), "'time'"),
            (canonical.replacingOccurrences(of: #""host":"h""#, with: #""host":"h","host":"h""#), "twice"),
            (canonical.replacingOccurrences(of: #""latency_us":0"#, with: #""latency_us":0.5"#), "integer"),
            (canonical.replacingOccurrences(of: #""latency_us":0"#, with: #""latency_us":null"#), "value"),
            (canonical + "{}", "follow"),
            (String(canonical.dropLast()), "not closed"),
            ("[]", "object"),
            ("", "ends"),
        ]
        for (body, mentions) in cases {
            let error = #expect(throws: AuditError.self) { try AuditLeaf.decode(Array(body.utf8)) }
            #expect(error?.code == .recordMalformed, "\(body)")
            #expect(
                error?.message.contains(mentions) == true, "\(String(describing: error)) should mention \(mentions)")
        }
        var invalidUTF8 = Array(canonical.utf8)
        let hostValue = try! #require(invalidUTF8.firstRange(of: Array(#""host":"h""#.utf8)))  // the sample has it
        invalidUTF8[hostValue.upperBound - 2] = 0xFF
        #expect(throws: AuditError.self) { try AuditLeaf.decode(invalidUTF8) }
    }

    @Test("Times: fixed width, nanoseconds, leap days, before 1970, clamped to four-digit years")
    func times() {
        let cases: [(UnixTime, String)] = [
            (UnixTime(seconds: 0), "1970-01-01T00:00:00.000000000Z"),
            (UnixTime(seconds: 951_782_400, nanoseconds: 1), "2000-02-29T00:00:00.000000001Z"),
            (UnixTime(seconds: -1, nanoseconds: 999_999_999), "1969-12-31T23:59:59.999999999Z"),
            (UnixTime(seconds: 4_102_444_799), "2099-12-31T23:59:59.000000000Z"),
            (UnixTime(seconds: -62_167_219_200), "0000-01-01T00:00:00.000000000Z"),
            (UnixTime(seconds: 253_402_300_799, nanoseconds: 5), "9999-12-31T23:59:59.000000005Z"),
        ]
        for (time, text) in cases {
            #expect(AuditLeafTime.format(time) == text)
            #expect(AuditLeafTime.parse(text.utf8) == time)
        }
        #expect(AuditLeafTime.format(UnixTime(seconds: .min)) == "0000-01-01T00:00:00.000000000Z")
        #expect(AuditLeafTime.format(UnixTime(seconds: .max)) == "9999-12-31T23:59:59.999999999Z")
        for bad in [
            "2026-02-29T00:00:00.000000000Z", "2026-12-06T24:00:00.000000000Z", "2026-12-06T00:35:12.12345678Z",
            "2026-12-06 00:35:12.123456789Z", "2026-12-06T00:35:12.123456789+", "2026-1a-06T00:35:12.123456789Z",
        ] {
            #expect(AuditLeafTime.parse(bad.utf8) == nil, "\(bad)")
        }
        // Every second of a few years round-trips through the day arithmetic (a sample per 7 hours).
        var seconds: Int64 = -100_000_000
        while seconds < 5_000_000_000 {
            let time = UnixTime(seconds: seconds, nanoseconds: 42)
            #expect(AuditLeafTime.parse(AuditLeafTime.format(time).utf8) == time)
            seconds += 25_200 + 13
        }
    }
}

/// Collects the keys of every JSON object in a body, in the order written.
private enum KeyScanner {
    static func objectKeys(_ bytes: [UInt8]) -> [[String]] {
        var finished: [[String]] = []
        var stack: [(keys: [String], isObject: Bool)] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"): stack.append(([], true))
            case UInt8(ascii: "["): stack.append(([], false))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                let top = stack.removeLast()
                if top.isObject { finished.append(top.keys) }
            case UInt8(ascii: "\""):
                var end = index + 1
                var text: [UInt8] = []
                while bytes[end] != UInt8(ascii: "\"") {
                    if bytes[end] == UInt8(ascii: "\\") { end += 1 }
                    text.append(bytes[end])
                    end += 1
                }
                let isKey = end + 1 < bytes.count && bytes[end + 1] == UInt8(ascii: ":")
                if isKey, stack.last?.isObject == true {
                    stack[stack.count - 1].keys.append(String(decoding: text, as: UTF8.self))
                }
                index = end
            default: break
            }
            index += 1
        }
        return finished
    }
}
