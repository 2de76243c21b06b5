import Foundation

/// Which source each kept revision was loaded from, beside the bundle store's own index
/// (`sources.json` in its folder).
///
/// A start-up whose source cannot be loaded serves the last good revision *of that source*:
/// one store may be shared by servers (or test runs) of different policy directories, and a
/// revision of another source must never stand in for this one.
struct KeptSources: Sendable {
    let root: String

    private var path: String { self.root + "/sources.json" }

    /// Revision → source.
    func read() -> [String: String] {
        guard let data = FileManager.default.contents(atPath: self.path),
            let sources = try? JSONDecoder().decode([String: String].self, from: data)
        else { return [:] }
        return sources
    }

    /// Records `revision` as loaded from `source`, forgetting revisions no longer in `kept`.
    func record(revision: String, source: String, kept: [String]) {
        var sources = self.read().filter { kept.contains($0.key) }
        sources[revision] = source
        guard let data = try? JSONEncoder().encode(sources) else { return }
        // Written beside, then renamed over: a reader sees the old record or the new one.
        let temporary = self.path + ".\(getpid()).tmp"
        guard (try? data.write(to: URL(fileURLWithPath: temporary))) != nil else { return }
        if rename(temporary, self.path) != 0 { try? FileManager.default.removeItem(atPath: temporary) }
    }

    /// Whether a revision loaded from `source` was recorded (what a start-up without the source would serve).
    func hasRevision(of source: String) -> Bool {
        self.read().values.contains(source)
    }
}
