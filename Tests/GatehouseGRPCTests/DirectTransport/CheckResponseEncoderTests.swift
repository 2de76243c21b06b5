import EnvoyAuthAPI
import Foundation
import GatehouseCore
import NIOCore
import SwiftProtobuf
import Testing

@testable import GatehouseGRPC

/// The direct transport's own `CheckResponse` encoding against swift-protobuf's, over generated
/// decisions and messages: the same bytes, or no answer (and swift-protobuf's) for a field it
/// does not write.
@Suite("Direct transport: CheckResponse encoding")
struct CheckResponseEncoderTests {
    /// A seeded generator (SplitMix64), so that a failure names the seed that reproduces it.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Text of 0 to `maxLength` characters, with multi-byte UTF-8 and control characters, so
    /// that lengths above 127 and 16,383 bytes take two- and three-byte varints.
    static func text(_ random: inout Generator, maxLength: Int = 40) -> String {
        let alphabet: [Character] = ["a", "Z", "0", "-", " ", "é", "€", "😀", "\u{0}", "\n", "%", "ß"]
        let lengths = [0, 1, 15, 16, 127, 128, 200, maxLength]
        let length =
            Int.random(in: 0...3, using: &random) == 0
            ? lengths.randomElement(using: &random)! : Int.random(in: 0...maxLength, using: &random)
        return String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
    }

    static func decision(_ random: inout Generator) -> Decision {
        let statuses: [UInt16] = [200, 400, 401, 403, 414, 418, 429, 503, 599, 0, 999]
        let actions = HeaderAppendAction.allCases
        let allowed = Bool.random(using: &random)
        var decision = Decision(
            outcome: allowed ? .allow : .deny,
            status: allowed ? 200 : statuses.randomElement(using: &random)!,
            reason: DecisionReason(code: text(&random, maxLength: 30)),
            reasonDetail: Bool.random(using: &random) ? DecisionReason(code: text(&random)) : nil,
            policy: Bool.random(using: &random) ? text(&random) : nil,
            rule: Bool.random(using: &random) ? text(&random) : nil,
            shadowMatches: (0..<Int.random(in: 0...2, using: &random)).map { _ in
                ShadowMatch(rule: text(&random), action: Bool.random(using: &random) ? .allow : .deny)
            },
            headersToSet: (0..<Int.random(in: 0...4, using: &random)).map { _ in
                HeaderMutation(
                    name: text(&random), value: text(&random, maxLength: 300),
                    action: actions.randomElement(using: &random)!)
            },
            headersToRemove: (0..<Int.random(in: 0...3, using: &random)).map { _ in text(&random) },
            queryParametersToSet: (0..<Int.random(in: 0...2, using: &random)).map { _ in
                QueryParameterMutation(name: text(&random), value: text(&random))
            },
            queryParametersToRemove: (0..<Int.random(in: 0...2, using: &random)).map { _ in text(&random) },
            body: Int.random(in: 0...9, using: &random) == 0
                ? String(repeating: "x", count: 20_000) : text(&random, maxLength: 200),
            subject: Bool.random(using: &random) ? text(&random) : nil,
            policyRevision: text(&random))
        decision.cache = [.hit, .miss, .coalesced, .bypass].randomElement(using: &random)!
        return decision
    }

    static func swiftProtobufFramed(_ response: Envoy_Service_Auth_V3_CheckResponse) throws -> [UInt8] {
        let bytes: [UInt8] = try response.serializedBytes()
        return [0] + withUnsafeBytes(of: UInt32(bytes.count).bigEndian, Array.init) + bytes
    }

    static func swiftProtobufBytes(_ response: Envoy_Service_Auth_V3_CheckResponse) throws -> [UInt8] {
        try response.serializedBytes()
    }

    static func encoded(_ response: Envoy_Service_Auth_V3_CheckResponse) -> [UInt8]? {
        CheckResponseEncoder.framed(response, allocator: ByteBufferAllocator()).map { Array($0.readableBytesView) }
    }

