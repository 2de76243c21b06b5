package import EnvoyAuthAPI
package import GRPCCore
package import GatehouseCore

/// `grpc.health.v1.Health`: SERVING only while a policy revision is active.
///
/// The overall service (`""`) and `envoy.service.auth.v3.Authorization` are known; any other
/// name is `SERVICE_UNKNOWN` (Check answers NOT_FOUND; Watch sends SERVICE_UNKNOWN and stays
/// open, as the protocol asks).
package struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    private let isServing: @Sendable () -> Bool
    private let pollInterval: Duration

    /// - Parameters:
    ///   - isServing: Whether the server can decide checks now.
    ///   - pollInterval: How often `Watch` re-reads the status.
    package init(pollInterval: Duration = .seconds(1), isServing: @escaping @Sendable () -> Bool) {
        self.isServing = isServing
        self.pollInterval = pollInterval
    }

    /// The service names this health service answers for.
    package static let knownServices: Set<String> = ["", "envoy.service.auth.v3.Authorization"]

    package func check(
        request: Grpc_Health_V1_HealthCheckRequest,
        context: ServerContext
    ) async throws -> Grpc_Health_V1_HealthCheckResponse {
        guard Self.knownServices.contains(request.service) else {
            throw RPCError(code: .notFound, message: "Unknown service '\(request.service)'.")
        }
        return self.response()
    }

    package func watch(
        request: Grpc_Health_V1_HealthCheckRequest,
        response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
        context: ServerContext
    ) async throws {
        guard Self.knownServices.contains(request.service) else {
            var unknown = Grpc_Health_V1_HealthCheckResponse()
            unknown.status = .serviceUnknown
            try await response.write(unknown)
            // The protocol keeps the call open in case the service becomes known; none ever does here.
            while !context.cancellation.isCancelled, !Task.isCancelled {
                try await Task.sleep(for: self.pollInterval)
            }
            return
        }
        var last: Grpc_Health_V1_HealthCheckResponse.ServingStatus? = nil
        // gRPC cancels an RPC (client gone, server shutting down) through the context, not the task.
        while !context.cancellation.isCancelled, !Task.isCancelled {
            let current = self.response()
            if current.status != last {
                try await response.write(current)
                last = current.status
            }
            try await Task.sleep(for: self.pollInterval)
        }
    }

    private func response() -> Grpc_Health_V1_HealthCheckResponse {
        Self.response(isServing: self.isServing())
    }

    /// SERVING or NOT_SERVING: the answer for a known service, here and on the direct transport.
    static func response(isServing: Bool) -> Grpc_Health_V1_HealthCheckResponse {
        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = isServing ? .serving : .notServing
        return response
    }
}
