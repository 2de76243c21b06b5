import EnvoyAuthAPI
import GatehouseCache
import GatehouseCore
import GatehouseGRPC
import GatehousePolicy
import Logging
import SwiftProtobuf
import Testing

/// The service decides through whichever ``CheckDecider`` the CLI gives it.
@Suite("Authorization service over a check decider")
struct AuthorizationServiceDeciderTests {
    static let policy = """
        kind: Policy
        name: registry
        rules:
          - { name: public, action: allow, methods: [GET], paths: [/public/**] }
        """

    /// An authorizer with `policy` active, under `authenticator`.
    static func authorizer(authenticator: any Authenticator = AnonymousAuthenticator()) throws -> Authorizer {
        let result = PolicyCompiler.compile(sources: [PolicySource(path: "test.yaml", text: Self.policy)])
        let authorizer = Authorizer()
        authorizer.activate(try #require(result.compiled, "\(result.diagnostics)").tree, authenticator: authenticator)
        return authorizer
    }

    /// The service over the plain authorizer, or over a caching one; its answers carry the full
    /// metadata (the tests read `cache`, `decision` and `policy_revision`).
    static func service(_ authorizer: Authorizer, caching: Bool) -> AuthorizationService {
        let decider: any CheckDecider = caching ? CachingAuthorizer(authorizer: authorizer) : authorizer
        return AuthorizationService(decider: decider, logger: Logger(label: "test"), metadata: .full)
    }

    /// Whether `prepare` answered at once, and the `cache` metadata of the answer.
    static func check(_ service: AuthorizationService) async -> (answered: Bool, cache: String?) {
        let request = InProcessServer.request(path: "/public/a")
        switch service.prepare(request, caller: CallerFacts()) {
        case .answered(let response):
            return (true, response.dynamicMetadata.fields["cache"]?.stringValue)
        case .pending(let pending):
            return (false, await pending.response().dynamicMetadata.fields["cache"]?.stringValue)
        }
    }

    @Test("Over the plain authorizer every check is evaluated; over the caching one a repeat is a hit")
    func repeatsByDecider() async throws {
        // The anonymous authenticator needs no waiting, so every check is answered at once.
        let plain = Self.service(try Self.authorizer(), caching: false)
        #expect(await Self.check(plain) == (true, "bypass"))
        #expect(await Self.check(plain) == (true, "bypass"))

        let caching = Self.service(try Self.authorizer(), caching: true)
        #expect(await Self.check(caching) == (true, "miss"))
        #expect(await Self.check(caching) == (true, "hit"))
    }

    @Test("A check whose authenticator must wait is left pending, with either decider; its decision is then cached")
    func waitingAuthenticatorPends() async throws {
        /// Verifies only by waiting, as a key fetch or a certificate chain does.
        struct Waiting: Authenticator {
            func identity(for request: AuthzRequest, policyIndex: Int, caller: CallerFacts) async throws -> Identity {
                .anonymous
            }
            func addCredentials(
                of request: AuthzRequest, policyIndex: Int, caller: CallerFacts, to key: inout some CacheKeyBuilder
            ) {}
        }
        let plain = Self.service(try Self.authorizer(authenticator: Waiting()), caching: false)
        #expect(await Self.check(plain) == (false, "bypass"))
        let caching = Self.service(try Self.authorizer(authenticator: Waiting()), caching: true)
        #expect(await Self.check(caching) == (false, "miss"))
        #expect(await Self.check(caching) == (true, "hit"))
    }

    @Test(
        "A check with no active revision is answered at once with 503, with either decider", arguments: [false, true])
    func notLoaded(caching: Bool) async {
        let service = Self.service(Authorizer(), caching: caching)
        guard
            case .answered(let response) = service.prepare(InProcessServer.request(path: "/public/a"), caller: .init())
        else {
            Issue.record("a check without a policy waited for evaluation")
            return
        }
        #expect(response.dynamicMetadata.fields["reason"]?.stringValue == "policy_not_loaded")
    }

    @Test("An authenticator failure denies with internal_error under the revision the check was decided on")
    func internalErrorNamesRevision() async throws {
        struct Broken: Authenticator {
            struct Failure: Error {}
            func identity(for request: AuthzRequest, policyIndex: Int, caller: CallerFacts) async throws -> Identity {
                throw Failure()
            }
            func addCredentials(
                of request: AuthzRequest, policyIndex: Int, caller: CallerFacts, to key: inout some CacheKeyBuilder
            ) {}
        }
        for caching in [false, true] {
            let authorizer = try Self.authorizer(authenticator: Broken())
            let service = Self.service(authorizer, caching: caching)
            guard
                case .pending(let pending) = service.prepare(
                    InProcessServer.request(path: "/public/a"), caller: .init())
            else {
                Issue.record("a check needing the authenticator was answered at once")
                continue
            }
            let fields = await pending.response().dynamicMetadata.fields
            #expect(fields["reason"]?.stringValue == "internal_error")
            #expect(fields["decision"]?.stringValue == "deny")
            #expect(fields["policy_revision"]?.stringValue == authorizer.tree?.revision)
        }
    }
}
