import EnvoyAuthAPI
import GatehouseCore
import GatehouseGRPC
import SwiftProtobuf
import Testing

/// "Now" for credential validity: Envoy's `request.time`, else Gatehouse's own clock, never the epoch.
@Suite("Request time")
struct RequestTimeTests {
    @Test("Envoy's request.time is used when present")
    func envoyTime() {
        var check = Envoy_Service_Auth_V3_CheckRequest()
        check.attributes.request.time.seconds = 1_800_000_000
        check.attributes.request.time.nanos = 5
        let request = AuthzRequest(check, receivedAt: UnixTime(seconds: 42))
        #expect(request.time == UnixTime(seconds: 1_800_000_000, nanoseconds: 5))
    }

    @Test("Without request.time the receipt time is used, so an expired token cannot pass as 1970")
    func receiptTime() {
        var check = Envoy_Service_Auth_V3_CheckRequest()
        check.attributes.request.http.path = "/"
        #expect(AuthzRequest(check, receivedAt: UnixTime(seconds: 1_800_000_000)).time.seconds == 1_800_000_000)
        let now = AuthorizationService.systemClock().seconds
        #expect(now > 1_700_000_000, "the system clock reads the time of day")
    }
}
