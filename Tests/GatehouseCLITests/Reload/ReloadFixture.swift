import Foundation
import GatehouseBundle
import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import Logging
import Synchronization

@testable import GatehouseCLI

/// A policy directory, a bundle store and a reloader over them, in a temporary directory.
struct ReloadFixture {
    let root: URL
    var policies: String { self.root.appendingPathComponent("policies").path }
    var store: String { self.root.appendingPathComponent("store").path }

    /// A policy allowing GET on `path`, with one passing test.
    static func policy(path: String = "/a") -> [String: String] {
        [
            "p.yaml": """
            kind: Policy
            name: p
            rules:
              - { name: readers, action: allow, methods: [GET], paths: [\(path)] }
            """,
            "p_test.yaml": """
            kind: PolicyTests
            tests:
              - name: a read is allowed
                request: { method: GET, path: \(path) }
                expect: { decision: allow, rule: readers }
            """,
        ]
    }

    /// Replaces the policy directory's files with `files`.
    func write(_ files: [String: String]) throws {
        try? FileManager.default.removeItem(atPath: self.policies)
        for (path, text) in files {
            let url = URL(fileURLWithPath: self.policies).appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
    }

    /// A reloader of the policy directory into a fresh authorizer.
    func reloader(
        authorizer: Authorizer = Authorizer(), runTests: Bool = true, source: PolicySourceLocation? = nil,
        verification: BundleVerificationPolicy = .unsigned, fetcher: any HTTPFetching = HTTPFetcher(),
        keySetWait: Duration = .milliseconds(100),
        fetchBundle: (@Sendable (String, String?) async throws(ReloadError) -> BundleDownload)? = nil,
        afterReadingDirectory: @escaping @Sendable () -> Void = {},
        onOutcome: @escaping @Sendable (ReloadOutcome, ReloadRequest, Duration) -> Void = { _, _, _ in }
    ) throws -> PolicyReloader {
        var settings = PolicyReloader.Settings(source: source ?? .directory(self.policies), store: self.store)
        settings.verification = verification
        settings.fetchBundle = fetchBundle
        settings.runTests = runTests
        settings.keySetWait = keySetWait
        settings.onOutcome = onOutcome
        settings.afterReadingDirectory = afterReadingDirectory
        return try PolicyReloader(
            settings: settings, authorizer: authorizer,
            keySets: KeySetRegistry(fetcher: fetcher, logger: Logger(label: "test")),
            logger: Logger(label: "test"))
    }
}

extension ReloadFixture {
    /// The policy directory packed as a `.tar.gz` bundle of `revision`.
    func archive(revision: String) throws -> [UInt8] {
        try BundleArchive.build(directory: self.policies, name: "test", revision: revision, created: 0).archive
    }
}

extension ReloadOutcome {
    var activation: PolicyActivation? {
        if case .activated(let activation) = self { return activation }
        return nil
    }

    var failure: ReloadFailure? {
        if case .refused(let failure) = self { return failure }
        return nil
    }
}

/// Counts what a test's hook was told.
final class OutcomeLog: Sendable {
    private let outcomes = Mutex<[ReloadOutcome]>([])
    func record(_ outcome: ReloadOutcome) { self.outcomes.withLock { $0.append(outcome) } }
    var all: [ReloadOutcome] { self.outcomes.withLock { $0 } }
}
