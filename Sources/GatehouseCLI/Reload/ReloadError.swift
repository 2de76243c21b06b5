package import GatehouseCore

/// A refusal inside the reload pipeline, before it is recorded as a ``ReloadFailure``.
package struct ReloadError: Error, Sendable {
    /// The step that refused.
    package var stage: ReloadStage
    /// A stable code (`source_changing`, `compile_failed`, `tests_failed`, …).
    package var code: String
    /// What, where and how to fix.
    package var message: String

    package init(_ stage: ReloadStage, _ code: String, _ message: String) {
        self.stage = stage
        self.code = code
        self.message = message
    }
}
