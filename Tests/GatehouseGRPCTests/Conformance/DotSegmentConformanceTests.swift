import EnvoyAuthAPI
import GatehouseGRPC
import SwiftProtobuf
import Testing

/// Issue #11 item 9 on every server transport, over loopback sockets: Envoy gets the same 400 from each.
@Suite("Every server transport denies a dot segment alike", .timeLimit(.minutes(1)))
struct DotSegmentConformanceTests {
    @Test(
        "A path with a dot segment answers INVALID_ARGUMENT with a 400 DeniedHttpResponse",
        arguments: TransportConformanceTests.Transport.allCases)
    func dotSegment(_ transport: TransportConformanceTests.Transport) async throws {
        let response = try await LoopbackServer.with(transport: transport) { server in
            try await server.withClient { try await TransportConformanceTests.check($0, path: "/public/a/../b") }
        }
        #expect(response.status.code == 3)
        #expect(response.deniedResponse.status.code == .badRequest)
        #expect(response.dynamicMetadata.fields["reason"]?.stringValue == "ambiguous_path")
        #expect(response.dynamicMetadata.fields["reason_detail"]?.stringValue == "path_dot_segment")
    }
}
