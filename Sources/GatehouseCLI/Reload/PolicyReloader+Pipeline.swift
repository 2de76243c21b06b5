import Foundation
import GatehouseBundle
import GatehouseCore
import GatehouseIdentity
import GatehousePolicy
import Logging

extension PolicyReloader {
    /// What a reload loads.
    enum Origin: Sendable {
        /// The configured source.
        case source
        /// The bytes of an uploaded `.tar.gz` bundle.
        case upload([UInt8])
        /// A revision kept in the bundle store.
        case kept(String)
    }

    /// A revision's files, verified and copied into the bundle store where they cannot change.
    struct Staged: Sendable {
        var bundle: StagedBundle
        /// The activation's source, as status shows it.
        var source: String
        /// The source the store records (a kept revision keeps its original one).
        var storedSource: String
        /// The path diagnostics should name instead of the copy's (the operator's directory).
        var displayPath: String?
        /// The `ETag` of a bundle fetched from `bundles.url`.
        var entityTag: String?

        var directory: String { self.bundle.directory }
        var revision: String { self.bundle.manifest.revision }
        /// `sha256:` and the digest of the manifest's file list: what a fleet compares, since two
        /// bundles may carry one revision name (``PolicyActivation/digest``).
        var digest: String { "sha256:" + BundleHashing.contentDigest(of: self.bundle.manifest.files) }
        var signedBy: [String] { self.bundle.signedBy }
    }

    /// Runs the whole pipeline for `origin`; never throws: a refusal is an outcome.
    func run(_ origin: Origin, _ request: ReloadRequest) async -> ReloadOutcome {
        let started = ContinuousClock.now
        var staged: Staged?
        do throws(ReloadError) {
            guard let revision = try await self.stage(origin) else {
                // 304 from bundles.url: the active revision is what the URL serves.
                let outcome = ReloadOutcome.unchanged(revision: self.active?.revision ?? "")
                self.settings.onOutcome(outcome, request, .now - started)
                return outcome
            }
            staged = revision
            if let expected = request.expectedRevision, expected != revision.revision {
                throw ReloadError(
                    .fetch, "revision_mismatch",
                    "The source holds revision '\(revision.revision)', not the expected '\(expected)'; nothing changed. Publish the expected revision or notify without one."
                )
            }
            if let expected = request.expectedDigest, expected != revision.digest {
                throw ReloadError(
                    .verify, "digest_mismatch",
                    "The source holds revision '\(revision.revision)' with content '\(revision.digest)', not the expected '\(expected)'; nothing changed. Publish that revision's bundle to the source, or notify again to publish what it holds."
                )
            }
            // Unchanged only when the content is too: a bundle republished under its revision's name is new.
            if revision.revision == self.active?.revision, revision.digest == self.active?.digest,
                request.trigger != .rollback
            {
                self.discard(revision)
                let outcome = ReloadOutcome.unchanged(revision: revision.revision)
                self.logger.debug(
                    "policy source unchanged",
                    metadata: [
                        "gatehouse.policy.revision": "\(revision.revision)",
                        "gatehouse.reload.trigger": "\(request.trigger.rawValue)",
                    ])
                self.settings.onOutcome(outcome, request, .now - started)
                return outcome
            }
            let compiled = try await self.compile(revision)
            let (authenticators, sets) = try self.loadIdentity(compiled, revision)
            if request.trigger != .startup {
                // Start-up serves at once (not ready until the keys load); a reload waits, bounded,
                // so the new revision's first checks find the keys of an issuer it adds.
                await self.keySets.load(sets.filter { !$0.isLoaded }, within: self.settings.keySetWait)
            }
            if self.settings.runTests { try self.test(compiled, revision) }
            let tree = DecisionTree(revision: revision.revision, policies: compiled.tree.policies)
            self.authorizer.activate(tree, authenticator: authenticators, isLoaded: Self.readiness(of: sets))
            self.activeKeySets = sets
            self.activeEntityTag = revision.entityTag
            self.keep(revision)
            let activation = PolicyActivation(
                revision: revision.revision, source: revision.source, trigger: request.trigger,
                requestedBy: request.requestedBy, activatedAt: RemoteKeySet.systemWallClock(),
                duration: .now - started, policies: tree.policies.count, rules: tree.ruleCount,
                signedBy: revision.signedBy, digest: revision.digest)
            self.active = activation
            self.history.record(activation)
            self.logger.info(
                "policy revision active",
                metadata: [
                    "gatehouse.policy.revision": "\(activation.revision)",
                    "gatehouse.policy.source": "\(activation.source)",
                    "gatehouse.reload.trigger": "\(activation.trigger.rawValue)",
                    "gatehouse.reload.by": "\(activation.requestedBy ?? "-")",
                    "gatehouse.reload.duration_ms": "\(Self.milliseconds(activation.duration))",
                    "gatehouse.policies": "\(activation.policies)", "gatehouse.rules": "\(activation.rules)",
                ])
            let outcome = ReloadOutcome.activated(activation)
            self.settings.onOutcome(outcome, request, activation.duration)
            return outcome
        } catch {
            if let staged { self.discard(staged) }
            return self.refuse(error, request, source: staged?.source ?? self.sourceName(origin), started: started)
        }
    }

