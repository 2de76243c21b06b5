/// The name of every metric Gatehouse exports, and its help text; `deploy/METRICS.md` lists the same.
///
/// Counters end in `_total`, durations are histograms in `_seconds`, sizes in base units
/// (`_bytes`), as Prometheus' naming guide asks and as OPA-Envoy's and Authorino's metrics do.
package enum MetricNames {
    /// The prefix of every metric Gatehouse exports, as OPA-Envoy's and Authorino's carry theirs.
    package static let prefix = "gatehouse_"

    static let checks = Metric("checks_total", "Checks answered, by decision, reason and policy.")
    static let checkDuration = Metric(
        "check_duration_seconds", "Time from a decoded CheckRequest to its decision (cache hits included).")

    static let cacheHits = Metric("cache_hits_total", "Decision cache lookups answered from the cache.")
    static let cacheMisses = Metric("cache_misses_total", "Decision cache lookups that found nothing usable.")
    static let cacheEvictions = Metric("cache_evictions_total", "Decision cache entries removed to make room.")
    static let cacheExpirations = Metric(
        "cache_expirations_total", "Decision cache entries found past their deadline and removed.")
    static let cacheCoalesced = Metric(
        "cache_coalesced_total", "Decision cache misses that waited for an identical computation under way.")
    static let cacheEntries = Metric("cache_entries", "Decisions the cache holds now.")
    static let cacheBytes = Metric("cache_bytes", "Bytes the cache holds now (estimated per entry).")

    static let keySetAge = Metric(
        "key_set_age_seconds", "Seconds since the keys in use were fetched, per remote key set.")
    static let keySetFetchErrors = Metric("key_set_fetch_errors_total", "Failed fetches, per remote key set.")
    static let keySetKeys = Metric("key_set_keys", "Usable keys in the current set, per remote key set.")
    static let keySetLoaded = Metric("key_set_loaded", "1 once a remote key set has loaded, else 0.")

    static let reloads = Metric("policy_reloads_total", "Policy reloads, by outcome and trigger.")
    static let reloadDuration = Metric(
        "policy_reload_duration_seconds", "Time from the start of a reload's fetch to its outcome, by outcome.")
    static let revisionInfo = Metric("policy_revision_info", "1 for the policy revision deciding checks now.")

    /// One metric's full name and help text.
    struct Metric: Sendable {
        /// The full name, prefix included.
        let name: String
        let help: String

        init(_ suffix: String, _ help: String) {
            self.name = MetricNames.prefix + suffix
            self.help = help
        }
    }
}
