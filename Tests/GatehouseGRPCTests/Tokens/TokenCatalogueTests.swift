import EnvoyAuthAPI
import Foundation
import SwiftProtobuf
import Testing

@Suite("Token catalogue through the gRPC server")
struct TokenCatalogueTests {
    @Test("The catalogue has the cases the issue asks for")
    func size() {
        #expect(TokenCatalogue.all.count >= 60)
        #expect(Set(TokenCatalogue.all.map(\.name)).count == TokenCatalogue.all.count, "case names are unique")
    }

    @Test(
        "Each token case gets its status, reason and reason_detail, and the token never comes back",
        arguments: TokenCatalogue.all)
    func check(_ testCase: TokenCase) async throws {
        let fixture = TokenFixture.shared
        let presented = try testCase.make(fixture.keys)
        var request = InProcessServer.request(
            path: presented.query.isEmpty ? "/data/items" : "/data/items?" + presented.query, host: "api.gov.example",
            headers: presented.headers)
        request.attributes.request.time = Google_Protobuf_Timestamp(seconds: TokenMinter.now, nanos: 0)
        let sent = request
        let response = try await InProcessServer.with(policy: fixture.policy, authenticator: fixture.authenticator) {
            authorization, _ in try await authorization.check(sent)
        }
        let metadata = response.dynamicMetadata.fields
        let status = response.allowed != nil ? 200 : Int(response.denied?.status.code.rawValue ?? -1)
        #expect(status == testCase.status)
        #expect(metadata["reason"]?.stringValue == testCase.reason)
        let authenticate = response.denied?.headers.first { $0.header.key == "www-authenticate" }?.header.value
        switch testCase.expected {
        case .invalid(let detail):
            #expect(metadata["reason_detail"]?.stringValue == detail)
            #expect(authenticate?.contains(#"error="invalid_token""#) == true)
            #expect(authenticate?.contains("error_description=") == true)
        case .missing:
            #expect(authenticate == #"Bearer realm="gatehouse""#)
        case .allowed, .forbidden:
            #expect(metadata["reason_detail"] == nil)
        }
        let echoed = try response.jsonString() + response.textFormatString()
        for token in presented.tokens {
            for segment in token.split(separator: ".") where segment.count >= 8 {
                #expect(!echoed.contains(segment), "a token segment appears in the response")
            }
        }
    }
}
