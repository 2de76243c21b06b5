import GatehouseCore
import GatehouseHTTPAuthz
import NIOHTTP1
import Testing

@Suite("Decision → HTTP mode answer")
struct HTTPAuthzAnswerTests {
    @Test("Allow: 200, the allow headers, the removals in x-envoy-auth-headers-to-remove, metadata headers")
    func allow() {
        let decision = Decision(
            outcome: .allow, status: 200, reason: DecisionReason(code: "allowed"), policy: "civil-registry",
            rule: "clerks-read",
            headersToSet: [HeaderMutation(name: "x-gatehouse-subject", value: "alice", action: .overwrite)],
            headersToRemove: ["authorization", "x-debug"], subject: "alice", policyRevision: "r1")
        let answer = HTTPAuthzAnswer(decision, decisionID: "id-1", version: .http1_1, keepAlive: true, metadata: .full)
        #expect(answer.head.status == .ok)
        #expect(answer.head.headers["x-gatehouse-subject"] == ["alice"])
        #expect(answer.head.headers["x-envoy-auth-headers-to-remove"] == ["authorization,x-debug"])
        #expect(answer.head.headers["x-gatehouse-metadata-decision-id"] == ["id-1"])
        #expect(answer.head.headers["x-gatehouse-metadata-rule"] == ["clerks-read"])
        #expect(answer.head.headers["content-length"] == ["0"])
        #expect(answer.body.isEmpty)
    }

    @Test("Allow with the default (lean) metadata: only the decision id and the reason as metadata headers")
    func allowLean() {
        let decision = Decision(
            outcome: .allow, status: 200, reason: DecisionReason(code: "allowed"), policy: "civil-registry",
            rule: "clerks-read", subject: "alice", policyRevision: "r1")
        let answer = HTTPAuthzAnswer(decision, decisionID: "id-3", version: .http1_1, keepAlive: true)
        let metadata = answer.head.headers.filter { $0.name.hasPrefix("x-gatehouse-metadata-") }
        #expect(metadata.map(\.name) == ["x-gatehouse-metadata-decision-id", "x-gatehouse-metadata-reason"])
        #expect(metadata.map(\.value) == ["id-3", "allowed"])
    }

    @Test("Deny: the policy's status, headers and body; of the metadata only the decision id")
    func deny() {
        let decision = Decision(
            outcome: .deny, status: 401, reason: DecisionReason(code: "missing_credentials"),
            headersToSet: [
                HeaderMutation(name: "www-authenticate", value: #"Bearer realm="civil-registry""#, action: .overwrite)
            ], body: "no token", policyRevision: "r1")
        let answer = HTTPAuthzAnswer(decision, decisionID: "id-2", version: .http1_1, keepAlive: false)
        #expect(answer.head.status == .unauthorized)
        #expect(answer.head.headers["www-authenticate"] == [#"Bearer realm="civil-registry""#])
        #expect(answer.head.headers["x-gatehouse-decision-id"] == ["id-2"])
        #expect(answer.head.headers["x-gatehouse-metadata-reason"].isEmpty)
        #expect(answer.head.headers["content-length"] == ["8"])
        #expect(answer.head.headers["connection"] == ["close"])
        #expect(answer.body == "no token")
    }

    @Test("Every metadata field's header is x-gatehouse-metadata- and its name with - for _")
    func metadataHeaderNames() {
        for field in MetadataFields.Field.allCases {
            let expected = "x-gatehouse-metadata-" + String(field.rawValue.map { $0 == "_" ? "-" : $0 })
            #expect(HTTPAuthzAnswer.metadataHeader(field) == expected)
        }
    }
}

@Suite("Decision ids of HTTP-mode checks")
struct DecisionIDEntropyTests {
    @Test("Ids across several refills: 32 hex digits, the check's time first, all different")
    func idsAcrossRefills() {
        var entropy = DecisionIDEntropy(idsAtOnce: 4)
        let time = UnixTime(seconds: 1_765_000_000, nanoseconds: 123_000_000)
        let ids = (0..<(3 * DecisionIDEntropy.maxIDsAtOnce)).map { _ in entropy.next(at: time) }
        let prefix = DecisionID.make(at: time, entropy: (0, 0)).prefix(12)
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.utf8.count == 32)
            #expect(id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
            #expect(id.hasPrefix(prefix))
        }
    }

    @Test("A refill larger than one getentropy call is capped, and one id at a time works")
    func bounds() {
        var large = DecisionIDEntropy(idsAtOnce: 1000)
        var single = DecisionIDEntropy(idsAtOnce: 1)
        let time = UnixTime(seconds: 1, nanoseconds: 0)
        let ids = (0..<40).flatMap { _ in [large.next(at: time), single.next(at: time)] }
        #expect(Set(ids).count == ids.count)
    }
}
