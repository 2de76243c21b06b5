import Foundation
import GatehouseCache
import GatehouseCore
import GatehouseTestSupport
import Testing

@testable import GatehouseCLI

/// Issue #12: resident memory after 100 reloads stays within 10 % of after the first, so no
/// old revision may stay reachable once no check uses it.
@Suite("Old revisions are freed", .bug(id: "12"), .timeLimit(.minutes(2)))
struct PolicyReloaderMemoryTests {
    /// A weak reference to the heap buffer of a revision's policies: the tree's largest part,
    /// and a class instance that lives exactly as long as something holds the tree.
    final class TreeWatch {
        weak var storage: AnyObject?

        init(_ tree: DecisionTree) {
            // A non-empty native array is one reference to its storage object (no bridging on Linux).
            precondition(!tree.policies.isEmpty)
            self.storage = unsafeBitCast(tree.policies, to: AnyObject.self)
        }

        var isFreed: Bool { self.storage == nil }
    }

    @Test(
        "After each activation through the pipeline the previous revision's tree is freed, with cached decisions of it")
    func previousRevisionFreed() async throws {
        try await withTemporaryDirectory("reload-memory") { root in
            let fixture = ReloadFixture(root: root)
            try fixture.write(ReloadFixture.policy(path: "/p0"))
            let authorizer = Authorizer()
            let decisions = CachingAuthorizer(authorizer: authorizer)
            let reloader = try fixture.reloader(authorizer: authorizer)
            #expect(await reloader.start().source.activation != nil)
            var watches: [TreeWatch] = []
            for index in 1...6 {
                // No local holds the tree: only what the product keeps may keep it alive.
                watches.append(TreeWatch(try #require(authorizer.tree)))
                // Checks on the active revision leave its decisions in the cache.
                let request = AuthzRequest(method: "GET", path: "/p\(index - 1)", host: "x")
                #expect(try await decisions.decide(request, caller: CallerFacts()).isAllowed)
                #expect(try await decisions.decide(request, caller: CallerFacts()).cache == .hit)
                try fixture.write(ReloadFixture.policy(path: "/p\(index)"))
                let outcome = await reloader.reload(ReloadRequest(trigger: .notify, requestedBy: "test"))
                #expect(outcome.activation != nil, "\(outcome)")
                // Every revision before the one now active is unreachable: status, history, the
                // store, the cache and the key sets hold none of it.
                let reachable = watches.indices.filter { !watches[$0].isFreed }
                #expect(reachable.isEmpty, "revisions \(reachable) are still reachable")
            }
            _ = await reloader.status()
            #expect(watches.filter { !$0.isFreed }.isEmpty)
            let active = try #require(authorizer.tree)
            #expect(!TreeWatch(active).isFreed)
        }
    }

    @Test("A check that read the old revision keeps it only until it finishes")
    func inFlightCheckHoldsOldRevision() async throws {
        try await withTemporaryDirectory("reload-memory") { root in
            let fixture = ReloadFixture(root: root)
            try fixture.write(ReloadFixture.policy(path: "/old"))
            let authorizer = Authorizer()
            let decisions = CachingAuthorizer(authorizer: authorizer)
            let reloader = try fixture.reloader(authorizer: authorizer)
            #expect(await reloader.start().source.activation != nil)
            let watch = TreeWatch(try #require(authorizer.tree))
            do {
                let preparation = decisions.prepare(
                    AuthzRequest(method: "GET", path: "/old", host: "x"), caller: CallerFacts())
                try fixture.write(ReloadFixture.policy(path: "/new"))
                #expect(await reloader.reload(ReloadRequest(trigger: .notify)).activation != nil)
                #expect(!watch.isFreed, "the check in flight decides on the revision it read")
                guard case .pending(let evaluation) = preparation else {
                    Issue.record("a cacheable allow should wait for evaluation")
                    return
                }
                #expect(try await evaluation.decide().isAllowed)
            }
            #expect(watch.isFreed)
        }
    }

    @Test("serve's outcome hook empties the decision cache on an activation only, keeping its counters")
    func activationEmptiesCache() async throws {
        try await withTemporaryDirectory("reload-memory") { root in
            let fixture = ReloadFixture(root: root)
            try fixture.write(ReloadFixture.policy(path: "/a"))
            let authorizer = Authorizer()
            let decisions = CachingAuthorizer(authorizer: authorizer)
            let told = OutcomeLog()
            let hook = ServeCommand.droppingCachedDecisions(of: decisions) { outcome, _, _ in told.record(outcome) }
            let reloader = try fixture.reloader(authorizer: authorizer, onOutcome: hook)
            let first = try #require(await reloader.start().source.activation)
            let request = AuthzRequest(method: "GET", path: "/a", host: "x")
            #expect(try await decisions.decide(request, caller: CallerFacts()).cache == .miss)
            let before = decisions.statistics
            #expect(before.entries > 0 && before.bytes > 0)
            // Unchanged and refused outcomes leave the active revision's entries.
            #expect(await reloader.reload(ReloadRequest(trigger: .notify)) == .unchanged(revision: first.revision))
            #expect(decisions.statistics.entries == before.entries)
            try fixture.write(["p.yaml": "kind: Policy\nname: p\nrules: [{ name: r, action: maybe }]\n"])
            #expect(await reloader.reload(ReloadRequest(trigger: .notify)).failure != nil)
            #expect(decisions.statistics.entries == before.entries)
            try fixture.write(ReloadFixture.policy(path: "/b"))
            #expect(await reloader.reload(ReloadRequest(trigger: .notify)).activation != nil)
            let after = decisions.statistics
            #expect(after.entries == 0 && after.bytes == 0)
            #expect(after.misses == before.misses && after.hits == before.hits)
            #expect(told.all.count == 4, "the wrapped hook is still told of every outcome")
        }
    }

    @Test("Freed memory is returned to the OS where the C library can (glibc), in well under a reload's time")
    func releaseFreedMemory() {
        let duration = FreedMemory.release()
        #if canImport(Glibc)
            #expect(duration != nil)
            if let duration { #expect(duration < .milliseconds(500)) }
        #else
            #expect(duration == nil)
        #endif
    }
}
