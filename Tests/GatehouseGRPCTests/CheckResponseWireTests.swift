import EnvoyAuthAPI
import GatehouseCore
import GatehouseGRPC
import NIOCore
import SwiftProtobuf
import Testing

/// The direct transport's `CheckResponse` written straight into its frame against the message
/// `Envoy_Service_Auth_V3_CheckResponse(_:decisionID:metadata:)` builds: the frame decodes to
/// exactly that message, over generated decisions and every metadata choice.
@Suite("CheckResponse written from the decision", .bug(id: "15"))
struct CheckResponseWireTests {
    @Test("Generated decisions: the frame decodes to the message the mapping builds")
    func generatedDecisions() throws {
        var random = SplitMix64(seed: 1_515)
        let metadataChoices = [
            MetadataFields.lean, .full, MetadataFields([]), MetadataFields([.rule, .shadowRules, .status]),
        ]
        for index in 0..<3_000 {
            let decision = Self.generated(&random)
            let metadata = metadataChoices[index % metadataChoices.count]
            let decisionID = index % 7 == 0 ? "" : "01J\(index)ZX"
            let expected = Envoy_Service_Auth_V3_CheckResponse(decision, decisionID: decisionID, metadata: metadata)
            var framed = Envoy_Service_Auth_V3_CheckResponse.framed(
                decision, decisionID: decisionID, metadata: metadata, allocator: ByteBufferAllocator())
            let flag = framed.readInteger(as: UInt8.self)
            let announced = framed.readInteger(as: UInt32.self)
            #expect(flag == 0, "decision \(index): uncompressed")
            let length = try #require(announced)
            #expect(Int(length) == framed.readableBytes, "decision \(index): the frame's length")
            let decoded = try Envoy_Service_Auth_V3_CheckResponse(serializedBytes: Array(framed.readableBytesView))
            #expect(decoded == expected, "decision \(index)")
        }
    }

    @Test("A single metadata field: the same bytes as swift-protobuf's encoding")
    func sameBytes() throws {
        let decision = Decision(
            outcome: .deny, status: 401, reason: .missingCredentials,
            headersToSet: [HeaderMutation(name: "www-authenticate", value: "Bearer realm=\"x\"", action: .overwrite)],
            body: "{\"error\":\"missing_credentials\"}")
        let metadata = MetadataFields([.reason])
        let expected: [UInt8] = try Envoy_Service_Auth_V3_CheckResponse(
            decision, decisionID: "id", metadata: metadata
        ).serializedBytes()
        var framed = Envoy_Service_Auth_V3_CheckResponse.framed(
            decision, decisionID: "id", metadata: metadata, allocator: ByteBufferAllocator())
        framed.moveReaderIndex(forwardBy: 5)
        #expect(Array(framed.readableBytesView) == expected)
    }

    static func generated(_ random: inout SplitMix64) -> Decision {
        let isAllowed = Bool.random(using: &random)
        let statuses: [UInt16] = isAllowed ? [200] : [401, 403, 400, 414, 503, 0, 418, 999, 65_535]
        let reasons: [DecisionReason] = [
            .allowed, .deniedByRule, .noMatchingRule, .invalidToken, DecisionReason(code: ""),
        ]
        let strings = ["", "x-user", "ünïcödé", "日本", String(repeating: "long-value-", count: 20)]
        func string() -> String { strings[Int.random(in: 0..<strings.count, using: &random)] }
        let actions: [HeaderAppendAction] = [.overwrite, .append, .addIfAbsent, .overwriteIfExists]
        let headers = (0..<Int.random(in: 0...4, using: &random)).map { _ in
            HeaderMutation(name: string(), value: string(), action: actions[Int.random(in: 0..<4, using: &random)])
        }
        return Decision(
            outcome: isAllowed ? .allow : .deny,
            status: statuses[Int.random(in: 0..<statuses.count, using: &random)],
            reason: reasons[Int.random(in: 0..<reasons.count, using: &random)],
            reasonDetail: Bool.random(using: &random) ? .invalidToken : nil,
            policy: Bool.random(using: &random) ? string() : nil,
            rule: Bool.random(using: &random) ? string() : nil,
            shadowMatches: Bool.random(using: &random) ? [ShadowMatch(rule: "r", action: .deny)] : [],
            headersToSet: headers,
            headersToRemove: (0..<Int.random(in: 0...2, using: &random)).map { _ in string() },
            queryParametersToSet: (0..<Int.random(in: 0...2, using: &random)).map { _ in
                QueryParameterMutation(name: string(), value: string())
            },
            queryParametersToRemove: (0..<Int.random(in: 0...2, using: &random)).map { _ in string() },
            body: isAllowed ? "" : string(),
            subject: Bool.random(using: &random) ? string() : nil,
            policyRevision: string())
    }
}
