import Foundation
import GatehouseAdmin
import GatehouseCore
import NIOCore
import Testing

@Suite("AuthZEN JSON: the strict reader, the body shapes and the writer", .bug(id: "16"))
struct AuthZENJSONTests {
    static func read(_ text: String) throws -> AuthZENValue {
        try AuthZENJSON.value(from: Array(text.utf8))
    }

    static func written(_ value: AuthZENValue) -> String {
        var buffer = ByteBuffer()
        AuthZENJSON.write(value, into: &buffer)
        return String(buffer: buffer)
    }

    @Test("Every kind of value reads as JSON says, whitespace anywhere between tokens")
    func kinds() throws {
        let value = try Self.read(
            " \t\r\n{\"s\": \"text\", \"n\": -12.5e1, \"z\": 0, \"i\": 42, \"t\": true, \"f\": false, \"0\": null,"
                + " \"a\": [1, [], {}, \"x\"], \"o\": {\"k\": {\"deep\": [null]}}} \n")
        #expect(
            value
                == .object([
                    "s": .string("text"), "n": .number(-125), "z": .number(0), "i": .number(42), "t": .bool(true),
                    "f": .bool(false), "0": .null,
                    "a": .array([.number(1), .array([]), .object([:]), .string("x")]),
                    "o": .object(["k": .object(["deep": .array([.null])])]),
                ]))
        #expect(try Self.read("\"\"") == .string(""))
        #expect(try Self.read("-0") == .number(0))
        #expect(try Self.read("1E+2") == .number(100))
        #expect(try Self.read("2.5e-1") == .number(0.25))
    }

    @Test("Escapes decode, surrogate pairs included; UTF-8 passes through unchanged")
    func escapes() throws {
        #expect(
            try Self.read(#""a\"b\\c\/d\be\ff\ng\rh\ti""#) == .string("a\"b\\c/d\u{08}e\u{0C}f\ng\rh\ti"))
        #expect(try Self.read(#""\u0041\u00e9\u20AC\ud83d\ude00""#) == .string("Aé€😀"))
        #expect(try Self.read("\"Grüße, 世界\"") == .string("Grüße, 世界"))
        #expect(try Self.read(#""\u0000""#) == .string("\u{0}"))
    }

    @Test("A duplicate member name keeps the last value")
    func duplicates() throws {
        #expect(try Self.read(#"{"a": 1, "a": 2}"#) == .object(["a": .number(2)]))
    }

    @Test(
        "Malformed JSON is refused with the byte offset and what was expected",
        arguments: [
            ("", "byte 0: the body ends where a value was expected"),
            ("   ", "byte 3: the body ends where a value was expected"),
            ("{not json", "byte 1: 'n' where a member name in double quotes was expected"),
            (#"{"a": 1,}"#, "byte 8: '}' where a member name in double quotes was expected"),
            ("[1, 2,]", "byte 6: ']' where a value was expected"),
            (#"{"a" 1}"#, "byte 5: '1' where ':' after the member name 'a' was expected"),
            (#"{"a": 1 "b": 2}"#, "byte 8: '\"' where ',' or '}' was expected"),
            ("[1 2]", "byte 3: '2' where ',' or ']' was expected"),
            ("{} {}", "byte 3: text after the end of the JSON value"),
            ("01", "byte 1: text after the end of the JSON value"),
            ("-", "byte 1: the end of the body where a digit after the number's sign was expected"),
            ("1.", "byte 2: the end of the body where a digit after the decimal point was expected"),
            ("1e", "byte 2: the end of the body where a digit after the exponent was expected"),
            (".5", "byte 0: '.' where a value was expected"),
            ("+1", "byte 0: '+' where a value was expected"),
            ("1e400", "byte 0: the number 1e400, which is out of range"),
            ("tru", "byte 0: 't' where a value was expected"),
            ("nul", "byte 0: 'n' where a value was expected"),
            ("True", "byte 0: 'T' where a value was expected"),
            ("NaN", "byte 0: 'N' where a value was expected"),
            ("// c\n{}", "byte 0: '/' where a value was expected"),
            ("'a'", "byte 0: ''' where a value was expected"),
            ("\"abc", "byte 0: a string that is never closed with '\"'"),
            ("\"a\\", "byte 2: a string that ends inside an escape"),
            ("\"a\nb\"", "byte 2: the control character U+000A inside a string; escape it (\\n, \\t, \\u00XX)"),
            ("\"\\x\"", "byte 1: the escape '\\x', which JSON does not have"),
            ("\"\\u12G4\"", "byte 1: a '\\u' escape without four hex digits"),
            ("\"\\u12\"", "byte 1: a '\\u' escape without four hex digits"),
            (#""\ud83d""#, "byte 1: a high surrogate escape without the low surrogate that must follow it"),
            (#""\ud83d\u0041""#, "byte 1: a high surrogate escape followed by no low surrogate"),
            (#""\ude00""#, "byte 1: a low surrogate escape without a high surrogate before it"),
            ("{\"a\":\u{0B}1}", "byte 5: '\\x0B' where a value was expected"),
        ])
    func malformed(text: String, expected: String) {
        #expect(throws: AuthZENJSONError("malformed JSON at \(expected)")) { try Self.read(text) }
    }

    @Test("Bytes that are not UTF-8 inside a string are refused, with or without escapes")
    func invalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xC3, 0x28, 0x22], [0x22, 0x5C, 0x6E, 0xFF, 0x22]] {
            #expect(throws: AuthZENJSONError("the string at byte 1 is not valid UTF-8")) {
                try AuthZENJSON.value(from: bytes)
            }
        }
    }

    @Test("Nesting is limited, so a hostile body cannot exhaust the stack")
    func depth() throws {
        let limit = AuthZENJSON.maxDepth
        let deepest = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        _ = try Self.read(deepest)
        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(
            throws: AuthZENJSONError(
                "malformed JSON at byte \(limit): arrays and objects nested deeper than \(limit) levels")
        ) { try Self.read(tooDeep) }
        let hostile = String(repeating: "{\"a\":", count: 200_000)
        #expect(throws: AuthZENJSONError.self) { try Self.read(hostile) }
    }

    @Test("An evaluation reads every member of the specification; unknown members are ignored")
    func evaluationShape() throws {
        let json = try Self.read(
            """
            {"subject": {"type": "identity", "id": "alice", "properties": {"department": "finance"}},
             "action": {"name": "GET", "properties": {"purpose": "audit"}},
             "resource": {"type": "route", "id": "/r", "properties": {"host": "h"}},
             "context": {"time": 1}, "extra": [1]}
            """)
        let evaluation = try AuthZENDTO.Evaluation(json: json)
        #expect(
            evaluation
                == AuthZENDTO.Evaluation(
                    subject: .init(type: "identity", id: "alice", properties: ["department": .string("finance")]),
                    action: .init(name: "GET", properties: ["purpose": .string("audit")]),
                    resource: .init(type: "route", id: "/r", properties: ["host": .string("h")]),
                    context: ["time": .number(1)]))
        let nulls = try AuthZENDTO.Evaluation(
            json: Self.read(
                #"{"subject": null, "action": {"name": null}, "resource": {"type": "route", "properties": null}}"#))
        #expect(nulls == AuthZENDTO.Evaluation(action: .init(), resource: .init(type: "route")))
    }

    @Test("A batch reads its defaults, items and options")
    func batchShape() throws {
        let json = try Self.read(
            """
            {"subject": {"type": "identity", "id": "a"}, "action": {"name": "GET"}, "context": {"c": true},
             "evaluations": [{"resource": {"type": "route", "id": "/1"}}, {}],
             "options": {"evaluations_semantic": "deny_on_first_deny", "other": 1}}
            """)
        let batch = try AuthZENDTO.Evaluations(json: json)
        #expect(batch.subject == .init(type: "identity", id: "a"))
        #expect(batch.action == .init(name: "GET"))
        #expect(batch.resource == nil)
        #expect(batch.context == ["c": .bool(true)])
        #expect(batch.evaluations == [.init(resource: .init(type: "route", id: "/1")), .init()])
        #expect(batch.options == .init(evaluationsSemantic: "deny_on_first_deny"))
        let bare = try AuthZENDTO.Evaluations(json: Self.read(#"{"evaluations": null, "options": {}}"#))
        #expect(bare.evaluations == nil)
        #expect(bare.options == .init())
    }

    @Test(
        "A member of the wrong kind is refused with its path",
        arguments: [
            ("[]", "the body is an array where an object was expected"),
            (#"{"subject": "alice"}"#, "subject is a string where an object was expected"),
            (#"{"subject": {"type": 1}}"#, "subject.type is a number where a string was expected"),
            (#"{"subject": {"id": ["a"]}}"#, "subject.id is an array where a string was expected"),
            (#"{"subject": {"properties": []}}"#, "subject.properties is an array where an object was expected"),
            (#"{"action": true}"#, "action is a boolean where an object was expected"),
            (#"{"action": {"name": {}}}"#, "action.name is an object where a string was expected"),
            (#"{"action": {"properties": 2}}"#, "action.properties is a number where an object was expected"),
            (#"{"resource": {"id": 7}}"#, "resource.id is a number where a string was expected"),
            (#"{"resource": {"type": false}}"#, "resource.type is a boolean where a string was expected"),
            (#"{"resource": {"properties": "h"}}"#, "resource.properties is a string where an object was expected"),
            (#"{"context": [1]}"#, "context is an array where an object was expected"),
        ])
    func wrongKind(text: String, expected: String) throws {
        let json = try Self.read(text)
        #expect(throws: AuthZENJSONError(expected)) { try AuthZENDTO.Evaluation(json: json) }
        #expect(throws: AuthZENJSONError(expected)) { try AuthZENDTO.Evaluations(json: json) }
    }

    @Test(
        "A batch member of the wrong kind is refused with its path",
        arguments: [
            (#"{"evaluations": 3}"#, "evaluations is a number where an array of evaluations was expected"),
            (#"{"evaluations": [{}, null]}"#, "evaluations[1] is null where an object was expected"),
            (#"{"evaluations": [{}, {}, "x"]}"#, "evaluations[2] is a string where an object was expected"),
            (
                #"{"evaluations": [{"resource": {"id": 1}}]}"#,
                "evaluations[0].resource.id is a number where a string was expected"
            ),
            (
                #"{"evaluations": [{}, {"subject": {"properties": 1}}]}"#,
                "evaluations[1].subject.properties is a number where an object was expected"
            ),
            (#"{"evaluations": [{"context": 1}]}"#, "evaluations[0].context is a number where an object was expected"),
            (#"{"options": "all"}"#, "options is a string where an object was expected"),
            (
                #"{"options": {"evaluations_semantic": 1}}"#,
                "options.evaluations_semantic is a number where a string was expected"
            ),
        ])
    func batchWrongKind(text: String, expected: String) throws {
        let json = try Self.read(text)
        #expect(throws: AuthZENJSONError(expected)) { try AuthZENDTO.Evaluations(json: json) }
    }

    @Test("The writer escapes what JSON needs, sorts members by name and prints whole numbers without a fraction")
    func writer() throws {
        let value = AuthZENValue.object([
            "status": .number(403), "b": .array([.bool(true), .bool(false), .null]), "a": .string("x/y \"q\" \\ é"),
            "ctl": .string("\n\t\r\u{08}\u{0C}\u{01}\u{1F}"), "half": .number(0.5), "big": .number(1e20),
            "neg": .number(-7), "nan": .number(.nan), "nested": .object(["z": .object([:]), "y": .array([])]),
        ])
        let text = Self.written(value)
        #expect(
            text
                == #"{"a":"x/y \"q\" \\ é","b":[true,false,null],"big":1e+20,"ctl":"\n\t\r\b\f\u0001\u001f","half":0.5,"#
                + #""nan":null,"neg":-7,"nested":{"y":[],"z":{}},"status":403}"#)
        // What it writes, Foundation reads back to the same values (the non-finite number as null).
        let parsed = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(parsed["a"] as? String == "x/y \"q\" \\ é")
        #expect(parsed["ctl"] as? String == "\n\t\r\u{08}\u{0C}\u{01}\u{1F}")
        #expect(parsed["status"] as? Int == 403)
        #expect(try Self.read(text) == value.replacingNaN())
    }

    @Test("An evaluation is written byte for byte as its decision with the context as a JSON object")
    func evaluationAnswers() {
        let decisions = [
            Decision(
                outcome: .allow, status: 200, reason: .allowed, policy: "mesh", rule: "read \"all\"",
                policyRevision: "sha256:ab"),
            Decision(outcome: .deny, status: 403, reason: .noMatchingRule, policy: "mesh", policyRevision: "r"),
            Decision(
                outcome: .deny, status: 401, reason: .invalidToken, reasonDetail: DecisionReason(code: "token_expired"),
                policyRevision: "r/é\n"),
            Decision(outcome: .deny, status: 503, reason: .auditUnavailable, policyRevision: ""),
        ]
        for decision in decisions {
            let evaluation = AccessEvaluation(decision: decision, decisionID: "0123abcd")
            var context: [String: AuthZENValue] = [
                "decision_id": .string(evaluation.decisionID), "reason": .string(decision.reason.code),
                "status": .number(Double(decision.status)), "policy_revision": .string(decision.policyRevision),
            ]
            if let detail = decision.reasonDetail { context["reason_detail"] = .string(detail.code) }
            if let policy = decision.policy { context["policy"] = .string(policy) }
            if let rule = decision.rule { context["rule"] = .string(rule) }
            var expected = ByteBuffer()
            AuthZENDTO.Decision(decision: decision.isAllowed, context: context).write(into: &expected)
            var written = ByteBuffer()
            evaluation.writeAuthZEN(into: &written)
            #expect(String(buffer: written) == String(buffer: expected))
        }
    }

    @Test("Decisions, batches and the metadata document are written in the specification's shape")
    func answers() {
        var buffer = ByteBuffer()
        AuthZENDTO.Decisions(evaluations: [
            .init(decision: true, context: ["reason": .string("allowed"), "status": .number(200)]),
            .init(decision: false, context: nil),
        ]).write(into: &buffer)
        #expect(
            String(buffer: buffer)
                == #"{"evaluations":[{"context":{"reason":"allowed","status":200},"decision":true},{"decision":false}]}"#
        )
        buffer.clear()
        AuthZENDTO.Metadata(
            policyDecisionPoint: "http://h", accessEvaluationEndpoint: "http://h/access/v1/evaluation",
            accessEvaluationsEndpoint: "http://h/access/v1/evaluations"
        ).write(into: &buffer)
        #expect(
            String(buffer: buffer)
                == #"{"access_evaluation_endpoint":"http://h/access/v1/evaluation","#
                + #""access_evaluations_endpoint":"http://h/access/v1/evaluations","policy_decision_point":"http://h"}"#
        )
    }
}

extension AuthZENValue {
    /// The value as the writer's output reads back: a non-finite number becomes `null`.
    fileprivate func replacingNaN() -> AuthZENValue {
        switch self {
        case .number(let number) where !number.isFinite: return .null
        case .array(let elements): return .array(elements.map { $0.replacingNaN() })
        case .object(let members): return .object(members.mapValues { $0.replacingNaN() })
        default: return self
        }
    }
}
