import GatehouseCache
import GatehouseCore
import GatehouseGRPC
import Logging

extension AuthorizationService {
    /// A service deciding through its own decision cache, as `gatehouse serve` wires it.
    ///
    /// - Parameters:
    ///   - cache: The decision cache settings; on by default.
    ///   - metadata: The answers' metadata fields; the server's default (lean) by default.
    init(
        authorizer: Authorizer,
        cache: DecisionCacheSettings = DecisionCacheSettings(),
        callerPolicy: CallerPolicy = .anyCaller,
        logger: Logger,
        metadata: MetadataFields = .lean
    ) {
        self.init(
            decider: CachingAuthorizer(authorizer: authorizer, settings: cache), callerPolicy: callerPolicy,
            logger: logger, metadata: metadata)
    }
}
