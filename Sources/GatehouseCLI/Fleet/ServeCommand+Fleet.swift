import GatehouseCore
import GatehouseFleet
import Logging

extension ServeCommand {
    /// This server's replica of the fleet (`fleet.*`), or `nil` when `fleet.postgres` is not set.
    ///
    /// - Parameters:
    ///   - settings: `fleet.*`.
    ///   - instance: The decision log's instance id, the replica's name unless `fleet.replica` sets one.
    ///   - pipeline: The reload pipeline the fleet's revisions go through.
    ///   - activations: Wakes after each activation, to report it.
    /// - Throws: `ExitStatus.usage` (exit 2), after printing why, when the replica has no name
    ///   or the URL cannot be used.
    static func fleetReplica(
        _ settings: FleetServeSettings, instance: String?, pipeline: any PolicyAdministration,
        activations: AsyncStream<Void>
    ) throws -> FleetReplica? {
        guard settings.postgres != nil else { return nil }
        guard let name = settings.replica ?? instance else {
            Console.printError(
                "fleet.replica: the decision log is off, so there is no instance id to name this replica by; set fleet.replica."
            )
            throw ExitStatus.usage.exitCode
        }
        let configuration: PostgresFleetConfiguration
        do {
            // Set, so not nil; its URL was checked when the settings loaded.
            configuration = try settings.configuration(replica: name)!
        } catch {
            Console.printError("fleet.postgres: \(error)")
            throw ExitStatus.usage.exitCode
        }
        let logger = Logger(label: "gatehouse.fleet")
        return FleetReplica(
            FleetReplica.Settings(
                coordinator: PostgresFleetCoordinator(configuration: configuration, logger: logger),
                pipeline: pipeline, activations: activations, logger: logger))
    }

    /// `onOutcome`, after waking `activated` whenever a revision was activated.
    static func signalling(
        _ activated: AsyncStream<Void>.Continuation,
        then onOutcome: @escaping @Sendable (ReloadOutcome, ReloadRequest, Duration) -> Void
    ) -> @Sendable (ReloadOutcome, ReloadRequest, Duration) -> Void {
        { outcome, request, duration in
            if case .activated = outcome { activated.yield() }
            onOutcome(outcome, request, duration)
        }
    }
}

extension ServeCommand {
    /// What the admin API acts on: the server's own policy, published to the fleet when there is one.
    static func administration(
        _ base: ShadowingAdministration, fleet: FleetReplica?
    ) -> any PolicyAdministration & PolicyShadowing {
        guard let fleet else { return base }
        return FleetAdministration(base: base, replica: fleet)
    }
}
