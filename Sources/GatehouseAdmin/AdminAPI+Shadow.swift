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
    /// `DELETE /v1/policy/shadow` (admin); 501 when the server offers no shadow evaluation.
    func addShadowRoutes(to router: Router<AdminRequestContext>) {
        router.get("/v1/policy/shadow") { request, context in
            try await self.authorized(request, context, action: "shadow status", needs: .auditor, level: .info) { _ in
                let shadowing = try self.shadowing()
                return AdminAnswer(AdminResponse.json(AdminDTO.Shadow(shadowing.shadowStatus(), state: "loaded")))
            }
        }
        router.post("/v1/policy/shadow") { request, context in
            try await self.authorized(request, context, action: "shadow load", needs: .admin, level: .notice) {
                caller in
                let shadowing = try self.shadowing()
                let bundle = try await self.shadowBundle(request)
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
                let shadowing = try self.shadowing()
                let status = await shadowing.unloadShadow(requestedBy: caller.description)
                return AdminAnswer(
                    AdminResponse.json(AdminDTO.Shadow(status, state: "unloaded")),
                    outcome: status.map { "shadow unloaded \($0.revision)" } ?? "no shadow loaded")
            }
        }
    }

    /// The shadowing port, if the administration offers it.
    private func shadowing() throws -> any PolicyShadowing {
        guard let shadowing = self.administration as? any PolicyShadowing else {
            throw AdminRequestError(
                status: .notImplemented, code: "shadow_unavailable",
                message: "This server does not evaluate shadow candidates.")
        }
        return shadowing
    }

    /// The body of `POST /v1/policy/shadow`: a bundle's `.tar.gz` bytes, at most ``maxBundleBytes``.
    private func shadowBundle(_ request: Request) async throws -> [UInt8] {
        let limit = self.maxBundleBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw AdminRequestError.tooLarge(limit: limit)
        }
        let bytes: ByteBuffer
        do {
            bytes = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw AdminRequestError.tooLarge(limit: limit)
        }
        guard bytes.readableBytes > 0 else {
            throw AdminRequestError(
                status: .badRequest, code: "empty_bundle",
                message: "The request has no body; send the candidate bundle's .tar.gz bytes (gatehouse bundle build).")
        }
        return Array(buffer: bytes)
    }
}
