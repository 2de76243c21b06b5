import Foundation
package import GatehouseCore

/// The JSON bodies of the admin API, as Codable values (keys snake_case through ``AdminJSON``).
///
/// Times are RFC 3339 text in UTC; durations and ages are seconds as numbers.
package enum AdminDTO {
    /// `GET /v1/status`.
    package struct Status: Codable, Sendable, Hashable {
        package var ready: Bool
        package var active: Activation?
        package var lastFailure: Failure?
        package var history: [Activation]
        package var failures: [Failure]
        package var rollbackRevisions: [String]
        package var keySets: [KeySet]
        /// `nil` when the decision cache is off.
        package var cache: Cache?
        /// The decision log's counters; `nil` when it is off.
        package var audit: Audit?
        /// The candidate evaluated in shadow and its counters; `nil` when none is loaded.
        package var shadow: Shadow?
        /// The fleet's desired revision and every replica's last report; `nil` without `fleet.postgres`.
        package var fleet: Fleet?
    }

    /// The decision log: records queued, dropped (gap), refused (strict), written; why the store fails, if it does.
    package struct Audit: Codable, Sendable, Hashable {
        package var queued: Int
        package var dropped: UInt64
        package var refused: UInt64
        package var written: UInt64
        package var failure: String?
        /// Retention prunes that failed since start, and why the latest did (absent after a success).
        package var pruneFailures: UInt64
        package var pruneFailure: String?

        package init(_ status: AuditLogStatus) {
            self.queued = status.queued
            self.dropped = status.dropped
            self.refused = status.refused
            self.written = status.written
            self.failure = status.failure
            self.pruneFailures = status.pruneFailures
            self.pruneFailure = status.pruneFailure
        }
    }

    /// One revision that became active.
    package struct Activation: Codable, Sendable, Hashable {
        package var revision: String
        package var source: String
        package var trigger: String
        package var requestedBy: String?
        package var activatedAt: String
        package var durationSeconds: Double
        package var policies: Int
        package var rules: Int
        package var signedBy: [String]
        /// `sha256:…` over the revision's files, as a fleet publishes it; absent when unknown.
        package var digest: String?
    }

    /// A refused reload: the stage and stable code say what failed, the message says how to fix it.
    package struct Failure: Codable, Sendable, Hashable {
        package var trigger: String
        package var requestedBy: String?
        package var source: String
        package var at: String
        package var stage: String
        package var code: String
        package var message: String
    }

    /// One remote key set.
    package struct KeySet: Codable, Sendable, Hashable {
        package var location: String
        package var loaded: Bool
        package var fetchedAt: String?
        /// Seconds since the keys in use were fetched.
        package var ageSeconds: Double?
        package var keyCount: Int
        package var lastError: String?
        package var fetchErrors: Int
    }

    /// The decision cache's counters.
    package struct Cache: Codable, Sendable, Hashable {
        package var hits: Int
        package var misses: Int
        package var evictions: Int
        package var expirations: Int
        package var coalesced: Int
        package var entries: Int
        package var bytes: Int
    }

    /// What notify, upload and rollback answer: `outcome` is `activated`, `unchanged` or `refused`,
    /// with the activation, the unchanged revision or the failure.
    package struct Outcome: Codable, Sendable, Hashable {
        package var outcome: String
        package var revision: String?
        package var activation: Activation?
        package var failure: Failure?
    }

    /// An error of the API itself (authentication, role, request shape): a stable code and a sentence.
    package struct Error: Codable, Sendable, Hashable {
        package var error: String
        package var message: String

        package init(error: String, message: String) {
            self.error = error
            self.message = message
        }
    }

    /// The optional body of notify and rollback.
    package struct RevisionRequest: Codable, Sendable, Hashable {
        package var revision: String?

        package init(revision: String?) {
            self.revision = revision
        }
    }
}

extension AdminDTO.Status {
    /// The status as the API shows it; key set ages are judged at `now`.
    package init(_ status: PolicyStatus, now: UnixTime, audit: AuditLogStatus? = nil) {
        self.ready = status.isReady
        self.active = status.active.map(AdminDTO.Activation.init)
        self.lastFailure = status.lastFailure.map(AdminDTO.Failure.init)
        self.history = status.history.map(AdminDTO.Activation.init)
        self.failures = status.failures.map(AdminDTO.Failure.init)
        self.rollbackRevisions = status.rollbackRevisions
        self.keySets = status.keySets.map { AdminDTO.KeySet($0, now: now) }
        self.cache = status.cache.map(AdminDTO.Cache.init)
        self.audit = audit.map(AdminDTO.Audit.init)
        self.shadow = status.shadow.map { AdminDTO.Shadow($0, state: "loaded") }
        self.fleet = status.fleet.map(AdminDTO.Fleet.init)
    }
}

extension AdminDTO.Activation {
    package init(_ activation: PolicyActivation) {
        self.revision = activation.revision
        self.source = activation.source
        self.trigger = activation.trigger.rawValue
        self.requestedBy = activation.requestedBy
        self.activatedAt = AdminDTO.text(activation.activatedAt)
        self.durationSeconds = AdminDTO.seconds(activation.duration)
        self.policies = activation.policies
        self.rules = activation.rules
        self.signedBy = activation.signedBy
        self.digest = activation.digest.isEmpty ? nil : activation.digest
    }
}

extension AdminDTO.Failure {
    package init(_ failure: ReloadFailure) {
        self.trigger = failure.trigger.rawValue
        self.requestedBy = failure.requestedBy
        self.source = failure.source
        self.at = AdminDTO.text(failure.at)
        self.stage = failure.stage.rawValue
        self.code = failure.code
        self.message = failure.message
    }
}

extension AdminDTO.KeySet {
    package init(_ keySet: KeySetStatus, now: UnixTime) {
        self.location = keySet.location
        self.loaded = keySet.isLoaded
        self.fetchedAt = keySet.fetchedAt.map(AdminDTO.text)
        self.ageSeconds = keySet.fetchedAt.map {
            max(0, Double(now.nanosecondsSinceEpoch - $0.nanosecondsSinceEpoch) / 1e9)
        }
        self.keyCount = keySet.keyCount
        self.lastError = keySet.lastError
        self.fetchErrors = keySet.fetchErrors
    }
}

extension AdminDTO.Cache {
    package init(_ statistics: CacheStatistics) {
        self.hits = statistics.hits
        self.misses = statistics.misses
        self.evictions = statistics.evictions
        self.expirations = statistics.expirations
        self.coalesced = statistics.coalesced
        self.entries = statistics.entries
        self.bytes = statistics.bytes
    }
}

extension AdminDTO.Outcome {
    package init(_ outcome: ReloadOutcome) {
        switch outcome {
        case .activated(let activation):
            self.init(
                outcome: "activated", revision: activation.revision, activation: AdminDTO.Activation(activation),
                failure: nil)
        case .unchanged(let revision):
            self.init(outcome: "unchanged", revision: revision, activation: nil, failure: nil)
        case .refused(let failure):
            self.init(outcome: "refused", revision: nil, activation: nil, failure: AdminDTO.Failure(failure))
        }
    }
}

extension AdminDTO {
    /// RFC 3339 in UTC, with milliseconds.
    static func text(_ time: UnixTime) -> String {
        let date = Date(timeIntervalSince1970: Double(time.seconds) + Double(time.nanoseconds) / 1e9)
        return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
