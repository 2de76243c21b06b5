import GatehouseCore

/// A refusal inside the reload pipeline, before it is recorded as a ``ReloadFailure``.
struct ReloadError: Error, Sendable {
    /// The step that refused.
    var stage: ReloadStage
    /// A stable code (`source_changing`, `compile_failed`, `tests_failed`, …).
    var code: String
    /// What, where and how to fix.
    var message: String

    init(_ stage: ReloadStage, _ code: String, _ message: String) {
        self.stage = stage
        self.code = code
        self.message = message
    }
}
