/// Why a replica is not active on the fleet's desired revision: its last attempt to fetch,
/// verify, compile or test it was refused, and it kept enforcing the revision it had.
package struct FleetRefusal: Sendable, Hashable {
    /// The desired revision the replica tried to activate.
    package var desired: FleetRevision
    /// The pipeline's stable refusal code (`revision_mismatch`, `digest_mismatch`, `compile_failed`, …).
    package var code: String
    /// The pipeline's message: what went wrong, where, and how to fix it.
    package var message: String

    package init(desired: FleetRevision, code: String, message: String) {
        self.desired = desired
        self.code = code
        self.message = message
    }
}
