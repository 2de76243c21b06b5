/// What the admin API (and any other remote trigger, such as a fleet channel) may ask of the
/// server's policy: its status, a reload, an uploaded bundle, a rollback.
///
/// The port belongs to its callers (GatehouseAdmin's HTTP API; later the fleet's notification
/// channel); the CLI's reload pipeline implements it, so every trigger runs the same
/// fetch → verify → compile → test → swap steps. A refused bundle is a value
/// (``ReloadOutcome/refused(_:)``), not an error: the old revision keeps serving and the
/// refusal shows in ``PolicyStatus/lastFailure``.
package protocol PolicyAdministration: Sendable {
    /// The active revision, recent activations and refusals, key sets and cache statistics.
    func status() async -> PolicyStatus

    /// Fetches the configured source again and activates it if it verifies, compiles and passes its tests
    /// (the policy admin service's "fetch and activate").
    func reload(_ request: ReloadRequest) async -> ReloadOutcome

    /// Verifies, compiles, tests and activates `bundle` (the bytes of a `.tar.gz` bundle).
    func activate(uploadedBundle bundle: [UInt8], request: ReloadRequest) async -> ReloadOutcome

    /// Activates a revision kept from earlier (`revision`, or the one before the active one when `nil`).
    func rollback(to revision: String?, request: ReloadRequest) async -> ReloadOutcome
}

/// Who asked for a reload, how, and what they expect to get.
package struct ReloadRequest: Sendable, Hashable {
    /// What set the reload off.
    package var trigger: ReloadTrigger
    /// Who asked: the admin caller's name (certificate subject or token name), or `nil` for the server itself.
    package var requestedBy: String?
    /// The revision the caller expects the source to hold; when set and the source holds another,
    /// the reload is refused (`revision_mismatch`) and nothing changes.
    package var expectedRevision: String?
    /// The content digest the caller expects (``PolicyActivation/digest``, as a fleet publishes
    /// it); when set and the fetched revision's differs, the reload is refused (`digest_mismatch`)
    /// before anything is compiled or swapped.
    package var expectedDigest: String?

    package init(
        trigger: ReloadTrigger, requestedBy: String? = nil, expectedRevision: String? = nil,
        expectedDigest: String? = nil
    ) {
        self.trigger = trigger
        self.requestedBy = requestedBy
        self.expectedRevision = expectedRevision
        self.expectedDigest = expectedDigest
    }
}

/// What set a reload off; a closed set, so it can label metrics.
package enum ReloadTrigger: String, Sendable, Hashable, CaseIterable {
    /// The server's first load.
    case startup
    /// A change in the watched policy directory.
    case watch
    /// `SIGHUP`.
    case signal
    /// The admin API's `POST /v1/policy/notify` (or a notification from elsewhere).
    case notify
    /// The admin API's `PUT /v1/policy/bundle`.
    case upload
    /// Polling a bundle URL found a new `ETag`.
    case poll
    /// The admin API's `POST /v1/policy/rollback`.
    case rollback
    /// The fleet's desired revision, published by another replica's (or this one's) notify or
    /// rollback, or found on reconciling with the fleet's table.
    case fleet
}

/// A step of the reload pipeline; the one a refusal happened in.
package enum ReloadStage: String, Sendable, Hashable, CaseIterable {
    case fetch
    case verify
    case compile
    case identity
    case test
    case activate
}

/// One revision that became active.
package struct PolicyActivation: Sendable, Hashable {
    /// The bundle's revision (the manifest's, or the compiled tree's content hash for a plain directory).
    package var revision: String
    /// Where it came from: a directory path, a bundle file, a URL, `upload`, or the bundle store.
    package var source: String
    package var trigger: ReloadTrigger
    package var requestedBy: String?
    package var activatedAt: UnixTime
    /// From the start of the fetch to the swap.
    package var duration: Duration
    package var policies: Int
    package var rules: Int
    /// Whether the bundle carried a signature that verified (and which key ids signed it).
    package var signedBy: [String]
    /// What identifies the revision's content: `sha256:` and the SHA-256 over its files' names
    /// and hashes (the bundle manifest's file list); empty when unknown.
    package var digest: String

    package init(
        revision: String, source: String, trigger: ReloadTrigger, requestedBy: String?, activatedAt: UnixTime,
        duration: Duration, policies: Int, rules: Int, signedBy: [String], digest: String = ""
    ) {
        self.digest = digest
        self.revision = revision
        self.source = source
        self.trigger = trigger
        self.requestedBy = requestedBy
        self.activatedAt = activatedAt
        self.duration = duration
        self.policies = policies
        self.rules = rules
        self.signedBy = signedBy
    }
}

