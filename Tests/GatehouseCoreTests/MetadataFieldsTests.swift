import GatehouseCore
import Testing

/// `envoy.metadata`: which of a decision's fields its answer to Envoy carries.
@Suite("Metadata fields for Envoy")
struct MetadataFieldsTests {
    static let decision: Decision = {
        var decision = Decision(
            outcome: .deny, status: 401, reason: .invalidToken, reasonDetail: DecisionReason(code: "token_expired"),
            policy: "registry", rule: "clerks", subject: "alice", policyRevision: "r3")
        decision.cache = .hit
        return decision
    }()

    @Test("lean, full and lists parse in any case, with spaces around names; duplicates are sent once")
    func parsing() {
        #expect(MetadataFields("lean") == .lean)
        #expect(MetadataFields(" LEAN ") == .lean)
        #expect(MetadataFields("full") == .full)
        #expect(MetadataFields("Full")?.fields == MetadataFields.Field.allCases)
        #expect(MetadataFields("decision_id, rule,policy_revision")?.fields == [.decisionID, .rule, .policyRevision])
        #expect(MetadataFields("rule,rule,decision_id")?.fields == [.rule, .decisionID])
        #expect(MetadataFields.lean.fields == [.decisionID, .reason, .reasonDetail])
    }

    @Test(
        "Unknown names, empty text and empty list items are refused",
        arguments: ["", " ", "minimal", "rule,", "rule,,cache", "decision-id"])
    func refused(text: String) {
        #expect(MetadataFields(text) == nil)
    }

    @Test("The written form parses back to the same fields")
    func roundTrip() {
        for fields in [MetadataFields.lean, .full, MetadataFields([.cache, .decisionID])] {
            #expect(MetadataFields(fields.description) == fields)
        }
        #expect(MetadataFields.lean.description == "lean")
        #expect(MetadataFields([.cache, .decisionID]).description == "cache,decision_id")
    }

    @Test("Lean: the decision id, the reason and its detail; nothing else")
    func lean() {
        let fields = Self.decision.dynamicMetadata(decisionID: "d-1", fields: .lean)
        #expect(fields.map(\.key) == ["decision_id", "reason", "reason_detail"])
        #expect(fields.map(\.value) == ["d-1", "invalid_token", "token_expired"])
        let allowed = Decision(outcome: .allow, status: 200, reason: .allowed, rule: "all", policyRevision: "r1")
        #expect(allowed.dynamicMetadata(decisionID: "d-2", fields: .lean).map(\.key) == ["decision_id", "reason"])
    }

    @Test("A list: exactly the named fields that have a value, in the list's order")
    func list() throws {
        let fields = try #require(MetadataFields("cache,rule,shadow_rules,decision_id"))
        let metadata = Self.decision.dynamicMetadata(decisionID: "d-3", fields: fields)
        #expect(metadata.map(\.key) == ["cache", "rule", "decision_id"])
        #expect(metadata.map(\.value) == ["hit", "clerks", "d-3"])
    }

    @Test("Full: every field with a value")
    func full() {
        let metadata = Self.decision.dynamicMetadata(decisionID: "d-4", fields: .full)
        #expect(
            metadata.map(\.key) == [
                "decision_id", "decision", "reason", "reason_detail", "status", "policy_revision", "cache", "policy",
                "rule", "subject",
            ])
        #expect(Self.decision.dynamicMetadata(decisionID: "d-4").map(\.key) == metadata.map(\.key))
    }
}
