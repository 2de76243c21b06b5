import ArgumentParser
import GatehouseAudit

/// `--store PATH|URL`: the decision log a command reads, the file or `postgres://` URL `gatehouse
/// serve` writes (`audit.store`).
///
/// One name for every command that reads the log (`audit query|verify|prove|consistency`,
/// `policy diff --replay`), the configuration key's. `--db`, the audit commands' first name for
/// it, still works and is hidden from the help.
struct DecisionLogOption: ParsableArguments {
    @Option(
        name: .customLong("store"),
        help:
            "The decision log, as audit.store names it: a file or postgres:// URL (default: \(AuditStore.defaultPath))."
    )
    var store: String?

    // Kept so that scripts written for the first release still run; not shown in the help.
    @Option(name: .customLong("db"), help: .hidden) var legacyDB: String?

    /// The file to read: `--store`, else `--db`, else the default.
    var path: String { self.store ?? self.legacyDB ?? AuditStore.defaultPath }

    func validate() throws {
        if let store = self.store, let legacy = self.legacyDB, store != legacy {
            throw ValidationError("--store '\(store)' and --db '\(legacy)' name different files; pass only --store.")
        }
    }
}
