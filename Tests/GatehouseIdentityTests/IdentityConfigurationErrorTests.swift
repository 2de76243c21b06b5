import GatehouseCore
import GatehouseIdentity
import Testing

@Suite("Identity configuration errors")
struct IdentityConfigurationErrorTests {
    @Test("An error names the policy line that refers to the file")
    func describesLocation() {
        let error = IdentityConfigurationError(
            "The JWKS file 'keys/x.json' holds no usable key.", at: SourceLocation(file: "p.yaml", line: 7, column: 13))
        #expect(error.description == "p.yaml:7:13: error: The JWKS file 'keys/x.json' holds no usable key.")
        #expect(IdentityConfigurationError("x", at: nil).description == "error: x")
    }
}
