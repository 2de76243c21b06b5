import GatehouseCore
import Synchronization

/// A ``PolicyAdministration`` that answers what the test sets and records what it was asked.
final class FakeAdministration: PolicyAdministration {
    /// One call the API made.
    enum Call: Equatable {
        case reload(ReloadRequest)
        case upload(bytes: Int, ReloadRequest)
        case rollback(String?, ReloadRequest)
    }

    private let state = Mutex<(outcome: ReloadOutcome, status: PolicyStatus, calls: [Call])>(
        (.unchanged(revision: "rev-1"), FakeAdministration.status, []))

    init(outcome: ReloadOutcome = .unchanged(revision: "rev-1")) {
        self.state.withLock { $0.outcome = outcome }
    }

    var calls: [Call] { self.state.withLock { $0.calls } }

    func status() async -> PolicyStatus { self.state.withLock { $0.status } }

    func reload(_ request: ReloadRequest) async -> ReloadOutcome {
        self.state.withLock {
            $0.calls.append(.reload(request))
            return $0.outcome
        }
    }

    func activate(uploadedBundle bundle: [UInt8], request: ReloadRequest) async -> ReloadOutcome {
        self.state.withLock {
            $0.calls.append(.upload(bytes: bundle.count, request))
            return $0.outcome
        }
    }

    func rollback(to revision: String?, request: ReloadRequest) async -> ReloadOutcome {
        self.state.withLock {
            $0.calls.append(.rollback(revision, request))
            return $0.outcome
        }
    }

    /// 2026-01-01T00:00:00Z.
    static let now = UnixTime(seconds: 1_767_225_600)

    static let activation = PolicyActivation(
        revision: "rev-2", source: "policies", trigger: .notify, requestedBy: "token:ci",
        activatedAt: UnixTime(seconds: 1_767_225_590, nanoseconds: 250_000_000), duration: .milliseconds(120),
        policies: 3, rules: 42, signedBy: ["release-2026"])

    static let failure = ReloadFailure(
        trigger: .upload, requestedBy: "token:ci", source: "upload", at: UnixTime(seconds: 1_767_225_595),
        stage: .compile, code: "compile_failed", message: "policies/a.yaml:3:5: policy_parse_error: bad")

    static let status = PolicyStatus(
        active: activation, isReady: true, lastFailure: failure, history: [activation], failures: [failure],
        rollbackRevisions: ["rev-2", "rev-1"],
        keySets: [
            KeySetStatus(
                location: "https://idp.example/jwks", isLoaded: true, fetchedAt: UnixTime(seconds: 1_767_225_540),
                keyCount: 2, lastError: "HTTP 503", fetchErrors: 1)
        ],
        cache: {
            var cache = CacheStatistics()
            cache.hits = 10
            cache.misses = 4
            cache.entries = 3
            return cache
        }())
}
