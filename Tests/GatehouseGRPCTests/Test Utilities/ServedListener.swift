import GatehouseGRPC
import Logging
import ServiceLifecycle

/// The server failed before it announced its address.
struct ServerStartError: Error, CustomStringConvertible {
    var description: String
}

/// Runs `server` in a `ServiceGroup` while `body` runs, and shuts it down gracefully afterwards,
/// whether `body` returns or throws, as `withGRPCServer` does.
///
/// - Parameters:
///   - makeServer: The server, given the function its `onListening` must call with the address.
///   - beforeShutdown: Runs before the graceful shutdown (e.g. to release held checks).
///   - body: The test, given the address the server announced (`HOST:PORT` or `unix:PATH`) and
///     its group (to begin shutdown early).
/// - Throws: ``ServerStartError`` when the server stops before it listens, or what `body` throws.
func withServedListener<Result>(
    logger: Logger,
    makeServer: (_ onListening: @escaping @Sendable (ListenerConfiguration, String) -> Void) -> GRPCServerService,
    beforeShutdown: () -> Void = {},
    _ body: (_ announced: String, _ group: ServiceGroup) async throws -> Result
) async throws -> Result {
    let (addresses, listening) = AsyncStream<String>.makeStream()
    let server = makeServer { _, address in listening.yield(address) }
    let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [server], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask {
            defer { listening.finish() }
            try await group.run()
        }
        var iterator = addresses.makeAsyncIterator()
        guard let announced = await iterator.next() else {
            try await tasks.waitForAll()
            throw ServerStartError(description: "The server stopped before it listened.")
        }
        let result: Result
        do {
            result = try await body(announced, group)
        } catch {
            beforeShutdown()
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
        beforeShutdown()
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return result
    }
}
