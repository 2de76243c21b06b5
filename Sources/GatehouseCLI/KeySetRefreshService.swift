import GatehouseIdentity
import ServiceLifecycle

/// Runs the key-set refresh loops beside the gRPC server, until graceful shutdown.
struct KeySetRefreshService: Service {
    let registry: KeySetRegistry

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.registry.run()
        }
    }
}
