import EnvoyAuthAPI
import GRPCInProcessTransport
import GatehouseCore
import GatehouseIdentity
import SwiftProtobuf
import Testing

/// The decision cache in front of real token verification, through the gRPC server.
@Suite("Decision cache through the gRPC server with real tokens")
struct CachedTokenTests {
    struct Outcome: Equatable {
        var status: Int
        var reason: String?
        var cache: String?
        var subject: String?
    }

    static func check(
        _ authorization: Envoy_Service_Auth_V3_Authorization.Client<InProcessTransport.Client>,
        headers: [String: String], at seconds: Int64 = TokenMinter.now
    ) async throws -> Outcome {
        var request = InProcessServer.request(path: "/data/items", host: "api.gov.example", headers: headers)
        request.attributes.request.time = Google_Protobuf_Timestamp(seconds: seconds, nanos: 0)
        let response = try await authorization.check(request)
        let metadata = response.dynamicMetadata.fields
        return Outcome(
            status: response.allowed != nil ? 200 : Int(response.denied?.status.code.rawValue ?? -1),
            reason: metadata["reason_detail"]?.stringValue ?? metadata["reason"]?.stringValue,
            cache: metadata["cache"]?.stringValue, subject: metadata["subject"]?.stringValue)
    }

    @Test("Hits only for the same token text in the same place, until exp; bad tokens are cached briefly")
    func cachedTokens() async throws {
        let fixture = TokenFixture.shared
        let key = fixture.keys.rsa
        let reader = try TokenMinter.token(.rs256, kid: "rsa-1", key: key)
        let other = try TokenMinter.token(
            .rs256, kid: "rsa-1", key: key, claims: TokenMinter.setting(TokenMinter.claims(), "sub", "\"user-7\""))
        let writer = try TokenMinter.token(.rs256, kid: "rsa-1", key: key, claims: TokenMinter.claims(role: "writer"))
        let shortLived = try TokenMinter.token(
            .rs256, kid: "rsa-1", key: key,
            claims: TokenMinter.setting(TokenMinter.claims(), "exp", "\(TokenMinter.now + 10)"))
        let forged = TokenMinter.flippingSignatureBit(reader)
        // The cache use and the subject are read from the answers: the full metadata.
        let outcomes = try await InProcessServer.with(
            policy: fixture.policy, authenticator: fixture.authenticator, metadata: .full
        ) {
            authorization, _ in
            let bearer = { (token: String) in ["authorization": "Bearer " + token] }
            return [
                try await Self.check(authorization, headers: bearer(reader)),
                try await Self.check(authorization, headers: bearer(reader)),
                try await Self.check(authorization, headers: bearer(other)),
                try await Self.check(authorization, headers: ["cookie": "session=" + reader]),
                try await Self.check(authorization, headers: bearer(writer)),
                try await Self.check(authorization, headers: bearer(writer)),
                try await Self.check(authorization, headers: bearer(forged)),
                try await Self.check(authorization, headers: bearer(forged)),
                try await Self.check(authorization, headers: bearer(shortLived)),
                try await Self.check(authorization, headers: bearer(shortLived), at: TokenMinter.now + 9),
                // At exp the entry is gone; the verifier's 60 s leeway still accepts the token.
                try await Self.check(authorization, headers: bearer(shortLived), at: TokenMinter.now + 10),
                try await Self.check(authorization, headers: bearer(shortLived), at: TokenMinter.now + 71),
            ]
        }
        #expect(
            outcomes == [
                Outcome(status: 200, reason: "allowed", cache: "miss", subject: "user-42"),
                Outcome(status: 200, reason: "allowed", cache: "hit", subject: "user-42"),
                Outcome(status: 200, reason: "allowed", cache: "miss", subject: "user-7"),
                Outcome(status: 200, reason: "allowed", cache: "miss", subject: "user-42"),
                Outcome(status: 403, reason: "no_matching_rule", cache: "miss", subject: "user-42"),
                Outcome(status: 403, reason: "no_matching_rule", cache: "hit", subject: "user-42"),
                Outcome(status: 401, reason: "token_signature_invalid", cache: "miss", subject: nil),
                Outcome(status: 401, reason: "token_signature_invalid", cache: "hit", subject: nil),
                Outcome(status: 200, reason: "allowed", cache: "miss", subject: "user-42"),
                Outcome(status: 200, reason: "allowed", cache: "hit", subject: "user-42"),
                Outcome(status: 200, reason: "allowed", cache: "miss", subject: "user-42"),
                Outcome(status: 401, reason: "token_expired", cache: "miss", subject: nil),
            ])
    }
}
