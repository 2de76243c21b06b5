import Foundation
import GatehouseAdmin
import GatehouseCore
import GatehouseTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// `GET`, `POST` and `DELETE /v1/policy/shadow` through the router, against a fake shadowing port.
@Suite("Admin API: shadow candidate", .bug(id: "13"))
struct AdminShadowTests {
    /// The fake pipeline plus a shadow slot that remembers the bundle it was given.
    final class ShadowingFake: PolicyAdministration, PolicyShadowing {
        let base = FakeAdministration()
        let loaded = Mutex<(bundle: [UInt8], status: ShadowStatus)?>(nil)

        func status() async -> PolicyStatus {
            var status = await self.base.status()
            status.shadow = self.shadowStatus()
            return status
        }
        func reload(_ request: ReloadRequest) async -> ReloadOutcome { await self.base.reload(request) }
        func activate(uploadedBundle bundle: [UInt8], request: ReloadRequest) async -> ReloadOutcome {
            await self.base.activate(uploadedBundle: bundle, request: request)
        }
        func rollback(to revision: String?, request: ReloadRequest) async -> ReloadOutcome {
            await self.base.rollback(to: revision, request: request)
        }

        func loadShadow(bundle: [UInt8], requestedBy: String?) async -> Result<ShadowStatus, ReloadFailure> {
            var counts = ShadowStatus.Counts()
            counts.evaluated = 10
            counts.differing = 3
            counts.byRule = [ShadowStatus.Key(rule: "close-b", change: .allowToDeny): 3]
            let status = ShadowStatus(
                revision: "cand-1", loadedAt: UnixTime(seconds: 1_700_000_000), loadedBy: requestedBy, counts: counts)
            self.loaded.withLock { $0 = (bundle, status) }
            return .success(status)
        }

        func unloadShadow(requestedBy: String?) async -> ShadowStatus? {
            self.loaded.withLock { loaded in
                defer { loaded = nil }
                return loaded?.status
            }
        }

        func shadowStatus() -> ShadowStatus? { self.loaded.withLock { $0?.status } }
    }

    static func router(_ administration: any PolicyAdministration) -> Router<AdminRequestContext> {
        AdminAPI(
            administration: administration, isReady: { true }, metrics: { "" }, access: AdminFixture.access,
            maxBundleBytes: 1024, logger: Logger(label: "admin-shadow-test")
        ).makeRouter()
    }

    static func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    @Test("An admin loads a bundle in shadow and unloads it; an auditor reads the counters but may not load")
    func loadReadUnload() async throws {
        let fake = ShadowingFake()
        let app = Application(router: Self.router(fake))
        try await app.test(.router) { client in
            let bundle = ByteBuffer(bytes: [1, 2, 3, 4])
            let auditor = try await client.execute(
                uri: "/v1/policy/shadow", method: .post, headers: AdminFixture.bearer(AdminFixture.auditorToken),
                body: bundle)
            #expect(auditor.status == .forbidden)
            #expect(fake.shadowStatus() == nil)

            let loaded = try await client.execute(
                uri: "/v1/policy/shadow", method: .post, headers: AdminFixture.bearer(AdminFixture.adminToken),
                body: bundle)
            #expect(loaded.status == .ok)
            #expect(fake.loaded.withLock { $0?.bundle } == [1, 2, 3, 4])
            let body = try Self.json(loaded)
            #expect(body["state"] as? String == "loaded")
            #expect(body["revision"] as? String == "cand-1")
            #expect(body["loaded_by"] as? String == "token:ops")

            let read = try Self.json(
                try await client.execute(
                    uri: "/v1/policy/shadow", method: .get, headers: AdminFixture.bearer(AdminFixture.auditorToken)))
            #expect(read["evaluated"] as? Int == 10 && read["differing"] as? Int == 3)
            let differences = try #require(read["differences"] as? [[String: Any]])
            #expect(differences.count == 1)
            #expect(differences.first?["rule"] as? String == "close-b")
            #expect(differences.first?["change"] as? String == "allow_to_deny")
            #expect(differences.first?["count"] as? Int == 3)

            let status = try Self.json(
                try await client.execute(
                    uri: "/v1/status", method: .get, headers: AdminFixture.bearer(AdminFixture.auditorToken)))
            let shadow = try #require(status["shadow"] as? [String: Any], "/v1/status shows the candidate")
            #expect(shadow["revision"] as? String == "cand-1" && shadow["differing"] as? Int == 3)

            let empty = try await client.execute(
                uri: "/v1/policy/shadow", method: .post, headers: AdminFixture.bearer(AdminFixture.adminToken))
            #expect(empty.status == .badRequest)

            let unloaded = try await client.execute(
                uri: "/v1/policy/shadow", method: .delete, headers: AdminFixture.bearer(AdminFixture.adminToken))
            #expect(unloaded.status == .ok)
            #expect(try Self.json(unloaded)["state"] as? String == "unloaded")
            #expect(fake.shadowStatus() == nil)
            let none = try Self.json(
                try await client.execute(
                    uri: "/v1/policy/shadow", method: .get, headers: AdminFixture.bearer(AdminFixture.auditorToken)))
            #expect(none["state"] as? String == "none")
        }
    }

    @Test("A server without shadow evaluation has no shadow routes (404)")
    func unavailable() async throws {
        let app = Application(router: Self.router(FakeAdministration()))
        try await app.test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/policy/shadow", method: .post, headers: AdminFixture.bearer(AdminFixture.adminToken),
                body: ByteBuffer(bytes: [1]))
            #expect(response.status == .notFound)
        }
    }
}
