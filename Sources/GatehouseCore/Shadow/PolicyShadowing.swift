/// What the admin API may ask about shadow evaluation: load a candidate bundle beside the active
/// policy, unload it, and report its counters.
///
/// The port belongs to GatehouseAdmin; the CLI implements it with the reload pipeline's verify
/// and compile stages (never its activate stage) and hands the compiled candidate to the
/// ``Authorizer`` (``Authorizer/loadShadow(_:)``).
package protocol PolicyShadowing: Sendable {
    /// Verifies and compiles `bundle` (the bytes of a `.tar.gz` bundle) and evaluates it in shadow,
    /// replacing any candidate loaded before.
    ///
    /// - Returns: The candidate's status, or the refusal (stage, code, message) with nothing changed.
    func loadShadow(bundle: [UInt8], requestedBy: String?) async -> Result<ShadowStatus, ReloadFailure>

    /// Stops shadow evaluation; returns the unloaded candidate's final counters, `nil` when none was loaded.
    func unloadShadow(requestedBy: String?) async -> ShadowStatus?

    /// The loaded candidate's counters, if one is loaded.
    func shadowStatus() -> ShadowStatus?
}
