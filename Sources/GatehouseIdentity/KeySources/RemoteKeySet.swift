import Foundation
package import GatehouseCore
package import Logging
import Synchronization

/// An issuer's keys fetched from a JWKS URL, or from the `jwks_uri` of the issuer's OpenID
/// discovery document, and kept fresh in the background.
///
/// - At start ``run()`` fetches until the first success (retrying every ``Settings/retryInterval``);
///   until then ``current`` is `nil`, tokens of the issuer are rejected (`token_keys_unavailable`)
///   and gRPC health is not SERVING.
/// - Afterwards it re-fetches on the interval the response's `Cache-Control: max-age` grants,
///   clamped to ``Settings/minimumRefreshInterval``…``Settings/maximumRefreshInterval``, or
///   ``Settings/refreshInterval`` without one.
/// - A token naming an unknown `kid` triggers a re-fetch at most once per
///   ``Settings/unknownKeyIDInterval`` (so a flood of made-up key ids costs one fetch), and
///   concurrent fetches are coalesced into one.
/// - A failed fetch keeps the last good set; ``status`` reports the key age and the last error.
///   A document holding a shared secret (`oct`) fails as ``IdentityError/Code/keySetPublishesSecret``.
package final class RemoteKeySet: KeySetProvider, Sendable {
    /// Where the keys are.
    package enum Location: Sendable, Hashable, CustomStringConvertible {
        /// A JWKS URL.
        case jwks(url: String)
        /// The issuer's `/.well-known/openid-configuration`, whose `jwks_uri` names the JWKS.
        case discovery(issuer: String)

        package var description: String {
            switch self {
            case .jwks(let url): return url
            case .discovery(let issuer): return "OpenID discovery of \(issuer)"
            }
        }
    }

    /// Timing and size limits.
    package struct Settings: Sendable, Hashable {
        /// Re-fetch interval when the response has no usable `Cache-Control`.
        package var refreshInterval: Duration = .seconds(300)
        /// The shortest re-fetch interval, whatever `Cache-Control` says.
        package var minimumRefreshInterval: Duration = .seconds(60)
        /// The longest re-fetch interval, whatever `Cache-Control` says.
        package var maximumRefreshInterval: Duration = .seconds(86_400)
        /// At most one re-fetch per this interval is triggered by unknown key ids.
        package var unknownKeyIDInterval: Duration = .seconds(30)
        /// The wait before retrying a failed fetch.
        package var retryInterval: Duration = .seconds(5)
        /// The time-out of one HTTP request.
        package var fetchTimeout: Duration = .seconds(10)
        /// The largest JWKS or discovery document accepted.
        package var maximumBytes = 1 << 20

        package init() {}
    }

    /// What the status API and metrics report about one key set.
    package struct Status: Sendable, Hashable {
        /// Where the keys come from.
        package var location: String
        /// How many usable keys the current set holds (0 before the first load).
        package var keyCount: Int
        /// When the current set was fetched.
        package var fetchedAt: UnixTime?
        /// The last fetch error, if the last fetch failed: ``IdentityError/Code/keySetFetchFailed``,
        /// ``IdentityError/Code/discoveryInvalid``, or the key set's own code when it does not parse.
        package var lastError: IdentityError?
        /// When the last fetch failed.
        package var lastErrorAt: UnixTime?
        /// Failed fetches since the set was created.
        package var fetchErrors = 0
        /// Keys of the current set that were skipped, and why.
        package var warnings: [String]
    }

    private struct State {
        var keys: KeySet?
        var status: Status
        var nextRefresh: Duration
        var lastUnknownKeyIDFetch: Duration?
        var inFlight: Task<Void, Never>?
    }

    /// Where the keys come from.
    package let location: Location
    private let settings: Settings
    private let fetcher: any HTTPFetching
    private let logger: Logger
    private let monotonicNow: @Sendable () -> Duration
    private let wallClock: @Sendable () -> UnixTime
    private let onRotation: @Sendable () -> Void
    private let state: Mutex<State>

    /// - Parameters:
    ///   - monotonicNow: Elapsed time on a monotonic clock (injected by tests).
    ///   - wallClock: The time of day, for ``Status/fetchedAt`` (injected by tests).
    ///   - onRotation: Called after a fetch installed keys that differ from the previous ones
    ///     (the first load included): cached decisions made with the old keys must go.
    package init(
        location: Location,
        settings: Settings = Settings(),
        fetcher: any HTTPFetching,
        logger: Logger,
        monotonicNow: @escaping @Sendable () -> Duration = RemoteKeySet.systemMonotonicNow,
        wallClock: @escaping @Sendable () -> UnixTime = RemoteKeySet.systemWallClock,
        onRotation: @escaping @Sendable () -> Void = {}
    ) {
        self.onRotation = onRotation
        self.location = location
        self.settings = settings
        self.fetcher = fetcher
        self.logger = logger
        self.monotonicNow = monotonicNow
        self.wallClock = wallClock
        self.state = Mutex(
            State(
                keys: nil,
                status: Status(location: location.description, keyCount: 0, warnings: []),
                nextRefresh: .zero))
    }

    package var current: KeySet? { self.state.withLock { $0.keys } }

    /// The key age, last error and key count.
    package var status: Status { self.state.withLock { $0.status } }

    /// Whether a key set has been loaded.
    package var isLoaded: Bool { self.current != nil }

    package func keysAfterUnknownKeyID(_ keyID: String) async -> KeySet? {
        let now = self.monotonicNow()
        let mayFetch = self.state.withLock { state in
            if let last = state.lastUnknownKeyIDFetch, now - last < self.settings.unknownKeyIDInterval { return false }
            state.lastUnknownKeyIDFetch = now
            return true
        }
        if mayFetch {
            self.logger.info(
                "token names an unknown key id; re-fetching the key set",
                metadata: ["gatehouse.jwks": "\(self.location)", "jwt.kid": "\(Self.printable(keyID))"])
            await self.refresh()
        }
        return self.current
    }

    /// Fetches now, or joins the fetch already under way.
    package func refresh() async {
        let task = self.state.withLock { state in
            if let running = state.inFlight { return running }
            let task = Task { await self.fetchAndStore() }
            state.inFlight = task
            return task
        }
        await task.value
    }

    /// Keeps the set fresh until cancelled: fetches at once, then as ``Settings`` and
    /// `Cache-Control` say, retrying failures every ``Settings/retryInterval``.
    package func run() async {
        while !Task.isCancelled {
            await self.refresh()
            let delay = self.state.withLock { state in
                state.keys == nil ? self.settings.retryInterval : max(state.nextRefresh - self.monotonicNow(), .zero)
            }
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }

    private func fetchAndStore() async {
        let outcome: Result<(KeySet, Int64?), IdentityError>
        do throws(IdentityError) {
            outcome = .success(try await self.fetch())
        } catch {
            outcome = .failure(error)
        }
        let now = self.monotonicNow()
        let wallNow = self.wallClock()
        let rotated = self.state.withLock { state in
            state.inFlight = nil
            switch outcome {
            case .success(let (keys, maximumAge)):
                let rotated = state.keys.map { $0.fingerprint != keys.fingerprint } ?? true
                state.keys = keys
                state.status.keyCount = keys.keys.count
                state.status.warnings = keys.warnings
                state.status.fetchedAt = wallNow
                state.status.lastError = nil
                state.status.lastErrorAt = nil
                state.nextRefresh = now + Self.refreshDelay(maximumAge: maximumAge, settings: self.settings)
                return rotated
            case .failure(let error):
                state.status.lastError = error
                state.status.lastErrorAt = wallNow
                state.status.fetchErrors += 1
                state.nextRefresh = now + self.settings.retryInterval
                return false
            }
        }
        // After the swap: whoever reads the new generation also reads the new keys.
        if rotated { self.onRotation() }
        switch outcome {
        case .success(let (keys, _)):
            self.logger.info(
                "key set loaded",
                metadata: [
                    "gatehouse.jwks": "\(self.location)", "gatehouse.jwks.keys": "\(keys.keys.count)",
                    "gatehouse.jwks.skipped": "\(keys.warnings.count)",
                ])
            for warning in keys.warnings {
                self.logger.warning(
                    "key skipped", metadata: ["gatehouse.jwks": "\(self.location)", "reason": "\(warning)"])
            }
        case .failure(let error):
            self.logger.warning(
                "key set fetch failed; keeping the last good set",
                metadata: ["gatehouse.jwks": "\(self.location)", "error": "\(error)"])
        }
    }

    /// The wait before the next refresh after a response granting `maximumAge` seconds.
    static func refreshDelay(maximumAge: Int64?, settings: Settings) -> Duration {
        guard let maximumAge else { return settings.refreshInterval }
        let granted = Duration.seconds(maximumAge)
        return min(max(granted, settings.minimumRefreshInterval), settings.maximumRefreshInterval)
    }

    private func fetch() async throws(IdentityError) -> (KeySet, Int64?) {
        let url: String
        switch self.location {
        case .jwks(let jwksURL): url = jwksURL
        case .discovery(let issuer): url = try await self.discoverKeySetURL(issuer: issuer)
        }
        let document = try await self.get(url)
        let keys = try KeySet.parse(jwks: document.body, origin: url, source: .url)
        return (keys, CacheControl.maximumAge(document.cacheControl))
    }

    private func discoverKeySetURL(issuer: String) async throws(IdentityError) -> String {
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        let url = base + "/.well-known/openid-configuration"
        let document = try await self.get(url)
        guard let object = try? JSONSerialization.jsonObject(with: Data(document.body)) as? [String: Any] else {
            throw IdentityError(
                code: .discoveryInvalid, message: "The discovery document at \(url) is not a JSON object.")
        }
        // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was fetched for.
        guard let named = object["issuer"] as? String, named == issuer else {
            throw IdentityError(
                code: .discoveryInvalid,
                message: "The discovery document at \(url) names a different issuer than '\(issuer)'.")
        }
        guard let keysURL = object["jwks_uri"] as? String else {
            throw IdentityError(code: .discoveryInvalid, message: "The discovery document at \(url) has no 'jwks_uri'.")
        }
        guard JWTIssuerSettings.isAcceptableKeySetURL(keysURL) else {
            throw IdentityError(
                code: .discoveryInvalid,
                message:
                    "The discovery document at \(url) names jwks_uri '\(keysURL)', which is neither https:// nor http:// on a loopback address."
            )
        }
        return keysURL
    }

    private func get(_ url: String) async throws(IdentityError) -> FetchedDocument {
        let document: FetchedDocument
        do {
            document = try await self.fetcher.get(
                url, timeout: self.settings.fetchTimeout, maximumBytes: self.settings.maximumBytes)
        } catch let error as IdentityError {
            throw error
        } catch {
            throw IdentityError(code: .keySetFetchFailed, message: "GET \(url) failed.", cause: error)
        }
        guard document.status == 200 else {
            throw IdentityError(code: .keySetFetchFailed, message: "GET \(url) answered HTTP \(document.status).")
        }
        return document
    }

    /// Key ids come from unverified tokens: log at most 64 printable ASCII characters of one.
    private static func printable(_ keyID: String) -> String {
        String(keyID.unicodeScalars.prefix(64).map { $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
    }

    /// Monotonic time since the process's first call.
    package static let systemMonotonicNow: @Sendable () -> Duration = {
        ContinuousClock.now - processStart
    }

    /// The current time of day.
    package static let systemWallClock: @Sendable () -> UnixTime = {
        let now = Date().timeIntervalSince1970
        return UnixTime(seconds: Int64(now), nanoseconds: Int32((now - now.rounded(.down)) * 1e9))
    }
}

private let processStart = ContinuousClock.now
