import Foundation
import GatehouseAdmin
import GatehouseCore
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import NIOCore
import Testing

@Suite("Admin API routes", .bug(id: "12"))
struct AdminRouterTests {
    /// A route and the least role it needs.
    struct Route: Sendable, CustomTestStringConvertible {
        var method: HTTPRequest.Method
        var path: String
        var needs: AdminRole?
        var testDescription: String { "\(self.method) \(self.path)" }
    }

    static let routes = [
        Route(method: .get, path: "/metrics", needs: .metrics),
        Route(method: .get, path: "/v1/status", needs: .auditor),
        Route(method: .post, path: "/v1/policy/notify", needs: .admin),
        Route(method: .post, path: "/v1/policy/rollback", needs: .admin),
        Route(method: .put, path: "/v1/policy/bundle", needs: .admin),
        Route(method: .get, path: "/healthz", needs: nil),
        Route(method: .get, path: "/readyz", needs: nil),
    ]

    static let callers: [(token: String?, role: AdminRole?)] = [
        (nil, nil), (AdminFixture.metricsToken, .metrics), (AdminFixture.auditorToken, .auditor),
        (AdminFixture.adminToken, .admin),
    ]

    @Test("Each route answers 401 without a credential, 403 below its role and 200 at or above it", arguments: routes)
    func rolesByRoute(route: Route) async throws {
        let fixture = AdminFixture()
        try await fixture.withClient { client in
            for caller in Self.callers {
                let headers = caller.token.map(AdminFixture.bearer) ?? [:]
                let body = route.method == .put ? ByteBuffer(string: "bundle") : nil
                let response = try await client.execute(
                    uri: route.path, method: route.method, headers: headers, body: body)
                let expected: HTTPResponse.Status
                switch (route.needs, caller.role) {
                case (nil, _): expected = .ok
                case (_, nil): expected = .unauthorized
                case (let needs?, let role?): expected = role >= needs ? .ok : .forbidden
                }
                #expect(
                    response.status == expected, "\(route.testDescription) as \(caller.role?.rawValue ?? "anonymous")")
                if expected == .unauthorized {
                    #expect(response.headers[.wwwAuthenticate] == "Bearer")
                    #expect(try Self.error(response).error == "unauthenticated")
                }
                if expected == .forbidden {
                    let error = try Self.error(response)
                    #expect(error.error == "forbidden")
                    #expect(error.message.contains("needs '\(route.needs?.rawValue ?? "")'"))
                }
            }
        }
    }

    @Test("An unknown or malformed token is 401 invalid_token, and nothing is changed")
    func invalidToken() async throws {
        let fixture = AdminFixture()
        try await fixture.withClient { client in
            for header in ["Bearer nope", "Basic YWRtaW46c2VjcmV0", "Bearer"] {
                let response = try await client.execute(
                    uri: "/v1/policy/notify", method: .post, headers: [.authorization: header])
                #expect(response.status == .unauthorized, "\(header)")
                #expect(response.headers[.wwwAuthenticate] == "Bearer error=\"invalid_token\"")
                #expect(try Self.error(response).error == "invalid_credential")
            }
            // The scheme is case-insensitive.
            let lower = try await client.execute(
                uri: "/v1/status", method: .get, headers: [.authorization: "bearer \(AdminFixture.auditorToken)"])
            #expect(lower.status == .ok)
        }
        #expect(fixture.administration.calls.isEmpty)
    }

    @Test("/readyz is 503 while no policy is active or a key set is loading")
    func notReady() async throws {
        var fixture = AdminFixture()
        fixture.isReady = false
        try await fixture.withClient { client in
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable)
            let alive = try await client.execute(uri: "/healthz", method: .get)
            #expect(alive.status == .ok)
        }
    }

    @Test("/metrics is Prometheus text")
    func metrics() async throws {
        try await AdminFixture().withClient { client in
            let response = try await client.execute(
                uri: "/metrics", method: .get, headers: AdminFixture.bearer(AdminFixture.metricsToken))
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(String(buffer: response.body) == "gatehouse_up 1\n")
        }
    }

    @Test("/v1/status reports the active revision, refusals, history, key sets with their age and the cache")
    func status() async throws {
        try await AdminFixture().withClient { client in
            let response = try await client.execute(
                uri: "/v1/status", method: .get, headers: AdminFixture.bearer(AdminFixture.auditorToken))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
            let active = try #require(json["active"] as? [String: Any])
            #expect(active["revision"] as? String == "rev-2")
            #expect(active["activated_at"] as? String == "2025-12-31T23:59:50.250Z")
            #expect(active["duration_seconds"] as? Double == 0.12)
            #expect(active["signed_by"] as? [String] == ["release-2026"])
            let failure = try #require(json["last_failure"] as? [String: Any])
            #expect(failure["stage"] as? String == "compile")
            #expect(failure["code"] as? String == "compile_failed")
            #expect(json["rollback_revisions"] as? [String] == ["rev-2", "rev-1"])
            let keySet = try #require((json["key_sets"] as? [[String: Any]])?.first)
            #expect(keySet["age_seconds"] as? Double == 60)
            #expect(keySet["last_error"] as? String == "HTTP 503")
            #expect(keySet["fetch_errors"] as? Int == 1)
            #expect((json["cache"] as? [String: Any])?["hits"] as? Int == 10)
            #expect(json["ready"] as? Bool == true)
        }
    }

    @Test("notify passes the expected revision and the caller to the pipeline and answers the activation")
    func notify() async throws {
        let fixture = AdminFixture(outcome: .activated(FakeAdministration.activation))
        try await fixture.withClient { client in
            let response = try await client.execute(
                uri: "/v1/policy/notify", method: .post, headers: AdminFixture.bearer(AdminFixture.adminToken),
                body: ByteBuffer(string: #"{"revision": "rev-2"}"#))
            #expect(response.status == .ok)
            let outcome = try AdminJSON.decoder.decode(
                AdminDTO.Outcome.self, from: Data(response.body.readableBytesView))
            #expect(outcome.outcome == "activated")
            #expect(outcome.revision == "rev-2")
            #expect(outcome.activation?.rules == 42)
            let plain = try await client.execute(
                uri: "/v1/policy/notify", method: .post, headers: AdminFixture.bearer(AdminFixture.adminToken))
            #expect(plain.status == .ok)
        }
        #expect(
            fixture.administration.calls == [
                .reload(ReloadRequest(trigger: .notify, requestedBy: "token:ops", expectedRevision: "rev-2")),
                .reload(ReloadRequest(trigger: .notify, requestedBy: "token:ops", expectedRevision: nil)),
            ])
    }

    @Test("A refused reload is 422 with its stage, code and message; a revision mismatch is 409")
    func refused() async throws {
        var mismatch = FakeAdministration.failure
        mismatch.code = "revision_mismatch"
        mismatch.stage = .fetch
        let cases = [(FakeAdministration.failure, HTTPResponse.Status.unprocessableContent), (mismatch, .conflict)]
        for (failure, status) in cases {
            let fixture = AdminFixture(outcome: .refused(failure))
            try await fixture.withClient { client in
                let response = try await client.execute(
                    uri: "/v1/policy/notify", method: .post, headers: AdminFixture.bearer(AdminFixture.adminToken))
                #expect(response.status == status)
                let outcome = try AdminJSON.decoder.decode(
                    AdminDTO.Outcome.self, from: Data(response.body.readableBytesView))
                #expect(outcome.outcome == "refused")
                #expect(outcome.failure?.code == failure.code)
                #expect(outcome.failure?.stage == failure.stage.rawValue)
                #expect(outcome.failure?.message == failure.message)
            }
        }
    }

    @Test("unchanged is 200 with the revision")
    func unchanged() async throws {
        try await AdminFixture(outcome: .unchanged(revision: "rev-9")).withClient { client in
            let response = try await client.execute(
                uri: "/v1/policy/notify", method: .post, headers: AdminFixture.bearer(AdminFixture.adminToken))
            #expect(response.status == .ok)
            let outcome = try AdminJSON.decoder.decode(
                AdminDTO.Outcome.self, from: Data(response.body.readableBytesView))
            #expect(outcome.outcome == "unchanged")
            #expect(outcome.revision == "rev-9")
        }
    }

    @Test("rollback names the revision it asks for, or none")
    func rollback() async throws {
        let fixture = AdminFixture()
        try await fixture.withClient { client in
            for body in [#"{"revision":"rev-1"}"#, ""] {
                let response = try await client.execute(
                    uri: "/v1/policy/rollback", method: .post, headers: AdminFixture.bearer(AdminFixture.adminToken),
                    body: ByteBuffer(string: body))
                #expect(response.status == .ok)
            }
        }
        let request = ReloadRequest(trigger: .rollback, requestedBy: "token:ops")
        #expect(fixture.administration.calls == [.rollback("rev-1", request), .rollback(nil, request)])
    }

    @Test("A body that is not {\"revision\": …} is 400 and asks nothing of the pipeline")
    func malformedBody() async throws {
        let fixture = AdminFixture()
        try await fixture.withClient { client in
            let response = try await client.execute(
                uri: "/v1/policy/notify", method: .post, headers: AdminFixture.bearer(AdminFixture.adminToken),
                body: ByteBuffer(string: "revision=7"))
            #expect(response.status == .badRequest)
            #expect(try Self.error(response).error == "invalid_request")
        }
        #expect(fixture.administration.calls.isEmpty)
    }

    @Test("An upload hands the bytes to the pipeline; one over the limit is 413, an empty one 400")
    func upload() async throws {
        var fixture = AdminFixture(outcome: .activated(FakeAdministration.activation))
        fixture.maxBundleBytes = 1000
        try await fixture.withClient { client in
            let headers = AdminFixture.bearer(AdminFixture.adminToken)
            let ok = try await client.execute(
                uri: "/v1/policy/bundle", method: .put, headers: headers,
                body: ByteBuffer(bytes: [UInt8](repeating: 7, count: 1000)))
            #expect(ok.status == .ok)
            let large = try await client.execute(
                uri: "/v1/policy/bundle", method: .put, headers: headers,
                body: ByteBuffer(bytes: [UInt8](repeating: 7, count: 1001)))
            #expect(large.status == .contentTooLarge)
            #expect(try Self.error(large).error == "too_large")
            let empty = try await client.execute(uri: "/v1/policy/bundle", method: .put, headers: headers)
            #expect(empty.status == .badRequest)
            #expect(try Self.error(empty).error == "empty_bundle")
        }
        #expect(
            fixture.administration.calls == [
                .upload(bytes: 1000, ReloadRequest(trigger: .upload, requestedBy: "token:ops"))
            ])
    }

    @Test("Every admin action is logged with who, what and the outcome, allowed or refused")
    func logged() async throws {
        let fixture = AdminFixture(outcome: .refused(FakeAdministration.failure))
        try await fixture.withClient { client in
            _ = try await client.execute(uri: "/v1/policy/notify", method: .post)
            _ = try await client.execute(
                uri: "/v1/policy/notify", method: .post, headers: AdminFixture.bearer(AdminFixture.auditorToken))
            _ = try await client.execute(
                uri: "/v1/policy/notify", method: .post, headers: AdminFixture.bearer(AdminFixture.adminToken))
        }
        let actions = fixture.logs.entries.filter { $0.message == "admin action" }.map { entry in
            [
                "\(entry.level)", entry.metadata["gatehouse.admin.action"]?.description ?? "",
                entry.metadata["gatehouse.admin.caller"]?.description ?? "",
                entry.metadata["gatehouse.admin.outcome"]?.description ?? "",
            ]
        }
        #expect(
            actions == [
                ["notice", "notify", "anonymous", "401 no credential"],
                ["notice", "notify", "token:audit", "403 role auditor"],
                ["notice", "notify", "token:ops", "refused compile compile_failed"],
            ])
    }

    @Test("hash-token's digest is the lower-case hex SHA-256 of the token")
    func digest() {
        #expect(
            AdminAuthenticator.digestHex(of: "abc")
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    static func error(_ response: TestResponse) throws -> AdminDTO.Error {
        try AdminJSON.decoder.decode(AdminDTO.Error.self, from: Data(response.body.readableBytesView))
    }
}
