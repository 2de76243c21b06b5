import GatehouseCLI
import GatehouseCore
import Testing

/// `envoy.metadata`: lean by default, full or a list on request, from the file, the environment or both.
@Suite("envoy.metadata setting")
struct EnvoyMetadataSettingTests {
    @Test("Lean by default")
    func leanByDefault() throws {
        #expect(try ServeSettingsTests.load().envoyMetadata == .lean)
    }

    @Test("full in the file, a list in the variable; the variable wins")
    func fileAndEnvironment() throws {
        try ServeSettingsTests.withFile("envoy:\n  metadata: full\n") { file in
            #expect(try ServeSettingsTests.load(file: file).envoyMetadata == .full)
            let listed = try ServeSettingsTests.load(
                file: file, environment: ["GATEHOUSE_ENVOY_METADATA": "decision_id,rule,policy_revision"])
            #expect(listed.envoyMetadata.fields == [.decisionID, .rule, .policyRevision])
        }
    }

    @Test("An unknown field is refused where it was written, naming every valid field")
    func unknownField() throws {
        let fromVariable = ServeSettingsTests.problems(environment: ["GATEHOUSE_ENVOY_METADATA": "decision_id,route"])
        #expect(
            fromVariable == [
                "GATEHOUSE_ENVOY_METADATA: 'decision_id,route' is not lean, full or a comma-separated list of fields "
                    + "(decision_id, decision, reason, reason_detail, status, policy_revision, cache, policy, rule, "
                    + "subject, shadow_rules)."
            ])
        let fromFile = try ServeSettingsTests.withFile("envoy:\n  metadata: minimal\n") { file in
            ServeSettingsTests.problems(file: file)
        }
        #expect(fromFile.count == 1)
        #expect(fromFile.first?.contains("gatehouse.yaml:2:13: envoy.metadata: 'minimal' is not lean, full") == true)
    }
}
