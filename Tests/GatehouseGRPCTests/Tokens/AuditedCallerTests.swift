import EnvoyAuthAPI
import GatehouseCache
import GatehouseCore
import GatehouseGRPC
import GatehouseIdentity
import GatehousePolicy
import GatehouseTestSupport
import Logging
import SwiftProtobuf
import Synchronization
import Testing

/// Decision records name the verified caller (and the claims the policy marks loggable), the
/// same on a cache hit as on the miss that filled it, and never the token.
@Suite("Decision records name the verified caller", .bug(id: "13"))
struct AuditedCallerTests {
    /// The token fixture's policy with `log: { claims: [...] }` added.
    static func service(logging claims: String, audit: RecordingAuditSink) throws -> AuthorizationService {
        let fixture = TokenFixture.shared
        let text = fixture.policy + "\nlog:\n  claims: \(claims)\n"
        let result = PolicyCompiler.compile(sources: [PolicySource(path: "tokens.yaml", text: text)])
        let authorizer = Authorizer()
        authorizer.activate(
            try #require(result.compiled, "\(result.diagnostics)").tree, authenticator: fixture.authenticator)
        // The answers' cache use is read: the full metadata.
        return AuthorizationService(
            decider: CachingAuthorizer(authorizer: authorizer), logger: Logger(label: "test"), audit: audit,
            metadata: .full)
    }

    static func check(_ service: AuthorizationService, headers: [String: String]) async -> String? {
        var request = InProcessServer.request(path: "/data/items", host: "api.gov.example", headers: headers)
        request.attributes.request.time = Google_Protobuf_Timestamp(seconds: TokenMinter.now, nanos: 0)
        let response =
            switch service.prepare(request, caller: CallerFacts()) {
            case .answered(let response): response
            case .pending(let pending): await pending.response()
            }
        return response.dynamicMetadata.fields["cache"]?.stringValue
    }

    @Test("Issuer, subject and the loggable claims, identical on the miss and the hit; never the token")
    func callerOnMissAndHit() async throws {
        let audit = RecordingAuditSink()
        let service = try Self.service(logging: "[role, aud, department, nested.team]", audit: audit)
        let fixture = TokenFixture.shared
        let claims = TokenMinter.setting(TokenMinter.claims(), "nested", "{\"team\":\"births\",\"b\":1}")
        let token = try TokenMinter.token(.rs256, kid: "rsa-1", key: fixture.keys.rsa, claims: claims)
        let headers = ["authorization": "Bearer " + token, "x-request-id": "r-1"]
        #expect(await Self.check(service, headers: headers) == "miss")
        #expect(await Self.check(service, headers: headers) == "hit")

        let entries = audit.decisions
        try #require(entries.count == 2)
        let expected = AuditedCaller(
            issuer: "https://idp.example", subject: "user-42",
            claims: ["role": "[\"reader\"]", "aud": "\"gatehouse\"", "nested.team": "\"births\""])
        #expect(entries[0].caller == expected)
        #expect(entries[1].caller == expected)
        #expect(entries.map(\.cache) == [.miss, .hit])
        // No part of the token (header, payload or signature) is in any record.
        let everything = String(reflecting: audit.records.withLock { $0 })
        for segment in token.split(separator: ".") {
            #expect(!everything.contains(String(segment)))
        }
    }

    @Test("Without log.claims a record keeps issuer and subject only; a rejected token names no caller")
    func noClaimsByDefault() async throws {
        let audit = RecordingAuditSink()
        let service = try Self.service(logging: "[]", audit: audit)
        let fixture = TokenFixture.shared
        let token = try TokenMinter.token(.rs256, kid: "rsa-1", key: fixture.keys.rsa)
        _ = await Self.check(service, headers: ["authorization": "Bearer " + token])
        _ = await Self.check(service, headers: ["authorization": "Bearer " + TokenMinter.flippingSignatureBit(token)])
        let entries = audit.decisions
        #expect(
            entries.map(\.caller) == [
                AuditedCaller(issuer: "https://idp.example", subject: "user-42"), AuditedCaller(),
            ])
        #expect(entries.map(\.reasonDetail) == [nil, "token_signature_invalid"])
    }
}
