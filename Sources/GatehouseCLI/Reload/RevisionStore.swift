import Foundation
import GatehouseCore

/// The activated revisions kept on disk, newest first: what a restart without the source serves,
/// and what a rollback goes back to.
///
/// Layout under ``root``: `revisions/<revision>/` (the policy files as they were activated) with
/// `revisions/<revision>.json` (source and time of the activation), and `staging/` for snapshots
/// being checked. A revision directory is only ever created by a rename of a complete snapshot,
/// so a crash leaves either the whole revision or none of it.
struct RevisionStore: Sendable {
    /// One kept revision.
    struct Kept: Sendable, Hashable, Codable {
        var revision: String
        /// Where the revision was loaded from when it was activated.
        var source: String
        /// Seconds since 1970, of its latest activation.
        var activatedAt: Double
    }

    let root: String
    let keep: Int

    /// A fresh directory under `staging/` for a snapshot.
    func stagingDirectory() throws(ReloadError) -> String {
        let path = self.root + "/staging/" + UUID().uuidString
        do {
            try FileManager.default.createDirectory(
                atPath: self.root + "/staging", withIntermediateDirectories: true)
        } catch {
            throw ReloadError(
                .fetch, "store_unwritable",
                "The bundle store '\(self.root)' cannot be written: \(error.localizedDescription); fix bundles.store or its permissions."
            )
        }
        return path
    }

    /// Where a kept revision's files are.
    func directory(of revision: String) -> String { self.root + "/revisions/" + revision }

    /// Keeps the snapshot at `staged` as `revision` (replacing nothing if already kept), records
    /// the activation, and drops the oldest revisions beyond ``keep``.
    func commit(staged: String, revision: String, source: String, at time: Date = Date()) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: self.root + "/revisions", withIntermediateDirectories: true)
        let target = self.directory(of: revision)
        if staged != target {
            if manager.fileExists(atPath: target) {
                try? manager.removeItem(atPath: staged)
            } else {
                try manager.moveItem(atPath: staged, toPath: target)
            }
        }
        let record = Kept(revision: revision, source: source, activatedAt: time.timeIntervalSince1970)
        // Written beside, then renamed over: a reader sees the old record or the new one.
        let temporary = target + ".json.tmp"
        try JSONEncoder().encode(record).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, target + ".json") == 0 else {
            throw ReloadError(.activate, "store_unwritable", "The bundle store '\(self.root)' cannot be written.")
        }
        for old in self.kept().dropFirst(self.keep) {
            try? manager.removeItem(atPath: self.directory(of: old.revision))
            try? manager.removeItem(atPath: self.directory(of: old.revision) + ".json")
        }
    }

    /// The kept revisions, the latest activated first.
    func kept() -> [Kept] {
        let folder = self.root + "/revisions"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let decoder = JSONDecoder()
        return names.filter { $0.hasSuffix(".json") }.compactMap { name -> Kept? in
            guard let data = FileManager.default.contents(atPath: folder + "/" + name),
                let record = try? decoder.decode(Kept.self, from: data),
                FileManager.default.fileExists(atPath: self.directory(of: record.revision))
            else { return nil }
            return record
        }.sorted { $0.activatedAt > $1.activatedAt }
    }

    /// Whether a revision loaded from `source` is kept (what a start-up without the source would serve).
    func keepsRevision(of source: String) -> Bool {
        self.kept().contains { $0.source == source }
    }

    /// Removes a snapshot that was not activated.
    func discard(_ staged: String) {
        guard staged.hasPrefix(self.root + "/staging/") else { return }
        try? FileManager.default.removeItem(atPath: staged)
    }
}
