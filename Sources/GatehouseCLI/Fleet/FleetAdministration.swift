import GatehouseCore

/// The admin API's view of a fleet replica's policy: the server's own (``ShadowingAdministration``),
/// with notify and rollback published to the fleet and the fleet shown in the status.
///
/// Notify and rollback run on this replica first, through the pipeline as without a fleet; only
/// what that activated (or found active already) is published, so a revision this replica
/// refuses never reaches the others. An upload stays on this replica: its bytes are here only,
/// and the others could not fetch them (publish it to the shared source and notify instead).
struct FleetAdministration: PolicyAdministration, PolicyShadowing {
    let base: ShadowingAdministration
    let replica: FleetReplica

    func status() async -> PolicyStatus {
        var status = await self.base.status()
        status.fleet = await self.replica.status()
        return status
    }

    func reload(_ request: ReloadRequest) async -> ReloadOutcome {
        let outcome = await self.base.reload(request)
        guard request.trigger == .notify else { return outcome }
        return await self.replica.publish(after: outcome, request: request)
    }

    func activate(uploadedBundle bundle: [UInt8], request: ReloadRequest) async -> ReloadOutcome {
        await self.base.activate(uploadedBundle: bundle, request: request)
    }

    func rollback(to revision: String?, request: ReloadRequest) async -> ReloadOutcome {
        let outcome = await self.base.rollback(to: revision, request: request)
        return await self.replica.publish(after: outcome, request: request)
    }

    func loadShadow(bundle: [UInt8], requestedBy: String?) async -> Result<ShadowStatus, ReloadFailure> {
        await self.base.loadShadow(bundle: bundle, requestedBy: requestedBy)
    }

    func unloadShadow(requestedBy: String?) async -> ShadowStatus? {
        await self.base.unloadShadow(requestedBy: requestedBy)
    }

    func shadowStatus() -> ShadowStatus? { self.base.shadowStatus() }
}
