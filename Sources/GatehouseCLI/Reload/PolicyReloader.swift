import Foundation
package import GatehouseBundle
package import GatehouseCore
package import GatehouseIdentity
package import Logging
import Synchronization

/// The one reload pipeline: every trigger (start-up, the watched directory, SIGHUP, the admin
/// API's notify, upload and rollback, URL polling) runs the same steps, one reload at a time:
/// fetch → verify → compile → load identity → run the policy tests → swap → keep → record.
///
/// Any refusal leaves the active revision serving and is recorded (``PolicyStatus/lastFailure``),
/// logged, and reported to ``Settings/onOutcome``. Notifications that arrive while a reload runs
/// are coalesced into one more run, which each of them awaits.
package actor PolicyReloader: PolicyAdministration {
    /// What the pipeline needs besides the authorizer and the key sets.
    package struct Settings: Sendable {
        /// Where revisions are loaded from.
        package var source: PolicySourceLocation
        /// Whether a revision's policy tests must pass.
        package var runTests = true
        /// The bundle store's folder, and how many revisions it keeps.
        package var store: String
        package var keep = 5
        /// What a bundle must prove (signatures) before it is compiled.
        package var verification = BundleVerificationPolicy.unsigned
        /// Fetches `bundles.url`; `nil` when no URL is configured.
        package var fetchBundle:
            (@Sendable (_ url: String, _ ifNoneMatch: String?) async throws(ReloadError) -> BundleDownload)?
        /// Runs after a policy directory was read and before it is checked for changes (tests edit it there).
        package var afterReadingDirectory: @Sendable () -> Void = {}
        /// How long a reload waits for the first fetch of a key set the new revision adds.
        package var keySetWait: Duration = .seconds(5)
        /// Told of every outcome, its request and its duration (metrics).
        package var onOutcome: @Sendable (ReloadOutcome, ReloadRequest, Duration) -> Void = { _, _, _ in }

        package init(source: PolicySourceLocation, store: String) {
            self.source = source
            self.store = store
        }
    }

    let settings: Settings
    let authorizer: Authorizer
    let keySets: KeySetRegistry
    let logger: Logger
    let store: BundleStore
    let sources: KeptSources
    private let cacheStatistics: @Sendable () -> CacheStatistics?

    /// What ``status()`` reports, behind a lock rather than the actor, so that `/v1/status` and
    /// a metrics scrape answer at once while a reload compiles (a 100,000-rule set takes seconds).
    /// Only the actor writes it.
    private struct Published: Sendable {
        var active: PolicyActivation?
        var activeKeySets: [RemoteKeySet] = []
        var history = ReloadHistory()
    }
    private nonisolated let published = Mutex(Published())

    /// The active activation.
    var active: PolicyActivation? {
        get { self.published.withLock { $0.active } }
        set { self.published.withLock { $0.active = newValue } }
    }
    /// The URL key sets the active revision reads.
    var activeKeySets: [RemoteKeySet] {
        get { self.published.withLock { $0.activeKeySets } }
        set { self.published.withLock { $0.activeKeySets = newValue } }
    }
    /// The `ETag` of the active revision when it came from `bundles.url` (sent as `If-None-Match`).
    var activeEntityTag: String?
    var history: ReloadHistory {
        get { self.published.withLock { $0.history } }
        set { self.published.withLock { $0.history = newValue } }
    }

    /// The last operation scheduled: each waits for the one before, so reloads never overlap.
    private var tail: Task<Void, Never>?
    /// A reload scheduled but not started yet; later notifications with the same expectation join it.
    private var queued: (id: Int, expectedRevision: String?, task: Task<ReloadOutcome, Never>)?
    private var nextID = 0

    /// - Parameters:
    ///   - authorizer: Receives each activated revision.
    ///   - keySets: The server's remote key sets, shared across revisions.
    ///   - cacheStatistics: The decision cache's statistics, `nil` when it is off.
    /// - Throws: ``BundleError`` when the bundle store cannot be opened.
    package init(
        settings: Settings, authorizer: Authorizer, keySets: KeySetRegistry, logger: Logger,
        cacheStatistics: @escaping @Sendable () -> CacheStatistics? = { nil }
    ) throws(BundleError) {
        self.settings = settings
        self.authorizer = authorizer
        self.keySets = keySets
        self.logger = logger
        self.store = try BundleStore(root: settings.store, keep: settings.keep)
        self.sources = KeptSources(root: self.store.root)
        self.cacheStatistics = cacheStatistics
    }

    // MARK: - PolicyAdministration

    /// Answers without waiting for a reload in progress: it reports the revision active until that reload swaps.
    package nonisolated func status() async -> PolicyStatus {
        let published = self.published.withLock { $0 }
        return PolicyStatus(
            active: published.active, isReady: self.authorizer.isReady, lastFailure: published.history.lastFailure,
            history: published.history.activations, failures: published.history.failures,
            rollbackRevisions: self.store.kept().map(\.revision),
            keySets: published.activeKeySets.map(Self.keySetStatus), cache: self.cacheStatistics())
    }

    package func reload(_ request: ReloadRequest) async -> ReloadOutcome {
        if let queued = self.queued, queued.expectedRevision == request.expectedRevision {
            return await queued.task.value
        }
        self.nextID += 1
        let id = self.nextID
        let task = self.schedule { reloader in
            reloader.started(id)
            return await reloader.run(.source, request)
        }
        self.queued = (id, request.expectedRevision, task)
        return await task.value
    }

    package func activate(uploadedBundle bundle: [UInt8], request: ReloadRequest) async -> ReloadOutcome {
        await self.schedule { await $0.run(.upload(bundle), request) }.value
    }

    package func rollback(to revision: String?, request: ReloadRequest) async -> ReloadOutcome {
        await self.schedule { reloader in
            guard let target = reloader.rollbackTarget(revision) else {
                return reloader.refuse(
                    ReloadError(
                        .fetch, "revision_not_kept",
                        revision.map {
                            "The revision '\($0)' is not kept in the bundle store; pick one of status's rollbackRevisions."
                        }
                            ?? "No revision other than the active one is kept in the bundle store; there is nothing to roll back to."
                    ), request, source: "bundle store", started: .now)
            }
            return await reloader.run(.kept(target), request)
        }.value
    }

    // MARK: - Start-up

    /// Loads the configured source; when that fails and the store keeps a revision of the same
    /// source, serves that one (verified and compiled again) with the failure recorded.
    ///
    /// - Returns: The source's outcome, and the fallback's when one was tried.
    package func start() async -> (source: ReloadOutcome, fallback: ReloadOutcome?) {
        let request = ReloadRequest(trigger: .startup)
        let outcome = await self.schedule { await $0.run(.source, request) }.value
        guard case .refused = outcome else { return (outcome, nil) }
        let source = self.settings.source.description
        let sources = self.sources.read()
        guard let last = self.store.kept().first(where: { sources[$0.revision] == source }) else {
            return (outcome, nil)
        }
        self.logger.warning(
            "the policy source cannot be loaded; serving the last good revision from the bundle store",
            metadata: [
                "gatehouse.policy.revision": "\(last.revision)", "gatehouse.bundles.store": "\(self.store.root)",
            ])
        let fallback = await self.schedule { await $0.run(.kept(last.revision), request) }.value
        return (outcome, fallback)
    }

    // MARK: - Scheduling

    private func schedule(
        _ operation: @escaping @Sendable (isolated PolicyReloader) async -> ReloadOutcome
    ) -> Task<ReloadOutcome, Never> {
        let previous = self.tail
        let task = Task {
            await previous?.value
            let outcome = await operation(self)
            // Only now are the operation's compiled policy set and the replaced revision freed.
            self.releaseFreedMemory(after: outcome)
            return outcome
        }
        self.tail = Task { _ = await task.value }
        return task
    }

    /// After a reload that compiled a policy set, returns the freed heap to the OS (``FreedMemory``).
    private nonisolated func releaseFreedMemory(after outcome: ReloadOutcome) {
        if case .unchanged = outcome { return }
        guard let duration = FreedMemory.release() else { return }
        self.logger.debug(
            "freed memory returned to the operating system",
            metadata: ["gatehouse.reload.trim_duration": "\(duration)"])
    }

    private func started(_ id: Int) {
        if self.queued?.id == id { self.queued = nil }
    }

    private func rollbackTarget(_ revision: String?) -> String? {
        let kept = self.store.kept().map(\.revision)
        if let revision { return kept.contains(revision) ? revision : nil }
        return kept.first { $0 != self.active?.revision }
    }

    // MARK: - Status

    private static func keySetStatus(_ set: RemoteKeySet) -> KeySetStatus {
        let status = set.status
        return KeySetStatus(
            location: status.location, isLoaded: set.isLoaded, fetchedAt: status.fetchedAt, keyCount: status.keyCount,
            lastError: status.lastError.map { "\($0)" }, fetchErrors: status.fetchErrors)
    }
}
