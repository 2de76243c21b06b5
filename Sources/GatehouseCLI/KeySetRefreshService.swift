import GatehouseIdentity
import ServiceLifecycle

/// Runs the key-set refresh loops beside the gRPC server, until graceful shutdown.
struct KeySetRefreshService: Service {
    let registry: KeySetRegistry

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.registry.run()
        }
        // With no URL key sets there is nothing to refresh; a service that returned early would
        // stop the whole group, so stay until the server shuts down.
        try? await gracefulShutdown()
    }
}
