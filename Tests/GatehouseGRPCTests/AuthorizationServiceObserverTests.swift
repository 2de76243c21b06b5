import EnvoyAuthAPI
import GatehouseCache
import GatehouseCore
import GatehouseGRPC
import GatehousePolicy
import Logging
import SwiftProtobuf
import Synchronization
import Testing

/// The service tells its ``CheckObserver`` about every check exactly once, whatever decided it.
@Suite("Authorization service observer", .bug(id: "12"))
struct AuthorizationServiceObserverTests {
    /// Remembers every check it is told about.
    final class RecordingObserver: CheckObserver {
        let checks = Mutex<[(decision: Decision, elapsed: UInt64)]>([])

        func checkFinished(_ decision: Decision, elapsedNanoseconds: UInt64) {
            self.checks.withLock { $0.append((decision, elapsedNanoseconds)) }
        }

        /// Outcome, reason and cache use of each check so far, in order.
        var seen: [String] {
            self.checks.withLock { $0.map { "\($0.decision.outcome) \($0.decision.reason) \($0.decision.cache)" } }
        }
    }

    /// Fails every credential verification, so the check ends as `internal_error`.
    struct Broken: Authenticator {
        struct Failure: Error {}
        func identity(for request: AuthzRequest, policyIndex: Int, caller: CallerFacts) async throws -> Identity {
            throw Failure()
        }
        func addCredentials(
            of request: AuthzRequest, policyIndex: Int, caller: CallerFacts, to key: inout some CacheKeyBuilder
        ) {}
    }

    static func service(
        authenticator: any Authenticator = AnonymousAuthenticator(), observer: RecordingObserver
    ) throws -> AuthorizationService {
        let authorizer = try AuthorizationServiceDeciderTests.authorizer(authenticator: authenticator)
        return AuthorizationService(
            decider: CachingAuthorizer(authorizer: authorizer), logger: Logger(label: "test"), observer: observer)
    }

    /// Runs one check to its response, the way both transports do; returns the response's reason.
    static func check(_ service: AuthorizationService, path: String) async -> String? {
        let response =
            switch service.prepare(InProcessServer.request(path: path), caller: CallerFacts()) {
            case .answered(let response): response
            case .pending(let pending): await pending.response()
            }
        return response.dynamicMetadata.fields["reason"]?.stringValue
    }

    @Test("Allow (computed, then a cache hit), deny, and a denial before any policy are each observed once")
    func oncePerCheck() async throws {
        let observer = RecordingObserver()
        let service = try Self.service(observer: observer)
        #expect(await Self.check(service, path: "/public/a") == "allowed")
        #expect(observer.seen == ["allow allowed miss"])
        #expect(await Self.check(service, path: "/public/a") == "allowed")
        #expect(observer.seen == ["allow allowed miss", "allow allowed hit"])
        #expect(await Self.check(service, path: "/private/a") == "no_matching_rule")
        #expect(await Self.check(service, path: "/public/%2e%2e/a") == "ambiguous_path")
        _ = service.callerNotAllowed(InProcessServer.request(path: "/public/a"))
        #expect(
            observer.seen == [
                "allow allowed miss", "allow allowed hit", "deny no_matching_rule miss", "deny ambiguous_path bypass",
                "deny caller_not_allowed bypass",
            ])
        // Durations are on a monotonic clock: none is negative (wrapped) or absurd.
        #expect(observer.checks.withLock { $0.allSatisfy { $0.elapsed < 10_000_000_000 } })
    }

    @Test("A check that fails inside Gatehouse is observed once, as the internal_error denial it answers")
    func internalError() async throws {
        let observer = RecordingObserver()
        let service = try Self.service(authenticator: Broken(), observer: observer)
        #expect(await Self.check(service, path: "/public/a") == "internal_error")
        #expect(observer.seen.count == 1)
        #expect(observer.seen.first?.hasPrefix("deny internal_error") == true)
    }
}
