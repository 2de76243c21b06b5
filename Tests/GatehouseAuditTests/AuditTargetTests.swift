import GatehouseAudit
import Testing

@Suite struct AuditTargetTests {
    @Test func targetBuilds() {
        #expect(Bool(true))
    }
}
