import GatehouseCache
import GatehouseCore
import GatehouseGRPC
import Logging

extension AuthorizationService {
    /// A service deciding through its own decision cache, as `gatehouse serve` wires it.
    ///
    /// - Parameter cache: The decision cache settings; on by default.
    init(
        authorizer: Authorizer,
        cache: DecisionCacheSettings = DecisionCacheSettings(),
        callerPolicy: CallerPolicy = .anyCaller,
        logger: Logger
    ) {
        self.init(
            decider: CachingAuthorizer(authorizer: authorizer, settings: cache), callerPolicy: callerPolicy,
            logger: logger)
    }
}
