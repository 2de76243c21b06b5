package import GatehouseCore
import Hummingbird
import Logging
import NIOCore

extension AdminDTO {
    /// `GET`, `POST` and `DELETE /v1/policy/shadow`: the candidate evaluated in shadow and its counters.
    package struct Shadow: Codable, Sendable, Hashable {
        /// `loaded`, `unloaded`, or `none`.
        package var state: String
        package var revision: String?
        package var loadedAt: String?
        package var loadedBy: String?
        package var evaluated: UInt64
        package var differing: UInt64
        package var skipped: UInt64
        package var unrecorded: UInt64
        package var differences: [Difference]

        /// One counter: the candidate's deciding rule (absent when none decided) and the change.
        package struct Difference: Codable, Sendable, Hashable {
            package var rule: String?
            package var change: String
            package var count: UInt64
        }

        package init(_ status: ShadowStatus?, state: String) {
            self.state = status == nil ? "none" : state
            self.revision = status?.revision
            self.loadedAt = status.map { AdminDTO.text($0.loadedAt) }
            self.loadedBy = status?.loadedBy
            let counts = status?.counts ?? ShadowStatus.Counts()
            self.evaluated = counts.evaluated
            self.differing = counts.differing
            self.skipped = counts.skipped
            self.unrecorded = counts.unrecorded
            self.differences = counts.byRule.keys.sorted().map {
                Difference(rule: $0.rule, change: $0.change.rawValue, count: counts.byRule[$0]!)
            }
        }
    }
}

extension AdminAPI {
    /// `GET /v1/policy/shadow` (auditor), `POST /v1/policy/shadow` with a bundle and
    /// `DELETE /v1/policy/shadow` (admin), when the administration offers shadow evaluation
    /// (`gatehouse serve` always does); otherwise the routes do not exist (404), like `/v1/decisions`
    /// without a decision log.
    func addShadowRoutes(to router: Router<AdminRequestContext>) {
        guard let shadowing = self.administration as? any PolicyShadowing else { return }
        router.get("/v1/policy/shadow") { request, context in
            try await self.authorized(request, context, action: "shadow status", needs: .auditor, level: .info) { _ in
                return AdminAnswer(AdminResponse.json(AdminDTO.Shadow(shadowing.shadowStatus(), state: "loaded")))
            }
        }
        router.post("/v1/policy/shadow") { request, context in
            try await self.authorized(request, context, action: "shadow load", needs: .admin, level: .notice) {
                caller in
                let bundle = try await self.bundleBody(
                    request, missing: "send the candidate bundle's .tar.gz bytes (gatehouse bundle build)")
                switch await shadowing.loadShadow(bundle: bundle, requestedBy: caller.description) {
                case .success(let status):
                    return AdminAnswer(
                        AdminResponse.json(AdminDTO.Shadow(status, state: "loaded")),
                        outcome: "shadow loaded \(status.revision)")
                case .failure(let failure):
                    return AdminAnswer(
                        AdminResponse.json(
                            AdminDTO.Outcome(.refused(failure)),
                            status: failure.code == "no_active_revision" ? .conflict : .unprocessableContent),
                        outcome: "refused \(failure.stage.rawValue) \(failure.code)")
                }
            }
        }
        router.delete("/v1/policy/shadow") { request, context in
            try await self.authorized(request, context, action: "shadow unload", needs: .admin, level: .notice) {
                caller in
                let status = await shadowing.unloadShadow(requestedBy: caller.description)
                return AdminAnswer(
                    AdminResponse.json(AdminDTO.Shadow(status, state: "unloaded")),
                    outcome: status.map { "shadow unloaded \($0.revision)" } ?? "no shadow loaded")
            }
        }
    }
}
