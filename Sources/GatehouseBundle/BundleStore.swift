import Foundation
import GatehouseCore
import Synchronization

/// Where verified bundles live on disk: staged copies to compile from, and the last few
/// activated revisions for rollback and for a restart without the source.
///
/// Layout under `root` (default `.gatehouse/bundles`):
/// - `revisions/<id>/`: one verified copy per staged bundle, with its `.manifest.json` (derived
///   for a plain directory) and `.signatures.json`. A staged copy stays where it is when it is
///   committed, so a compiled policy's paths stay valid while it serves.
/// - `kept.json`: the committed copies, newest first (at most `keep`), changed under a file
///   lock so that servers sharing a store (or test runs in one checkout) all see every commit.
///
/// A copy that is neither kept, nor staged or active in this process, is deleted when the store
/// opens and at each commit once it is older than `abandonedAfter` (a crash between stage and
/// commit, a revision that fell out of the last `keep`); the grace period keeps another
/// process's copy that is being staged right now.
///
/// ```swift
/// let store = try BundleStore(root: ".gatehouse/bundles")
/// let staged = try store.stage(.archive(bytes), policy: policy)
/// do { try activate(compiling: staged.directory); try store.commit(staged) }
/// catch { store.discard(staged); throw error }
/// ```
package final class BundleStore: Sendable {
    /// The store's directory.
    package let root: String
    /// How many committed revisions are kept.
    package let keep: Int
    /// The size limits applied to every source.
    package let limits: BundleLimits

    private let state: Mutex<State>

    private let index: BundleStoreIndex
    private let abandonedAfter: Duration

    private struct State {
        /// Staged copies not yet committed or discarded, by id.
        var staged: Set<String> = []
        /// The copy this process committed last: what it serves, never deleted under it.
        var active: String?
    }

    private var revisionsPath: String { self.root + "/revisions" }

    /// Opens (creating) the store at `root`, and removes old copies that were never committed.
    ///
    /// - Parameters:
    ///   - root: The store's directory.
    ///   - keep: How many committed revisions to keep (at least 1).
    ///   - limits: The size limits for every source.
    ///   - abandonedAfter: How old an uncommitted copy must be before it is deleted (tests pass `.zero`).
    package init(
        root: String = ".gatehouse/bundles", keep: Int = 5, limits: BundleLimits = .init(),
        abandonedAfter: Duration = .seconds(600)
    ) throws(BundleError) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        self.keep = max(1, keep)
        self.limits = limits
        self.abandonedAfter = abandonedAfter
        self.index = BundleStoreIndex(root: self.root)
        self.state = Mutex(State())
        do {
            try FileManager.default.createDirectory(atPath: self.root + "/revisions", withIntermediateDirectories: true)
        } catch {
            throw BundleError(
                .storeFailed,
                "The bundle store '\(self.root)' cannot be created (\(error.localizedDescription)); check the path "
                    + "and its permissions.")
        }
        self.removeAbandoned(kept: Set(self.index.read().map(\.id)))
    }

    /// Snapshots and verifies `source` into a new copy inside the store: limits, paths, manifest
    /// completeness, hashes and signatures per `policy`. Nothing is written outside the store,
    /// and nothing at all when verification fails.
    package func stage(_ source: BundleSource, policy: BundleVerificationPolicy) throws(BundleError) -> StagedBundle {
        try self.stage(source, policy: policy, afterReadingDirectory: {})
    }

    /// ``stage(_:policy:)`` with `hook` run after a directory source was read and before it is
    /// checked for changes: lets tests edit the directory at exactly that moment.
    package func stage(
        _ source: BundleSource, policy: BundleVerificationPolicy, afterReadingDirectory hook: () -> Void
    ) throws(BundleError) -> StagedBundle {
        let files: BundleFiles
        let name: String
        switch source {
        case .directory(let path):
            files = try DirectorySnapshot.read(path, limits: self.limits, afterReading: hook)
            name = URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent
        case .archive(let bytes):
            files = try BundleArchive.read(bytes, limits: self.limits)
            name = "bundle"
        }
        let verified = try BundleContentVerifier.verify(
            files, policy: policy, derivedName: name, created: BundleArchive.rfc3339(Int(Date().timeIntervalSince1970)))
        return try self.write(files, verified: verified)
    }

    /// Records `bundle` (activated by the caller) as the newest kept revision, keeps the last
    /// ``keep``, and deletes older copies and abandoned staged ones.
    package func commit(_ bundle: StagedBundle) throws(BundleError) {
        let id = bundle.storeID
        let record = BundleStoreIndex.Record(
            id: id, revision: bundle.manifest.revision,
            committedAt: BundleArchive.rfc3339(Int(Date().timeIntervalSince1970)))
        let kept = try self.index.update { records in
            // A rollback commits a fresh copy of a kept revision: it replaces the older copy in the list.
            records.removeAll { $0.id == id || $0.revision == record.revision }
            records.insert(record, at: 0)
            records = Array(records.prefix(self.keep))
        }
        self.state.withLock { state in
            state.staged.remove(id)
            state.active = id
        }
        self.removeAbandoned(kept: Set(kept.map(\.id)))
    }

    /// Kept revisions, newest first.
    package func kept() -> [KeptBundle] {
        self.index.read().compactMap { record in
            let directory = self.revisionsPath + "/" + record.id
            guard let bytes = FileManager.default.contents(atPath: directory + "/" + BundleLayout.manifestName),
                let manifest = try? BundleManifest.parse(Array(bytes))
            else { return nil }
            return KeptBundle(
                revision: record.revision, directory: directory, manifest: manifest, committedAt: record.committedAt)
        }
    }

    /// The newest kept copy of `revision`, verified again (hashes and signatures, per `policy`)
    /// and staged as a new copy for activation: a kept copy changed on disk is refused.
    package func restage(revision: String, policy: BundleVerificationPolicy) throws(BundleError) -> StagedBundle {
        guard let kept = self.kept().first(where: { $0.revision == revision }) else {
            let known = self.kept().map(\.revision).joined(separator: ", ")
            throw BundleError(
                .revisionNotKept,
                "The revision '\(BundlePath.quoted(revision))' is not kept in '\(self.root)' (kept: "
                    + "\(known.isEmpty ? "none" : known)); activate it from its source instead.")
        }
        let files = try DirectorySnapshot.read(kept.directory, limits: self.limits)
        guard files[BundleLayout.manifestName] != nil else {
            throw BundleError(
                .manifestInvalid, "The kept copy '\(kept.directory)' has lost its manifest; activate from the source.")
        }
        let verified = try BundleContentVerifier.verify(
            files, policy: policy, derivedName: kept.manifest.name, created: kept.manifest.created)
        return try self.write(files, verified: verified)
    }

    /// Removes a staged copy that was not activated (compile or tests failed).
    package func discard(_ bundle: StagedBundle) {
        let id = bundle.storeID
        self.state.withLock { _ = $0.staged.remove(id) }
        if !self.index.read().contains(where: { $0.id == id }) {
            try? FileManager.default.removeItem(atPath: self.revisionsPath + "/" + id)
        }
    }

    /// Writes verified files into a new copy; removes the partial copy on failure.
    private func write(_ files: BundleFiles, verified: BundleContentVerifier.Verified) throws(BundleError)
        -> StagedBundle
    {
        let stamp = BundleArchive.rfc3339(Int(Date().timeIntervalSince1970))
            .filter { $0.isNumber }
        let id = "\(stamp)-\(UUID().uuidString.prefix(8).lowercased())"
        let directory = self.revisionsPath + "/" + id
        self.state.withLock { _ = $0.staged.insert(id) }
        do {
            let manager = FileManager.default
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: false)
            for name in files.directories.sorted() {
                try manager.createDirectory(atPath: directory + "/" + name, withIntermediateDirectories: true)
            }
            var entries = files.names.filter { !BundlePath.isReserved($0) }.map { ($0, files[$0] ?? []) }
            entries.append((BundleLayout.manifestName, files[BundleLayout.manifestName] ?? verified.manifest.jsonBytes))
            if let signatures = files[BundleLayout.signaturesName] {
                entries.append((BundleLayout.signaturesName, signatures))
            }
            for (name, bytes) in entries {
                let path = directory + "/" + name
                if let slash = name.lastIndex(of: "/") {
                    try manager.createDirectory(
                        atPath: directory + "/" + name[..<slash], withIntermediateDirectories: true)
                }
                try Data(bytes).write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
            }
        } catch {
            self.state.withLock { _ = $0.staged.remove(id) }
            try? FileManager.default.removeItem(atPath: directory)
            throw BundleError(
                .storeFailed,
                "The bundle could not be written to the store '\(self.root)' (\(error.localizedDescription)); check "
                    + "free space and permissions.")
        }
        return StagedBundle(
            directory: directory, manifest: verified.manifest, signedBy: verified.signedBy,
            isManifestDerived: verified.isManifestDerived)
    }

    /// Deletes every copy that is not in `kept`, not staged or active in this process, and older
    /// than `abandonedAfter` (by the time in its id).
    ///
    /// Each copy is checked and deleted under the lock: ``write(_:verified:)`` registers its id
    /// before it creates the directory, so this process's own copy being staged is never taken
    /// for an abandoned one.
    private func removeAbandoned(kept: Set<String>) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: self.revisionsPath)) ?? []
        let now = Date()
        for name in names where !kept.contains(name) {
            let age = Self.stagedAt(name).map { now.timeIntervalSince($0) } ?? .infinity
            guard age >= Double(self.abandonedAfter.components.seconds) else { continue }
            self.state.withLock { state in
                guard !state.staged.contains(name), state.active != name else { return }
                try? FileManager.default.removeItem(atPath: self.revisionsPath + "/" + name)
            }
        }
    }

    /// The time a copy id (`yyyyMMddHHmmss-<random>`) was made, UTC.
    private static func stagedAt(_ id: String) -> Date? {
        let digits = id.prefix { $0 != "-" }
        guard digits.count == 14, let value = Int(digits) else { return nil }
        var components = DateComponents()
        components.year = value / 10_000_000_000
        components.month = value / 100_000_000 % 100
        components.day = value / 1_000_000 % 100
        components.hour = value / 10_000 % 100
        components.minute = value / 100 % 100
        components.second = value % 100
        var calendar = Calendar(identifier: .gregorian)
        // "UTC" is always a known time zone identifier.
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: components)
    }
}
