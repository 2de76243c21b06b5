import GatehouseCore
import GatehouseIdentity
import GatehousePolicy
import Logging

/// The server's own composition (``IdentityLoader``) for a compiled policy set, as `gatehouse
/// serve` builds it; key sets come from files, so nothing is fetched.
enum ServerAuthenticators {
    static func load(_ compiled: CompiledPolicySet) throws(IdentityError) -> PolicyAuthenticators {
        try IdentityLoader.load(
            compiled.authentication, keySets: KeySetRegistry(fetcher: HTTPFetcher(), logger: Logger(label: "test")))
    }
}
