import Foundation
import GatehouseBundle
import GatehouseCore
import GatehouseTestSupport
import Synchronization
import Testing

@testable import GatehouseCLI

@Suite("The reload pipeline", .bug(id: "12"), .timeLimit(.minutes(2)))
struct PolicyReloaderTests {
    /// Runs `body` with a fixture whose policy directory holds ``ReloadFixture/policy(path:)``.
    func withFixture(_ body: (ReloadFixture) async throws -> Void) async throws {
        try await withTemporaryDirectory("reload") { root in
            let fixture = ReloadFixture(root: root)
            try fixture.write(ReloadFixture.policy())
            try await body(fixture)
        }
    }

    @Test("Start-up activates the directory, keeps it in the store, and status reports it")
    func startup() async throws {
        try await self.withFixture { fixture in
            let authorizer = Authorizer()
            let reloader = try fixture.reloader(authorizer: authorizer)
            let (outcome, fallback) = await reloader.start()
            let activation = try #require(outcome.activation, "\(outcome)")
            #expect(fallback == nil)
            #expect(activation.trigger == .startup)
            #expect(activation.source == fixture.policies)
            #expect(activation.policies == 1 && activation.rules == 1)
            #expect(authorizer.tree?.revision == activation.revision)
            let status = await reloader.status()
            #expect(status.active == activation)
            #expect(status.isReady)
            #expect(status.rollbackRevisions == [activation.revision])
            #expect(status.history == [activation])
            #expect(status.lastFailure == nil)
        }
    }

    @Test("An edit activates a new revision; the same content again is unchanged")
    func editThenUnchanged() async throws {
        try await self.withFixture { fixture in
            let authorizer = Authorizer()
            let reloader = try fixture.reloader(authorizer: authorizer)
            let first = try #require(await reloader.start().source.activation)
            try fixture.write(ReloadFixture.policy(path: "/b"))
            let second = try #require(await reloader.reload(ReloadRequest(trigger: .signal)).activation)
            #expect(second.revision != first.revision)
            #expect(second.trigger == .signal)
            #expect(authorizer.tree?.revision == second.revision)
            let request = AuthzRequest(method: "GET", path: "/b", host: "x")
            #expect(authorizer.check(request, identity: .anonymous).isAllowed)
            let again = await reloader.reload(ReloadRequest(trigger: .notify, requestedBy: "admin"))
            #expect(again == .unchanged(revision: second.revision))
        }
    }

    @Test(
        "Each refusal keeps the old revision serving and is visible in status",
        arguments: [
            (
                "p.yaml", "kind: Policy\nname: p\nrules: [{ name: r, action: maybe }]\n", ReloadStage.compile,
                "compile_failed", "/policies/p.yaml:3:"
            ),
            (
                "p_test.yaml",
                "kind: PolicyTests\ntests:\n  - name: a write is allowed\n    request: { method: PUT, path: /a }\n    expect: { decision: allow }\n",
                .test, "tests_failed", "/policies/p_test.yaml:3:"
            ),
            (
                "p.yaml",
                "kind: Policy\nname: p\nauthentication:\n  jwt:\n    - { issuer: https://idp.example, audiences: [x], jwks: { file: missing.json } }\nrules: [{ name: readers, action: allow, paths: [/a] }]\n",
                .compile, "compile_failed", "missing.json",
            ),
        ])
    func refusals(file: String, text: String, stage: ReloadStage, code: String, names: String) async throws {
        try await self.withFixture { fixture in
            let authorizer = Authorizer()
            let reloader = try fixture.reloader(authorizer: authorizer)
            let first = try #require(await reloader.start().source.activation)
            try Data(text.utf8).write(to: URL(fileURLWithPath: fixture.policies + "/" + file))
            let failure = try #require(await reloader.reload(ReloadRequest(trigger: .watch)).failure)
            #expect(failure.stage == stage)
            #expect(failure.code == code)
            #expect(failure.message.contains(names), "\(failure.message)")
            // The message names the operator's file, not the snapshot's copy.
            #expect(!failure.message.contains(fixture.store), "\(failure.message)")
            #expect(authorizer.tree?.revision == first.revision)
            let status = await reloader.status()
            #expect(status.active == first)
            #expect(status.lastFailure == failure)
            #expect(status.rollbackRevisions == [first.revision])
        }
    }