    @Test("Responses built from 2,000 generated decisions encode to swift-protobuf's bytes", arguments: [1, 2, 3, 4])
    func generatedDecisions(seed: UInt64) throws {
        var random = Generator(state: seed)
        let metadata: [MetadataFields] = [.lean, .full, MetadataFields("decision_id,rule,policy_revision")!]
        for index in 0..<500 {
            let decision = Self.decision(&random)
            let response = Envoy_Service_Auth_V3_CheckResponse(
                decision, decisionID: Self.text(&random), metadata: metadata[index % metadata.count])
            let ours = try #require(Self.encoded(response), "seed \(seed), decision \(index): not encoded")
            #expect(ours == (try Self.swiftProtobufFramed(response)), "seed \(seed), decision \(index)")
            // And it reads back as the same message.
            let decoded = try Envoy_Service_Auth_V3_CheckResponse(serializedBytes: Array(ours.dropFirst(5)))
            #expect(decoded == response, "seed \(seed), decision \(index)")
        }
    }

    @Test("Messages with default and absent parts encode to swift-protobuf's bytes")
    func edges() throws {
        var empty = Envoy_Service_Auth_V3_CheckResponse()
        #expect(Self.encoded(empty) == (try Self.swiftProtobufFramed(empty)))
        empty.status = Google_Rpc_Status()
        empty.okResponse = Envoy_Service_Auth_V3_OkHttpResponse()
        empty.dynamicMetadata = Google_Protobuf_Struct()
        #expect(Self.encoded(empty) == (try Self.swiftProtobufFramed(empty)))

        var denied = Envoy_Service_Auth_V3_CheckResponse()
        var deniedResponse = Envoy_Service_Auth_V3_DeniedHttpResponse()
        deniedResponse.body = "no"
        var option = Envoy_Config_Core_V3_HeaderValueOption()
        option.appendAction = .addIfAbsent  // an option without a header
        deniedResponse.headers = [option, Envoy_Config_Core_V3_HeaderValueOption()]
        denied.deniedResponse = deniedResponse  // no status
        denied.dynamicMetadata = Google_Protobuf_Struct(fields: ["": Google_Protobuf_Value(stringValue: "")])
        #expect(Self.encoded(denied) == (try Self.swiftProtobufFramed(denied)))

        var large = Envoy_Service_Auth_V3_CheckResponse()
        large.status.code = Int32.max
        large.status.message = String(repeating: "m", count: 70_000)
        #expect(Self.encoded(large) == (try Self.swiftProtobufFramed(large)))
    }

    @Test("A response with a field the encoder does not write is left to swift-protobuf")
    func uncovered() throws {
        let base = Envoy_Service_Auth_V3_CheckResponse(
            Decision(
                outcome: .allow, status: 200, reason: .allowed,
                headersToSet: [HeaderMutation(name: "a", value: "b", action: .overwrite)]),
            decisionID: "id")
        #expect(Self.encoded(base) != nil)

        var variants: [Envoy_Service_Auth_V3_CheckResponse] = []
        var errorResponse = base
        errorResponse.errorResponse = Envoy_Service_Auth_V3_DeniedHttpResponse()
        variants.append(errorResponse)
        var responseHeaders = base
        responseHeaders.okResponse.responseHeadersToAdd = [Envoy_Config_Core_V3_HeaderValueOption()]
        variants.append(responseHeaders)
        var okMetadata = base
        okMetadata.okResponse.dynamicMetadata = Google_Protobuf_Struct()
        variants.append(okMetadata)
        var append = base
        append.okResponse.headers[0].append = Google_Protobuf_BoolValue(true)
        variants.append(append)
        var keepEmpty = base
        keepEmpty.okResponse.headers[0].keepEmptyValue = true
        variants.append(keepEmpty)
        var raw = base
        raw.okResponse.headers[0].header.rawValue = Data("raw".utf8)
        variants.append(raw)
        var number = base
        number.dynamicMetadata.fields["n"] = Google_Protobuf_Value(numberValue: 1)
        variants.append(number)
        var details = base
        details.status.details = [Google_Protobuf_Any()]
        variants.append(details)
        var negative = base
        negative.status.code = -1
        variants.append(negative)
        var unknown: Envoy_Service_Auth_V3_CheckResponse
        // Field 15 (not one of CheckResponse's), wire type 0, value 1: kept as an unknown field.
        unknown = try Envoy_Service_Auth_V3_CheckResponse(
            serializedBytes: try Self.swiftProtobufBytes(base) + [0x78, 0x01])
        #expect(!unknown.unknownFields.data.isEmpty)
        variants.append(unknown)
        for (index, variant) in variants.enumerated() {
            #expect(Self.encoded(variant) == nil, "variant \(index)")
        }
    }
}
