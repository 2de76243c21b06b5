import Foundation
import GatehouseBundle
import GatehouseTestSupport
import Testing

@Suite("Bundle store", .bug(id: "12"), .timeLimit(.minutes(2)))
struct BundleStoreTests {
    private func bundle(_ revision: String, in directory: URL) throws -> [UInt8] {
        var files = BundleFixtures.policyFiles
        files["revision.yaml"] = "# \(revision)\n"
        return try BundleFixtures.archive(files, in: directory, revision: revision).bytes
    }

    private func copies(_ store: BundleStore) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: store.root + "/revisions").sorted()
    }

    @Test("The store keeps the last 5 committed revisions, newest first, and deletes the older copies")
    func keepFive() throws {
        try withTemporaryDirectory("bundle-store-keep") { directory in
            let store = try BundleStore(root: directory.appendingPathComponent("store").path, abandonedAfter: .zero)
            var directories: [String] = []
            for index in 1...7 {
                let staged = try store.stage(.archive(try self.bundle("r\(index)", in: directory)), policy: .unsigned)
                try store.commit(staged)
                directories.append(staged.directory)
            }
            #expect(store.kept().map(\.revision) == ["r7", "r6", "r5", "r4", "r3"])
            #expect(store.kept().map(\.directory) == directories.suffix(5).reversed())
            #expect(try self.copies(store).count == 5)
            #expect(!FileManager.default.fileExists(atPath: directories[0]))
            // Reopened (a restart), the store still knows them.
            let reopened = try BundleStore(root: store.root)
            #expect(reopened.kept().map(\.revision) == ["r7", "r6", "r5", "r4", "r3"])
            #expect(reopened.kept().first?.manifest.files.count == 4)
        }
    }

    @Test("A rollback (restage and commit of a kept revision) moves it to the front instead of listing it twice")
    func rollbackReorders() throws {
        try withTemporaryDirectory("bundle-store-rollback") { directory in
            let store = try BundleStore(root: directory.appendingPathComponent("store").path, abandonedAfter: .zero)
            for index in 1...4 {
                try store.commit(
                    try store.stage(.archive(try self.bundle("r\(index)", in: directory)), policy: .unsigned))
            }
            let old = try #require(store.kept().first { $0.revision == "r2" })
            let restaged = try store.restage(revision: "r2", policy: .unsigned)
            try store.commit(restaged)
            #expect(store.kept().map(\.revision) == ["r2", "r4", "r3", "r1"])
            #expect(store.kept().first?.directory == restaged.directory)
            #expect(!FileManager.default.fileExists(atPath: old.directory))
        }
    }

    @Test("A discarded copy is removed; an abandoned one is removed when the store reopens")
    func discardAndAbandoned() throws {
        try withTemporaryDirectory("bundle-store-discard") { directory in
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            let kept = try store.stage(.archive(try self.bundle("r1", in: directory)), policy: .unsigned)
            try store.commit(kept)
            let failed = try store.stage(.archive(try self.bundle("r2", in: directory)), policy: .unsigned)
            store.discard(failed)
            #expect(!FileManager.default.fileExists(atPath: failed.directory))
            _ = try store.stage(.archive(try self.bundle("r3", in: directory)), policy: .unsigned)
            #expect(try self.copies(store).count == 2)
            // Within the grace period, another process's copy might be being staged: it stays.
            #expect(try self.copies(try BundleStore(root: store.root)).count == 2)
            let reopened = try BundleStore(root: store.root, abandonedAfter: .zero)
            #expect(try self.copies(reopened) == [kept.storeID])
            #expect(reopened.kept().map(\.revision) == ["r1"])
        }
    }

    @Test("Restage verifies a kept copy again: an untouched one stages, a tampered one is refused")
    func restageDetectsTampering() throws {
        try withTemporaryDirectory("bundle-store-tamper") { directory in
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            let staged = try store.stage(.archive(try self.bundle("r1", in: directory)), policy: .unsigned)
            try store.commit(staged)
            let again = try store.restage(revision: "r1", policy: .unsigned)
            #expect(again.manifest == staged.manifest && again.directory != staged.directory)
            #expect(BundleFixtures.read(again.directory) == BundleFixtures.read(staged.directory))
            store.discard(again)

            let policy = staged.directory + "/health.yaml"
            try Data("kind: Policy\nname: opened-up\n".utf8).write(to: URL(fileURLWithPath: policy))
            BundleFixtures.expectRefusal(.hashMismatch) { _ = try store.restage(revision: "r1", policy: .unsigned) }
            try Data(BundleFixtures.policyFiles["health.yaml"]!.utf8).write(to: URL(fileURLWithPath: policy))
            try Data("kind: Policy\n".utf8).write(to: URL(fileURLWithPath: staged.directory + "/extra.yaml"))
            BundleFixtures.expectRefusal(.fileUnlisted) { _ = try store.restage(revision: "r1", policy: .unsigned) }
            try FileManager.default.removeItem(atPath: staged.directory + "/extra.yaml")
            try FileManager.default.removeItem(atPath: staged.directory + "/keys/issuer.jwks.json")
            BundleFixtures.expectRefusal(.fileMissing) { _ = try store.restage(revision: "r1", policy: .unsigned) }
            BundleFixtures.expectRefusal(.revisionNotKept) { _ = try store.restage(revision: "r9", policy: .unsigned) }
        }
    }

    @Test("Restage checks signatures again: a kept copy whose signature file was removed is refused")
    func restageChecksSignatures() throws {
        try withTemporaryDirectory("bundle-store-signed") { directory in
            let built = try BundleFixtures.archive(in: directory)
            let signed = try BundleArchive.adding(
                signature: FakeSignatureVerifier.sign(built.manifest, kid: "k1"), to: built.bytes)
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            let staged = try store.stage(.archive(signed), policy: BundleFixtures.required(["k1"]))
            #expect(staged.signedBy == ["k1"])
            try store.commit(staged)
            #expect(try store.restage(revision: "r1", policy: BundleFixtures.required(["k1"])).signedBy == ["k1"])
            BundleFixtures.expectRefusal(.signatureUnknownKey) {
                _ = try store.restage(revision: "r1", policy: BundleFixtures.required(["k2"]))
            }
            try FileManager.default.removeItem(atPath: staged.directory + "/.signatures.json")
            BundleFixtures.expectRefusal(.signatureMissing) {
                _ = try store.restage(revision: "r1", policy: BundleFixtures.required(["k1"]))
            }
        }
    }

    @Test("A derived manifest is written into the copy, so the kept copy of a plain directory is verified too")
    func derivedManifestKept() throws {
        try withTemporaryDirectory("bundle-store-derived") { directory in
            let policies = directory.appendingPathComponent("policies")
            try BundleFixtures.write(BundleFixtures.policyFiles, to: policies)
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            let staged = try store.stage(.directory(policies.path), policy: .unsigned)
            try store.commit(staged)
            let manifest = try BundleManifest.parse(
                Array(try Data(contentsOf: URL(fileURLWithPath: staged.directory + "/.manifest.json"))))
            #expect(manifest == staged.manifest)
            let restaged = try store.restage(revision: staged.manifest.revision, policy: .unsigned)
            #expect(restaged.manifest == staged.manifest && !restaged.isManifestDerived)
        }
    }

    @Test("Two stores on one root (two servers) share the kept list and never delete each other's staged copy")
    func sharedRoot() throws {
        try withTemporaryDirectory("bundle-store-shared") { directory in
            let root = directory.appendingPathComponent("store").path
            let first = try BundleStore(root: root)
            let staging = try first.stage(.archive(try self.bundle("a1", in: directory)), policy: .unsigned)
            let second = try BundleStore(root: root)
            for index in 1...6 {
                try second.commit(
                    try second.stage(.archive(try self.bundle("b\(index)", in: directory)), policy: .unsigned))
            }
            #expect(FileManager.default.fileExists(atPath: staging.directory + "/health.yaml"))
            try first.commit(staging)
            #expect(first.kept().map(\.revision) == ["a1", "b6", "b5", "b4", "b3"])
            #expect(second.kept().map(\.revision) == ["a1", "b6", "b5", "b4", "b3"])
        }
    }
}
