import GatehouseCore
import GatehouseTestSupport
import Testing

/// The active revision: its tree, authenticator, generation and readiness, swapped as one.
@Suite("Authorizer")
struct AuthorizerTests {
    /// A tree of one policy for `registry.example` allowing everything, named `revision`.
    static func tree(_ revision: String) throws -> DecisionTree {
        let policy = try Fixture.policy(
            "registry", hosts: ["registry.example"], rules: [try Fixture.rule("any", .allow, paths: ["/**"])])
        return DecisionTree(revision: revision, policies: [policy])
    }

    @Test("Readiness belongs to its revision: a snapshot keeps its own, the authorizer reports the new one's")
    func readinessTravelsWithRevision() throws {
        let authorizer = Authorizer()
        #expect(!authorizer.isReady, "no revision is active")
        authorizer.activate(try Self.tree("r1"), isLoaded: { false })
        let first = try #require(authorizer.revision)
        #expect(!authorizer.isReady)

        authorizer.activate(try Self.tree("r2"), isLoaded: { true })
        let second = try #require(authorizer.revision)
        #expect(authorizer.isReady)
        #expect(first.tree.revision == "r1" && !first.isReady)
        #expect(second.tree.revision == "r2" && second.isReady)

        authorizer.activate(try Self.tree("r3"))
        #expect(authorizer.isReady, "a revision without remote key sets is ready at once")
    }

    @Test("Each activation gets the next generation; a tree given at creation is generation 0")
    func generations() throws {
        let authorizer = Authorizer(tree: try Self.tree("r0"))
        #expect(authorizer.revision?.generation == 0)
        authorizer.activate(try Self.tree("r1"))
        authorizer.activate(try Self.tree("r2"))
        #expect(authorizer.revision?.generation == 2)
        #expect(authorizer.revision?.tree.revision == "r2")
    }

    @Test("prepare denies at once without a revision, and for a request no policy selects")
    func preparedAtOnce() throws {
        let authorizer = Authorizer()
        guard case .decided(let notLoaded) = authorizer.prepare(AuthzRequest(host: "registry.example"), caller: .init())
        else {
            Issue.record("a check without a revision waited")
            return
        }
        #expect(notLoaded.status == 503 && notLoaded.reason == .policyNotLoaded)

        authorizer.activate(try Self.tree("r1"))
        guard case .decided(let unselected) = authorizer.prepare(AuthzRequest(host: "other.example"), caller: .init())
        else {
            Issue.record("a request no policy selects waited for credentials")
            return
        }
        #expect(unselected.outcome == .deny && unselected.policyRevision == "r1")
    }

    @Test("prepare leaves a selected request to evaluation, on the revision it was prepared under")
    func pendingKeepsRevision() async throws {
        let authorizer = Authorizer()
        authorizer.activate(try Self.tree("r1"))
        let prepared = authorizer.prepare(AuthzRequest(path: "/a", host: "registry.example"), caller: .init())
        authorizer.activate(try Self.tree("r2"))
        guard case .pending(let pending) = prepared else {
            Issue.record("a selected request was decided before its credentials were looked at")
            return
        }
        #expect(pending.policyRevision == "r1")
        let decision = try await pending.decide()
        #expect(decision.outcome == .allow && decision.policyRevision == "r1")
    }
}