    @Test("A missing policy directory is refused as source_unreadable and nothing changes")
    func missingSource() async throws {
        try await self.withFixture { fixture in
            let authorizer = Authorizer()
            let reloader = try fixture.reloader(authorizer: authorizer)
            let first = try #require(await reloader.start().source.activation)
            try FileManager.default.removeItem(atPath: fixture.policies)
            let failure = try #require(await reloader.reload(ReloadRequest(trigger: .signal)).failure)
            #expect(failure.code == "source_unreadable")
            #expect(authorizer.tree?.revision == first.revision)
        }
    }

    @Test("With bundles.runTests off a failing test does not refuse the revision")
    func testsOff() async throws {
        try await self.withFixture { fixture in
            var files = ReloadFixture.policy()
            files["p_test.yaml"] = files["p_test.yaml"]?.replacingOccurrences(of: "method: GET", with: "method: PUT")
            try fixture.write(files)
            #expect(try await fixture.reloader(runTests: false).start().source.activation != nil)
            #expect(try await fixture.reloader(runTests: true).start().source.failure?.code == "tests_failed")
        }
    }

    @Test("expectedRevision: another revision is refused as revision_mismatch; the named one activates")
    func expectedRevision() async throws {
        try await self.withFixture { fixture in
            let authorizer = Authorizer()
            let reloader = try fixture.reloader(authorizer: authorizer)
            let first = try #require(await reloader.start().source.activation)
            try fixture.write(ReloadFixture.policy(path: "/b"))
            let refused = await reloader.reload(
                ReloadRequest(trigger: .notify, requestedBy: "admin", expectedRevision: "0123456789abcdef"))
            let failure = try #require(refused.failure)
            #expect(failure.code == "revision_mismatch")
            #expect(failure.requestedBy == "admin")
            #expect(authorizer.tree?.revision == first.revision)
            // Learn /b's revision by activating it once, go back to /a, then name /b's revision.
            let second = try #require(await reloader.reload(ReloadRequest(trigger: .signal)).activation)
            try fixture.write(ReloadFixture.policy())
            #expect(await reloader.reload(ReloadRequest(trigger: .signal)).activation?.revision == first.revision)
            try fixture.write(ReloadFixture.policy(path: "/b"))
            let activated = await reloader.reload(ReloadRequest(trigger: .notify, expectedRevision: second.revision))
            #expect(activated.activation?.revision == second.revision)
            #expect(authorizer.tree?.revision == second.revision)
        }
    }

