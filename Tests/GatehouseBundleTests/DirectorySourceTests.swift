import Foundation
import GatehouseBundle
import GatehouseTestSupport
import Testing

@Suite("Directory bundle sources", .bug(id: "12"), .timeLimit(.minutes(2)))
struct DirectorySourceTests {
    @Test("A directory edited while it is read is source_changing, and nothing is staged")
    func changingDirectory() throws {
        try withTemporaryDirectory("bundle-dir-changing") { directory in
            let policies = directory.appendingPathComponent("policies")
            try BundleFixtures.write(BundleFixtures.policyFiles, to: policies)
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            let edits: [(URL) throws -> Void] = [
                { try Data("kind: Policy\nname: half-\n".utf8).write(to: $0.appendingPathComponent("health.yaml")) },
                { try Data("kind: Policy\n".utf8).write(to: $0.appendingPathComponent("new.yaml")) },
                { try FileManager.default.removeItem(at: $0.appendingPathComponent("health_test.yaml")) },
            ]
            for edit in edits {
                BundleFixtures.expectRefusal(.sourceChanging) {
                    _ = try store.stage(.directory(policies.path), policy: .unsigned) { try? edit(policies) }
                }
                #expect(try FileManager.default.contentsOfDirectory(atPath: store.root + "/revisions").isEmpty)
            }
            // Once the edits are done, the same directory stages.
            #expect(try store.stage(.directory(policies.path), policy: .unsigned).manifest.files.count == 3)
        }
    }

    @Test("Symbolic links inside a directory are refused, not followed")
    func symlinks() throws {
        try withTemporaryDirectory("bundle-dir-symlink") { directory in
            let policies = directory.appendingPathComponent("policies")
            try BundleFixtures.write(BundleFixtures.policyFiles, to: policies)
            try FileManager.default.createSymbolicLink(
                atPath: policies.appendingPathComponent("outside.yaml").path, withDestinationPath: "/etc/hostname")
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            let error = BundleFixtures.expectRefusal(.archiveUnsafe) {
                _ = try store.stage(.directory(policies.path), policy: .unsigned)
            }
            #expect(error?.message.contains("symbolic link") == true)
        }
    }

    @Test("A FIFO inside a directory is refused without being opened (which would block)")
    func fifo() throws {
        try withTemporaryDirectory("bundle-dir-fifo") { directory in
            let policies = directory.appendingPathComponent("policies")
            try BundleFixtures.write(BundleFixtures.policyFiles, to: policies)
            let made = try ProcessRunner.run(
                "/usr/bin/env", ["mkfifo", policies.appendingPathComponent("pipe.yaml").path])
            try #require(made.status == 0, "\(made.stderr)")
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            let error = BundleFixtures.expectRefusal(.archiveUnsafe) {
                _ = try store.stage(.directory(policies.path), policy: .unsigned)
            }
            #expect(error?.message.contains("not a regular file or directory") == true)
        }
    }

    @Test("Hidden files (editor swap files, .git) are skipped; the reserved files are not")
    func hiddenFiles() throws {
        try withTemporaryDirectory("bundle-dir-hidden") { directory in
            let policies = directory.appendingPathComponent("policies")
            var files = BundleFixtures.policyFiles
            files[".health.yaml.swp"] = "garbage"
            files[".git/HEAD"] = "ref: refs/heads/main\n"
            try BundleFixtures.write(files, to: policies)
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            let staged = try store.stage(.directory(policies.path), policy: .unsigned)
            #expect(staged.manifest.files.map(\.name) == BundleFixtures.policyFiles.keys.sorted())
        }
    }

    @Test("A bundle laid out as a directory (extracted archive) verifies like the archive")
    func extractedBundle() throws {
        try withTemporaryDirectory("bundle-dir-extracted") { directory in
            let built = try BundleFixtures.archive(in: directory)
            let archive = directory.appendingPathComponent("b.tar.gz")
            try Data(built.bytes).write(to: archive)
            let tree = directory.appendingPathComponent("tree")
            try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: false)
            _ = try ProcessRunner.run("/usr/bin/env", ["tar", "-xzf", archive.path, "-C", tree.path])
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            let staged = try store.stage(.directory(tree.path), policy: .unsigned)
            #expect(staged.manifest == built.manifest && !staged.isManifestDerived)
            try Data("x".utf8).write(to: tree.appendingPathComponent("added.yaml"))
            BundleFixtures.expectRefusal(.fileUnlisted) {
                _ = try store.stage(.directory(tree.path), policy: .unsigned)
            }
        }
    }

    @Test("The directory itself may be reached through a symbolic link")
    func linkedRoot() throws {
        try withTemporaryDirectory("bundle-dir-linked-root") { directory in
            let policies = directory.appendingPathComponent("policies")
            try BundleFixtures.write(BundleFixtures.policyFiles, to: policies)
            let link = directory.appendingPathComponent("current")
            try FileManager.default.createSymbolicLink(at: link, withDestinationURL: policies)
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            let staged = try store.stage(.directory(link.path), policy: .unsigned)
            #expect(staged.manifest.files.map(\.name) == BundleFixtures.policyFiles.keys.sorted())
        }
    }

    @Test("A missing directory is source_unreadable")
    func missing() throws {
        try withTemporaryDirectory("bundle-dir-missing") { directory in
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            BundleFixtures.expectRefusal(.sourceUnreadable) {
                _ = try store.stage(.directory(directory.appendingPathComponent("nope").path), policy: .unsigned)
            }
        }
    }
}
