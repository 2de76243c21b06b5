import Foundation
import GatehouseCore

/// The admin API's view of the server's policy: the reload pipeline's answers, plus shadow
/// evaluation (`POST`/`DELETE /v1/policy/shadow`), which the pipeline compiles and the
/// ``Authorizer`` runs beside the active revision.
///
/// Serve hands this to the admin API in place of the bare ``PolicyReloader``; the admin API
/// finds the shadow routes' port by asking whether its administration is a ``PolicyShadowing``.
struct ShadowingAdministration: PolicyAdministration, PolicyShadowing {
    let reloader: PolicyReloader
    let authorizer: Authorizer
    /// Where shadow differences are recorded; `nil` when the decision log is off (counted only).
    let audit: (any AuditSink)?
    /// Now, for the candidate's load time.
    var clock: @Sendable () -> UnixTime = AuthorizationClock.now

    func status() async -> PolicyStatus {
        var status = await self.reloader.status()
        status.shadow = self.authorizer.shadow?.status
        return status
    }

    func reload(_ request: ReloadRequest) async -> ReloadOutcome { await self.reloader.reload(request) }

    func activate(uploadedBundle bundle: [UInt8], request: ReloadRequest) async -> ReloadOutcome {
        await self.reloader.activate(uploadedBundle: bundle, request: request)
    }

    func rollback(to revision: String?, request: ReloadRequest) async -> ReloadOutcome {
        await self.reloader.rollback(to: revision, request: request)
    }

    func loadShadow(bundle: [UInt8], requestedBy: String?) async -> Result<ShadowStatus, ReloadFailure> {
        switch await self.reloader.compileShadowCandidate(bundle, requestedBy: requestedBy) {
        case .failure(let failure): return .failure(failure)
        case .success(let tree):
            guard self.authorizer.revision != nil else {
                return .failure(
                    ReloadFailure(
                        trigger: .upload, requestedBy: requestedBy, source: "shadow upload", at: self.clock(),
                        stage: .activate, code: "no_active_revision",
                        message: "No policy revision is active, so there is nothing to compare a shadow candidate "
                            + "with; activate one first (PUT /v1/policy/bundle or the configured source)."))
            }
            let candidate = ShadowPolicy(
                tree: tree, loadedAt: self.clock(), loadedBy: requestedBy, sink: self.audit,
                newRecordID: Self.newRecordID)
            self.authorizer.loadShadow(candidate)
            return .success(candidate.status)
        }
    }

    func unloadShadow(requestedBy: String?) async -> ShadowStatus? {
        self.authorizer.loadShadow(nil)?.status
    }

    func shadowStatus() -> ShadowStatus? { self.authorizer.shadow?.status }

    /// 32 random lower-case hex digits, the shape of a decision id.
    static func newRecordID() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }
}

/// The system's real-time clock as a ``UnixTime``.
enum AuthorizationClock {
    static let now: @Sendable () -> UnixTime = {
        let now = Date().timeIntervalSince1970
        let seconds = now.rounded(.down)
        return UnixTime(seconds: Int64(seconds), nanoseconds: Int32((now - seconds) * 1e9))
    }
}
