import GatehouseCore
import GatehouseIdentity
import GatehousePolicy
import Logging

/// The server's own composition (``IdentityLoader``) for a compiled policy set whose issuers
/// name key files, as `gatehouse serve` builds it.
enum TokenAuthenticator {
    static func load(_ compiled: CompiledPolicySet) throws -> PolicyAuthenticators {
        try IdentityLoader.load(
            compiled, keySets: KeySetRegistry(fetcher: HTTPFetcher(), logger: Logger(label: "test")))
    }
}