/// A reload that was refused; the old revision kept serving.
package struct ReloadFailure: Sendable, Hashable, Error {
    package var trigger: ReloadTrigger
    package var requestedBy: String?
    package var source: String
    package var at: UnixTime
    package var stage: ReloadStage
    /// A stable code (`signature_missing`, `signature_invalid`, `hash_mismatch`, `archive_unsafe`,
    /// `compile_failed`, `tests_failed`, `revision_mismatch`, …).
    package var code: String
    /// What went wrong, where (file:line when a policy is at fault) and how to fix it.
    package var message: String

    package init(
        trigger: ReloadTrigger, requestedBy: String?, source: String, at: UnixTime, stage: ReloadStage, code: String,
        message: String
    ) {
        self.trigger = trigger
        self.requestedBy = requestedBy
        self.source = source
        self.at = at
        self.stage = stage
        self.code = code
        self.message = message
    }
}

/// What a reload came to.
package enum ReloadOutcome: Sendable, Hashable {
    /// A new revision is active.
    case activated(PolicyActivation)
    /// The source holds the active revision already; nothing changed.
    case unchanged(revision: String)
    /// Refused; the old revision keeps serving.
    case refused(ReloadFailure)
}

/// One remote key set as the status API and the metrics show it.
package struct KeySetStatus: Sendable, Hashable {
    /// The JWKS URL or the issuer whose discovery document names it.
    package var location: String
    package var isLoaded: Bool
    /// When the keys in use were fetched.
    package var fetchedAt: UnixTime?
    package var keyCount: Int
    /// The last fetch's error, if the last fetch failed (the last good keys stay in use).
    package var lastError: String?
    /// Failed fetches since the server started.
    package var fetchErrors: Int

    package init(
        location: String, isLoaded: Bool, fetchedAt: UnixTime?, keyCount: Int, lastError: String?, fetchErrors: Int
    ) {
        self.location = location
        self.isLoaded = isLoaded
        self.fetchedAt = fetchedAt
        self.keyCount = keyCount
        self.lastError = lastError
        self.fetchErrors = fetchErrors
    }
}

/// Everything `GET /v1/status` reports.
package struct PolicyStatus: Sendable, Hashable {
    /// The revision deciding checks now, if any.
    package var active: PolicyActivation?
    /// Whether a revision is active and every key set it needs has loaded (the same truth as gRPC health).
    package var isReady: Bool
    /// The most recent refusal, if any happened since the last activation or not.
    package var lastFailure: ReloadFailure?
    /// Recent activations, newest first.
    package var history: [PolicyActivation]
    /// Recent refusals, newest first.
    package var failures: [ReloadFailure]
    /// The revisions kept for rollback, newest first.
    package var rollbackRevisions: [String]
    package var keySets: [KeySetStatus]
    /// `nil` when the decision cache is off.
    package var cache: CacheStatistics?
    /// The candidate evaluated in shadow beside the active revision, if one is loaded (``PolicyShadowing``).
    package var shadow: ShadowStatus? = nil
    /// The fleet's desired revision and every replica's last report, when `fleet.postgres` is set.
    package var fleet: FleetStatus? = nil

    package init(
        active: PolicyActivation?, isReady: Bool, lastFailure: ReloadFailure?, history: [PolicyActivation],
        failures: [ReloadFailure], rollbackRevisions: [String], keySets: [KeySetStatus], cache: CacheStatistics?
    ) {
        self.active = active
        self.isReady = isReady
        self.lastFailure = lastFailure
        self.history = history
        self.failures = failures
        self.rollbackRevisions = rollbackRevisions
        self.keySets = keySets
        self.cache = cache
    }
}
