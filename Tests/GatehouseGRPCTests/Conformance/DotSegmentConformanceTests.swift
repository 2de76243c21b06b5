import EnvoyAuthAPI
import GatehouseGRPC
import SwiftProtobuf
import Testing

/// Issue #11 item 9 on every kind of listener, over real sockets: Envoy gets the same 400 from each.
@Suite("Every kind of listener denies a dot segment alike", .timeLimit(.minutes(1)))
struct DotSegmentConformanceTests {
    @Test(
        "A path with a dot segment answers INVALID_ARGUMENT with a 400 DeniedHttpResponse",
        arguments: TransportConformanceTests.Listener.allCases)
    func dotSegment(_ listener: TransportConformanceTests.Listener) async throws {
        let response = try await LoopbackServer.with(listener: listener) { server in
            try await server.withClient { try await TransportConformanceTests.check($0, path: "/public/a/../b") }
        }
        #expect(response.status.code == 3)
        #expect(response.deniedResponse.status.code == .badRequest)
        #expect(response.dynamicMetadata.fields["reason"]?.stringValue == "ambiguous_path")
        #expect(response.dynamicMetadata.fields["reason_detail"]?.stringValue == "path_dot_segment")
    }
}
