import GatehouseCore

/// The recent activations and refusals `status()` reports, newest first, bounded.
struct ReloadHistory: Sendable {
    /// How many of each are kept.
    static let limit = 20

    private(set) var activations: [PolicyActivation] = []
    private(set) var failures: [ReloadFailure] = []
    /// The most recent refusal, kept even after later activations.
    var lastFailure: ReloadFailure? { self.failures.first }

    mutating func record(_ activation: PolicyActivation) {
        self.activations.insert(activation, at: 0)
        if self.activations.count > Self.limit { self.activations.removeLast() }
    }

    mutating func record(_ failure: ReloadFailure) {
        self.failures.insert(failure, at: 0)
        if self.failures.count > Self.limit { self.failures.removeLast() }
    }
}