    /// Records, logs and reports a refusal; the active revision stays.
    func refuse(_ error: ReloadError, _ request: ReloadRequest, source: String, started: ContinuousClock.Instant)
        -> ReloadOutcome
    {
        let failure = ReloadFailure(
            trigger: request.trigger, requestedBy: request.requestedBy, source: source,
            at: RemoteKeySet.systemWallClock(), stage: error.stage, code: error.code, message: error.message)
        self.history.record(failure)
        self.logger.error(
            "policy revision refused; the active revision keeps serving",
            metadata: [
                "gatehouse.reload.stage": "\(failure.stage.rawValue)", "gatehouse.reload.code": "\(failure.code)",
                "gatehouse.reload.trigger": "\(failure.trigger.rawValue)",
                "gatehouse.reload.by": "\(failure.requestedBy ?? "-")", "gatehouse.policy.source": "\(source)",
                "gatehouse.policy.revision": "\(self.active?.revision ?? "none")", "error": "\(failure.message)",
            ])
        let outcome = ReloadOutcome.refused(failure)
        self.settings.onOutcome(outcome, request, .now - started)
        return outcome
    }

    // MARK: - Steps

    private func sourceName(_ origin: Origin) -> String {
        switch origin {
        case .source: return self.settings.source.description
        case .upload: return "upload"
        case .kept: return "bundle store"
        }
    }

    /// Fetch and verify: a consistent, verified copy in the store whose revision is known.
    ///
    /// - Returns: `nil` when `bundles.url` answered `304 Not Modified` to the active revision's `ETag`.
    func stage(_ origin: Origin) async throws(ReloadError) -> Staged? {
        let policy = self.settings.verification
        switch origin {
        case .source:
            let name = self.settings.source.description
            switch self.settings.source {
            case .directory(let path):
                let bundle = try Self.bundle { () throws(BundleError) in
                    try self.store.stage(
                        .directory(path), policy: policy, afterReadingDirectory: self.settings.afterReadingDirectory)
                }
                return Staged(bundle: bundle, source: name, storedSource: name, displayPath: path)
            case .bundleFile(let path):
                guard let bytes = FileManager.default.contents(atPath: path) else {
                    throw ReloadError(
                        .fetch, "source_unreadable",
                        "The bundle file '\(path)' cannot be read; check `policies` and the file's permissions.")
                }
                let bundle = try Self.bundle { () throws(BundleError) in
                    try self.store.stage(.archive(Array(bytes)), policy: policy)
                }
                return Staged(bundle: bundle, source: name, storedSource: name, displayPath: nil)
            case .url(let url):
                guard let fetch = self.settings.fetchBundle else {
                    throw ReloadError(.fetch, "source_unreadable", "No fetcher is configured for \(url).")
                }
                guard case .fetched(let bytes, let entityTag) = try await fetch(url, self.activeEntityTag) else {
                    return nil
                }
                let bundle = try Self.bundle { () throws(BundleError) in
                    try self.store.stage(.archive(bytes), policy: policy)
                }
                return Staged(bundle: bundle, source: name, storedSource: name, displayPath: nil, entityTag: entityTag)
            }
        case .upload(let bytes):
            let bundle = try Self.bundle { () throws(BundleError) in
                try self.store.stage(.archive(bytes), policy: policy)
            }
            return Staged(bundle: bundle, source: "upload", storedSource: "upload", displayPath: nil)
        case .kept(let revision):
            // Verified again (hashes and signatures) into a fresh copy: a kept copy changed on disk is refused.
            let bundle = try Self.bundle { () throws(BundleError) in
                try self.store.restage(revision: revision, policy: policy)
            }
            let stored = self.sources.read()[revision] ?? "bundle store"
            return Staged(bundle: bundle, source: "bundle store", storedSource: stored, displayPath: nil)
        }
    }