    @Test("Notifications arriving while a reload runs are coalesced into one more run")
    func coalescing() async throws {
        try await self.withFixture { fixture in
            let log = OutcomeLog()
            let reloader = try fixture.reloader(onOutcome: { outcome, _, _ in log.record(outcome) })
            _ = await reloader.start()
            try fixture.write(ReloadFixture.policy(path: "/b"))
            let outcomes = await withTaskGroup(of: ReloadOutcome.self) { group in
                for _ in 0..<20 { group.addTask { await reloader.reload(ReloadRequest(trigger: .notify)) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.count == 20)
            // The start-up, then at most two runs (the one under way when the first arrived, and
            // one more for everyone who arrived meanwhile), not twenty.
            #expect(log.all.count <= 3, "\(log.all)")
            #expect(log.all.compactMap(\.activation).count == 2)
        }
    }

    @Test("Rollback goes back to the previous kept revision, or to a named one; an unknown one is refused")
    func rollback() async throws {
        try await self.withFixture { fixture in
            let authorizer = Authorizer()
            let reloader = try fixture.reloader(authorizer: authorizer)
            let first = try #require(await reloader.start().source.activation)
            try fixture.write(ReloadFixture.policy(path: "/b"))
            let second = try #require(await reloader.reload(ReloadRequest(trigger: .watch)).activation)
            let back = try #require(
                await reloader.rollback(to: nil, request: ReloadRequest(trigger: .rollback, requestedBy: "ops"))
                    .activation)
            #expect(back.revision == first.revision)
            #expect(back.source == "bundle store")
            #expect(back.requestedBy == "ops")
            #expect(authorizer.tree?.revision == first.revision)
            let forward = await reloader.rollback(to: second.revision, request: ReloadRequest(trigger: .rollback))
            #expect(forward.activation?.revision == second.revision)
            let unknown = await reloader.rollback(to: "feedfacefeedface", request: ReloadRequest(trigger: .rollback))
            #expect(unknown.failure?.code == "revision_not_kept")
            #expect(authorizer.tree?.revision == second.revision)
        }
    }

    @Test("A restart whose source is gone serves the last good revision, verified again")
    func restartServesLastGood() async throws {
        try await self.withFixture { fixture in
            let first = try #require(await fixture.reloader().start().source.activation)
            try FileManager.default.removeItem(atPath: fixture.policies)
            let authorizer = Authorizer()
            let reloader = try fixture.reloader(authorizer: authorizer)
            let (source, fallback) = await reloader.start()
            #expect(source.failure?.code == "source_unreadable")
            #expect(fallback?.activation?.revision == first.revision)
            #expect(authorizer.tree?.revision == first.revision)
            #expect(await reloader.status().lastFailure?.code == "source_unreadable")
        }
    }

    @Test("A kept revision changed on disk is refused (hash_mismatch) at a restart")
    func tamperedStore() async throws {
        try await self.withFixture { fixture in
            let first = try #require(await fixture.reloader().start().source.activation)
            try FileManager.default.removeItem(atPath: fixture.policies)
            let copy = try #require(try BundleStore(root: fixture.store).kept().first { $0.revision == first.revision })
            let kept = copy.directory + "/p.yaml"
            try Data("kind: Policy\nname: p\nrules: [{ name: all, action: allow }]\n".utf8).write(
                to: URL(fileURLWithPath: kept))
            let authorizer = Authorizer()
            let (_, fallback) = try await fixture.reloader(authorizer: authorizer).start()
            #expect(fallback?.failure?.code == "hash_mismatch")
            #expect(authorizer.revision == nil)
        }
    }

    @Test("A directory edited while it is read is never activated: source_changing, the old revision serves")
    func midEdit() async throws {
        try await self.withFixture { fixture in
            let authorizer = Authorizer()
            let first = try #require(await fixture.reloader(authorizer: authorizer).start().source.activation)
            try fixture.write(ReloadFixture.policy(path: "/b"))
            let policies = fixture.policies
            let reloader = try fixture.reloader(
                authorizer: authorizer,
                afterReadingDirectory: {
                    try? Data("kind: Policy\nname: p\nrules: []\n# half-saved".utf8).write(
                        to: URL(fileURLWithPath: policies + "/p.yaml"))
                })
            let failure = try #require(await reloader.reload(ReloadRequest(trigger: .watch)).failure)
            #expect(failure.code == "source_changing")
            #expect(failure.stage == .fetch)
            #expect(authorizer.tree?.revision == first.revision)
        }
    }
    @Test("status() answers while a reload is in progress, with the revision still active, instead of waiting for it")
    func statusDuringReload() async throws {
        try await self.withFixture { fixture in
            // The hook holds the second reload between reading the directory and compiling it
            // until the test has its status (at most 10 s, so a status that waits cannot hang the test).
            let armed = Atomic<Bool>(false)
            let entered = Atomic<Bool>(false)
            let timedOut = Atomic<Bool>(false)
            let release = DispatchSemaphore(value: 0)
            let reloader = try fixture.reloader(afterReadingDirectory: {
                guard armed.load(ordering: .acquiring) else { return }
                entered.store(true, ordering: .releasing)
                if release.wait(timeout: .now() + 10) == .timedOut { timedOut.store(true, ordering: .releasing) }
            })
            let first = try #require(await reloader.start().source.activation)
            try fixture.write(ReloadFixture.policy(path: "/b"))
            armed.store(true, ordering: .releasing)
            let reload = Task { await reloader.reload(ReloadRequest(trigger: .notify)) }
            try await yield(until: "the reload reaches the hook", timeout: .seconds(10)) {
                entered.load(ordering: .acquiring)
            }
            let during = await reloader.status()
            release.signal()
            let second = try #require(await reload.value.activation)
            // The status came while the reload was held, not after the hook gave up waiting.
            let heldUntilReleased = !timedOut.load(ordering: .acquiring)
            #expect(heldUntilReleased)
            #expect(during.active?.revision == first.revision)
            #expect(second.revision != first.revision)
            #expect(await reloader.status().active?.revision == second.revision)
        }
    }
}
