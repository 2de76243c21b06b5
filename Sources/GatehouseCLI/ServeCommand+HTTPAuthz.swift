import GatehouseCore
import GatehouseGRPC
import GatehouseHTTPAuthz
import Logging
import NIOCore
import NIOPosix

extension ServeCommand {
    /// The HTTP ext_authz door, when configured, and the event loops it shares with the gRPC listeners.
    struct FrontDoors {
        /// The door; `nil` without `httpAuthz.listeners`.
        let http: HTTPAuthzService?
        /// The loops both doors serve on; `nil` lets the gRPC service run its own.
        let group: MultiThreadedEventLoopGroup?

        /// Stops the shared loops once both doors have stopped (after the service group returns).
        func shutdown() async {
            try? await self.group?.shutdownGracefully()
        }
    }

    /// The HTTP door over `pipeline` on the gRPC listeners' number of loops, shared with them.
    static func frontDoors(
        _ configuration: ServeConfiguration, pipeline: CheckPipeline,
        peerVerifiers: [ListenerConfiguration.Address: any ListenerPeerVerifier], logger: Logger
    ) -> FrontDoors {
        guard !configuration.httpAuthz.listeners.isEmpty else { return FrontDoors(http: nil, group: nil) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.grpc.resolvedEventLoopThreads)
        let http = HTTPAuthzService(
            configuration: configuration.httpAuthz, pipeline: pipeline, group: group, logger: logger,
            peerVerifiers: peerVerifiers)
        return FrontDoors(http: http, group: group)
    }
}
