import GatehouseFleet
import Testing

@Suite("FleetError")
struct FleetErrorTests {
    @Test("Describes itself as code: message, and compares without the cause")
    func description() {
        struct Cause: Error {}
        let error = FleetError(code: .invalidURL, message: "bad", cause: Cause())
        #expect(error.description.hasPrefix("fleet_invalid_url: bad (cause: "))
        #expect(error == FleetError(code: .invalidURL, message: "bad"))
    }
}
