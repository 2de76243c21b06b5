import Foundation
import GatehouseBundle
import GatehouseCache
import GatehouseCore
import GatehouseIdentity
import Logging

extension ServeCommand {
    /// `onOutcome`, after emptying the decision cache whenever a revision was activated.
    ///
    /// The replaced revision's entries can never be hit again (its generation is in every key);
    /// dropping them at once frees them instead of leaving them until eviction. Hit and miss
    /// counters are kept.
    static func droppingCachedDecisions(
        of decisions: CachingAuthorizer,
        then onOutcome: @escaping @Sendable (ReloadOutcome, ReloadRequest, Duration) -> Void
    ) -> @Sendable (ReloadOutcome, ReloadRequest, Duration) -> Void {
        { outcome, request, duration in
            if case .activated = outcome { decisions.removeAll() }
            onOutcome(outcome, request, duration)
        }
    }

    /// The reload pipeline `serve` runs, from the `policies` and `bundles.*` settings.
    ///
    /// - Throws: `ExitStatus.usage` (exit 2), after printing why, when the bundle keys or the
    ///   bundle store cannot be opened.
    static func reloader(
        _ configuration: ServeConfiguration, authorizer: Authorizer, keySets: KeySetRegistry, fetcher: HTTPFetcher,
        logger: Logger, cacheStatistics: @escaping @Sendable () -> CacheStatistics?,
        onOutcome: @escaping @Sendable (ReloadOutcome, ReloadRequest, Duration) -> Void
    ) throws -> PolicyReloader {
        let bundles = configuration.bundles
        var settings = PolicyReloader.Settings(source: configuration.source, store: bundles.store)
        settings.runTests = bundles.runTests
        settings.keep = bundles.keep
        settings.onOutcome = onOutcome
        do {
            var verifier: (any BundleSignatureVerifier)?
            if let keys = bundles.keys {
                let bytes = Array(FileManager.default.contents(atPath: keys) ?? Data())
                verifier = try JWSBundleVerifier(jwks: bytes, origin: keys)
            }
            settings.verification = BundleVerificationPolicy(
                requireSignature: bundles.requireSignature, verifier: verifier)
            let downloader = BundleDownloader(fetcher: fetcher)
            settings.fetchBundle = { url, ifNoneMatch throws(ReloadError) in
                try await downloader.download(url, ifNoneMatch: ifNoneMatch)
            }
            return try PolicyReloader(
                settings: settings, authorizer: authorizer, keySets: keySets, logger: logger,
                cacheStatistics: cacheStatistics)
        } catch let error as IdentityError {
            Console.printError("bundles.keys: \(error.errorDescription)")
            throw ExitStatus.usage.exitCode
        } catch {
            Console.printError("bundles.store: \(error)")
            throw ExitStatus.usage.exitCode
        }
    }
}
