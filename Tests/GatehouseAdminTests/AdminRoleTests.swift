import GatehouseAdmin
import Testing

@Suite("Admin roles")
struct AdminRoleTests {
    @Test("admin outranks auditor, which outranks metrics")
    func order() {
        #expect(AdminRole.metrics < .auditor)
        #expect(AdminRole.auditor < .admin)
    }
}
