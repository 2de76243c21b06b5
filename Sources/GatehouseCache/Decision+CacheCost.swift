import GatehouseCore

extension Decision {
    /// What keeping the decision costs, in bytes, for the cache's byte bound: see ``CachedDecision/cost``.
    package var cacheCost: Int { CachedDecision(self, pool: nil).cost }
}
