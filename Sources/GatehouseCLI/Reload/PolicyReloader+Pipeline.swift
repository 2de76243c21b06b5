import Foundation
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

    /// A revision's files, copied where they cannot change, with where they came from.
    struct Staged: Sendable {
        var directory: String
        var revision: String
        /// The activation's source, as status shows it.
        var source: String
        /// The source the store records (a kept revision keeps its original one).
        var storedSource: String
        var signedBy: [String] = []
        /// Whether ``directory`` is the store's own copy (nothing to discard or move).
        var isKept = false
        /// The path diagnostics should name instead of ``directory``.
        var displayPath: String
    }

    /// Runs the whole pipeline for `origin`; never throws: a refusal is an outcome.
    func run(_ origin: Origin, _ request: ReloadRequest) async -> ReloadOutcome {
        let started = ContinuousClock.now
        var staged: Staged?
        do throws(ReloadError) {
            let revision = try self.stage(origin)
            staged = revision
            if let expected = request.expectedRevision, expected != revision.revision {
                throw ReloadError(
                    .fetch, "revision_mismatch",
                    "The source holds revision '\(revision.revision)', not the expected '\(expected)'; nothing changed. Publish the expected revision or notify without one."
                )
            }
            if revision.revision == self.active?.revision, request.trigger != .rollback {
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
            let compiled = try self.compile(revision)
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
            self.keep(revision)
            let activation = PolicyActivation(
                revision: revision.revision, source: revision.source, trigger: request.trigger,
                requestedBy: request.requestedBy, activatedAt: RemoteKeySet.systemWallClock(),
                duration: .now - started, policies: tree.policies.count, rules: tree.ruleCount,
                signedBy: revision.signedBy)
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

    /// Fetch and verify: a consistent copy whose revision is known.
    private func stage(_ origin: Origin) throws(ReloadError) -> Staged {
        switch origin {
        case .source:
            switch self.settings.source {
            case .directory(let path):
                let directory = try self.store.stagingDirectory()
                let revision = try DirectorySnapshot.copy(path, to: directory)
                return Staged(
                    directory: directory, revision: revision, source: path, storedSource: path, displayPath: path)
            case .bundleFile, .url:
                throw ReloadError(
                    .fetch, "bundle_unsupported",
                    "Bundle files and URLs are not read by this build yet; point `policies` at a policy directory.")
            }
        case .upload:
            throw ReloadError(
                .fetch, "bundle_unsupported", "Uploaded bundles are not read by this build yet; publish a directory.")
        case .kept(let revision):
            guard let kept = self.store.kept().first(where: { $0.revision == revision }) else {
                throw ReloadError(
                    .fetch, "revision_not_kept", "The revision '\(revision)' is not kept in the bundle store.")
            }
            let directory = self.store.directory(of: revision)
            // Verified again: the copy must still hash to the revision it was kept as.
            let digest = try DirectorySnapshot.digest(of: directory)
            guard digest == revision else {
                throw ReloadError(
                    .verify, "hash_mismatch",
                    "The kept revision '\(revision)' in '\(directory)' no longer matches its digest (\(digest)); it was changed on disk. Remove it from the bundle store."
                )
            }
            return Staged(
                directory: directory, revision: revision, source: "bundle store", storedSource: kept.source,
                isKept: true, displayPath: directory)
        }
    }

    private func compile(_ staged: Staged) throws(ReloadError) -> CompiledPolicySet {
        let result: PolicyCompiler.Result
        do {
            result = try PolicyCompiler.diagnose(directory: staged.directory)
        } catch {
            throw ReloadError(.compile, "source_unreadable", self.display(error.message, staged))
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
            try self.store.commit(staged: staged.directory, revision: staged.revision, source: staged.storedSource)
        } catch {
            self.logger.warning(
                "the activated revision could not be kept in the bundle store",
                metadata: ["gatehouse.bundles.store": "\(self.store.root)", "error": "\(error)"])
            self.discard(staged)
        }
    }

    private func discard(_ staged: Staged) {
        if !staged.isKept { self.store.discard(staged.directory) }
    }

    /// `text` with the snapshot's path replaced by the one the operator edits.
    private func display(_ text: String, _ staged: Staged) -> String {
        text.replacingOccurrences(of: staged.directory, with: staged.displayPath)
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
