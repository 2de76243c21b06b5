import EnvoyAuthAPI
import GRPCCore
import Testing

@Suite("gRPC health")
struct HealthServiceTests {
    static let policy = "kind: Policy\nname: p\nrules:\n  - { name: r, action: allow, paths: [/a] }\n"

    @Test("SERVING once a policy is active, for the server and for the Authorization service")
    func serving() async throws {
        let statuses = try await InProcessServer.with(policy: Self.policy) { _, health in
            var overall = Grpc_Health_V1_HealthCheckRequest()
            overall.service = ""
            var authorization = Grpc_Health_V1_HealthCheckRequest()
            authorization.service = "envoy.service.auth.v3.Authorization"
            return [try await health.check(overall).status, try await health.check(authorization).status]
        }
        #expect(statuses == [.serving, .serving])
    }

    @Test("NOT_SERVING while no policy is active")
    func notServing() async throws {
        let status = try await InProcessServer.with(policy: nil) { _, health in
            try await health.check(Grpc_Health_V1_HealthCheckRequest()).status
        }
        #expect(status == .notServing)
    }

    @Test("An unknown service name is NOT_FOUND")
    func unknownService() async throws {
        await #expect(throws: RPCError.self) {
            try await InProcessServer.with(policy: Self.policy) { _, health in
                var request = Grpc_Health_V1_HealthCheckRequest()
                request.service = "no.such.Service"
                return try await health.check(request).status
            }
        }
    }

    @Test("Watch streams the current status first")
    func watch() async throws {
        let first = try await InProcessServer.with(policy: Self.policy) { _, health in
            try await health.watch(Grpc_Health_V1_HealthCheckRequest()) {
                response -> Grpc_Health_V1_HealthCheckResponse.ServingStatus? in
                for try await message in response.messages { return message.status }
                return nil
            }
        }
        #expect(first == .serving)
    }
}