    /// Runs a bundle-store step, mapping its refusal to the pipeline's stage.
    private static func bundle(_ step: () throws(BundleError) -> StagedBundle) throws(ReloadError) -> StagedBundle {
        do {
            return try step()
        } catch {
            let code = error.code.description
            let fetching = ["source_unreadable", "source_changing", "revision_not_kept", "store_failed"]
            throw ReloadError(fetching.contains(code) ? .fetch : .verify, code, error.message)
        }
    }

    /// Parses and compiles the staged files off the cooperative pool (``DedicatedThread``).
    func compile(_ staged: Staged) async throws(ReloadError) -> CompiledPolicySet {
        let directory = staged.directory
        let diagnosed = await DedicatedThread.run(name: "gatehouse-compile") {
            () -> Result<PolicyCompiler.Result, PolicyError> in
            do throws(PolicyError) {
                return .success(try PolicyCompiler.diagnose(directory: directory))
            } catch {
                return .failure(error)
            }
        }
        let result: PolicyCompiler.Result
        switch diagnosed {
        case .success(let diagnosed): result = diagnosed
        case .failure(let error): throw ReloadError(.compile, "source_unreadable", self.display(error.message, staged))
        }
        guard let compiled = result.compiled else {
            let errors = result.errors
            let count = errors.count == 1 ? "1 error" : "\(errors.count) errors"
            throw ReloadError(
                .compile, "compile_failed",
                self.display(
                    "The policies have \(count); fix each and save again: "
                        + errors.map(\.description).joined(separator: "; "), staged))
        }
        return compiled
    }

    private func loadIdentity(_ compiled: CompiledPolicySet, _ staged: Staged) throws(ReloadError) -> (
        PolicyAuthenticators, [RemoteKeySet]
    ) {
        let authenticators: PolicyAuthenticators
        do {
            authenticators = try IdentityLoader.load(compiled.authentication, keySets: self.keySets) { skipped in
                self.logger.warning("key skipped", metadata: ["reason": "\(self.display(skipped.description, staged))"])
            }
        } catch {
            let problems = error.problems.isEmpty ? [error.errorDescription] : error.problems.map(\.errorDescription)
            throw ReloadError(
                .identity, "identity_failed", self.display(problems.joined(separator: "; "), staged))
        }
        var locations: [RemoteKeySet.Location] = []
        for settings in compiled.authentication.compactMap({ $0 }) {
            for issuer in settings.jwt {
                let location: RemoteKeySet.Location
                switch issuer.keys {
                case .file, .secretFile: continue
                case .url(let url): location = .jwks(url: url)
                case .discovery: location = .discovery(issuer: issuer.issuer.value)
                }
                if !locations.contains(location) { locations.append(location) }
            }
        }
        return (authenticators, locations.map { self.keySets.keySet(for: $0) })
    }

    private func test(_ compiled: CompiledPolicySet, _ staged: Staged) throws(ReloadError) {
        let report = PolicyTestRunner.run(compiled)
        let failed = report.results.filter { !$0.passed }
        guard !failed.isEmpty else { return }
        let cases = failed.map { result in
            "\(result.testCase.location): \(result.testCase.name.value): \(result.failures.joined(separator: ", "))"
        }
        throw ReloadError(
            .test, "tests_failed",
            self.display(
                "\(failed.count) of \(report.results.count) policy tests failed; fix the policy or the test: "
                    + cases.joined(separator: "; "), staged))
    }

    /// Keeps the activated revision in the store (a failure to keep it is logged, not fatal).
    private func keep(_ staged: Staged) {
        do {
            try self.store.commit(staged.bundle)
            self.sources.record(
                revision: staged.revision, source: staged.storedSource, kept: self.store.kept().map(\.revision))
        } catch {
            self.logger.warning(
                "the activated revision could not be kept in the bundle store",
                metadata: ["gatehouse.bundles.store": "\(self.store.root)", "error": "\(error)"])
        }
    }

    func discard(_ staged: Staged) {
        self.store.discard(staged.bundle)
    }

    /// `text` with the snapshot's path replaced by the one the operator edits.
    private func display(_ text: String, _ staged: Staged) -> String {
        guard let shown = staged.displayPath else { return text }
        return text.replacingOccurrences(of: staged.directory, with: shown)
    }

    /// Whether every one of a revision's URL key sets has loaded; `nil` when it has none.
    nonisolated static func readiness(of sets: [RemoteKeySet]) -> (@Sendable () -> Bool)? {
        guard !sets.isEmpty else { return nil }
        return { @Sendable in sets.allSatisfy { $0.isLoaded } }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
