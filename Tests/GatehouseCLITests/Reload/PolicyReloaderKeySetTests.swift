import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import Synchronization
import Testing

@testable import GatehouseCLI

@Suite("The reload pipeline and URL key sets", .bug(id: "12"), .timeLimit(.minutes(2)))
struct PolicyReloaderKeySetTests {
    /// Serves the example JWKS, or fails; counts the GETs.
    final class StubFetcher: HTTPFetching {
        let fails: Bool
        private let count = Atomic<Int>(0)
        init(fails: Bool) { self.fails = fails }
        var fetches: Int { self.count.load(ordering: .relaxed) }

        func get(_ url: String, timeout: Duration, maximumBytes: Int) async throws -> FetchedDocument {
            self.count.add(1, ordering: .relaxed)
            if self.fails { return FetchedDocument(status: 503, body: []) }
            let jwks = try Data(contentsOf: Repository.url("policies/keys/idp.jwks.json"))
            return FetchedDocument(status: 200, body: Array(jwks))
        }
    }

    static let url = "http://127.0.0.1:1/jwks.json"

    /// A policy whose tokens are verified with the keys at ``url``.
    static func policy(path: String) -> [String: String] {
        [
            "p.yaml": """
            kind: Policy
            name: p
            authentication:
              jwt:
                - { issuer: https://idp.gov.example, audiences: [x], jwks: { url: "\(Self.url)" } }
            rules:
              - { name: readers, action: allow, methods: [GET], paths: [\(path)] }
            """
        ]
    }

    @Test(
        "A revision adding a URL key set activates once its keys are fetched; the next revision does not fetch them again"
    )
    func addedKeySet() async throws {
        try await withTemporaryDirectory("reload-keys") { root in
            let fixture = ReloadFixture(root: root)
            try fixture.write(ReloadFixture.policy())
            let fetcher = StubFetcher(fails: false)
            let authorizer = Authorizer()
            // The stub answers at once; the long wait only matters on a stalled machine (a full
            // run once froze the test process for ~90 s, past the fixture's 100 ms).
            let reloader = try fixture.reloader(
                authorizer: authorizer, runTests: false, fetcher: fetcher, keySetWait: .seconds(60))
            _ = await reloader.start()
            #expect(await reloader.status().keySets.isEmpty)
            try fixture.write(Self.policy(path: "/a"))
            #expect(await reloader.reload(ReloadRequest(trigger: .notify)).activation != nil)
            // Fetched before the swap: the new revision is ready at once.
            #expect(authorizer.isReady)
            let status = await reloader.status()
            #expect(status.isReady)
            #expect(status.keySets.map(\.location) == [Self.url])
            #expect(status.keySets.first?.isLoaded == true)
            #expect(status.keySets.first?.keyCount == 1)
            #expect(status.keySets.first?.fetchedAt != nil)
            #expect(fetcher.fetches == 1)
            try fixture.write(Self.policy(path: "/b"))
            #expect(await reloader.reload(ReloadRequest(trigger: .notify)).activation != nil)
            #expect(fetcher.fetches == 1)
        }
    }

    @Test("A key set that cannot be fetched does not block the swap for long; readiness and status say so")
    func unreachableKeySet() async throws {
        try await withTemporaryDirectory("reload-keys") { root in
            let fixture = ReloadFixture(root: root)
            try fixture.write(ReloadFixture.policy())
            let authorizer = Authorizer()
            let reloader = try fixture.reloader(
                authorizer: authorizer, runTests: false, fetcher: StubFetcher(fails: true))
            _ = await reloader.start()
            #expect(authorizer.isReady)
            try fixture.write(Self.policy(path: "/a"))
            #expect(await reloader.reload(ReloadRequest(trigger: .notify)).activation != nil)
            #expect(!authorizer.isReady)
            let keySet = try #require(await reloader.status().keySets.first)
            #expect(!keySet.isLoaded)
            #expect(keySet.lastError != nil)
            #expect(keySet.fetchErrors >= 1)
            #expect(await reloader.status().isReady == false)
        }
    }
}
