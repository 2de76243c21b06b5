import GatehouseCore
import GatehouseIdentity
import GatehousePolicy

extension PolicyReloader {
    /// Verifies and compiles an uploaded bundle exactly as an upload would be (the fetch, verify and
    /// compile stages, signatures required when `bundles.requireSignature` says so) without
    /// activating it, loading its key sets or keeping it in the bundle store: a shadow candidate.
    ///
    /// Runs on the reloader actor, so it never interleaves with a reload.
    func compileShadowCandidate(_ bytes: [UInt8], requestedBy: String?) async -> Result<DecisionTree, ReloadFailure> {
        var staged: Staged?
        defer { if let staged { self.discard(staged) } }
        do throws(ReloadError) {
            staged = try await self.stage(.upload(bytes))
            guard let staged else { throw ReloadError(.fetch, "source_unreadable", "The upload held no bundle.") }
            let compiled = try await self.compile(staged)
            return .success(DecisionTree(revision: staged.revision, policies: compiled.tree.policies))
        } catch {
            return .failure(
                ReloadFailure(
                    trigger: .upload, requestedBy: requestedBy, source: "shadow upload",
                    at: RemoteKeySet.systemWallClock(), stage: error.stage, code: error.code, message: error.message))
        }
    }
}
