import Foundation
import GatehouseBundle
import GatehouseTestSupport
import Testing

@Suite("Bundle archives", .bug(id: "12"), .timeLimit(.minutes(2)))
struct BundleArchiveTests {
    @Test("A built archive stages back to exactly the source's files plus its manifest")
    func roundTrip() throws {
        try withTemporaryDirectory("bundle-roundtrip") { directory in
            let built = try BundleFixtures.archive(in: directory, name: "gov-exchange", revision: "2026-12-05.1")
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            let staged = try store.stage(.archive(built.bytes), policy: .unsigned)
            var expected = BundleFixtures.policyFiles
            expected[".manifest.json"] = String(decoding: built.manifest.jsonBytes, as: UTF8.self)
            #expect(BundleFixtures.read(staged.directory) == expected)
            #expect(staged.manifest == built.manifest)
            #expect(staged.manifest.name == "gov-exchange" && staged.manifest.revision == "2026-12-05.1")
            #expect(staged.manifest.created == "2025-12-06T05:46:40Z")
            #expect(staged.manifest.files.map(\.name) == ["health.yaml", "health_test.yaml", "keys/issuer.jwks.json"])
            #expect(staged.manifest.files.allSatisfy { $0.algorithm == "SHA-256" && $0.hash.count == 64 })
            #expect(!staged.isManifestDerived && staged.signedBy.isEmpty)
        }
    }

    @Test("Building twice gives the same bytes; the derived revision is sha256: and 16 hex digits of the content")
    func deterministic() throws {
        try withTemporaryDirectory("bundle-deterministic") { directory in
            let first = try BundleFixtures.archive(in: directory, revision: nil)
            let second = try BundleFixtures.archive(in: directory, revision: nil)
            #expect(first.bytes == second.bytes)
            #expect(first.manifest.revision.hasPrefix("sha256:") && first.manifest.revision.count == 7 + 16)
            var changed = BundleFixtures.policyFiles
            changed["health.yaml"]! += "# edited\n"
            let third = try BundleFixtures.archive(changed, in: directory, revision: nil)
            #expect(third.manifest.revision != first.manifest.revision)
        }
    }

    @Test("build's check sees a copy of exactly the files it packs; a check that throws ends the build")
    func buildCheck() throws {
        struct Refused: Error {}
        try withTemporaryDirectory("bundle-build-check") { directory in
            let source = directory.appendingPathComponent("policies")
            var files = BundleFixtures.policyFiles
            files[".hidden.yaml"] = "not packed"
            files[".manifest.json"] = "{}"
            try BundleFixtures.write(files, to: source)
            var seen: [String: String] = [:]
            let built = try BundleArchive.build(directory: source.path, name: "n", revision: "r", created: 0) {
                seen = BundleFixtures.read($0)
            }
            #expect(seen == BundleFixtures.policyFiles)
            #expect(built.manifest.files.map(\.name) == BundleFixtures.policyFiles.keys.sorted())
            #expect(throws: Refused.self) {
                _ = try BundleArchive.build(directory: source.path, name: "n", revision: "r", created: 0) { _ in
                    throw Refused()
                }
            }
        }
    }

    @Test("GNU tar lists and extracts an archive Gatehouse wrote, byte for byte")
    func gnuTarReadsOurs() throws {
        try withTemporaryDirectory("bundle-gnutar-read") { directory in
            let long = String(repeating: "nested-folder/", count: 9) + "a-policy-with-a-long-name.yaml"
            var files = BundleFixtures.policyFiles
            files[long] = "kind: Policy\nname: long\n"
            let built = try BundleFixtures.archive(files, in: directory)
            let archive = directory.appendingPathComponent("b.tar.gz")
            try Data(built.bytes).write(to: archive)
            let listing = try ProcessRunner.run("/usr/bin/env", ["tar", "-tzf", archive.path])
            #expect(listing.status == 0, "\(listing.stderr)")
            let listed = Set(listing.stdout.split(separator: "\n").map(String.init))
            #expect(listed.isSuperset(of: Set(files.keys).union([".manifest.json", "keys/"])), "\(listed)")
            let out = directory.appendingPathComponent("out")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
            let extract = try ProcessRunner.run("/usr/bin/env", ["tar", "-xzf", archive.path, "-C", out.path])
            #expect(extract.status == 0, "\(extract.stderr)")
            var expected = files
            expected[".manifest.json"] = String(decoding: built.manifest.jsonBytes, as: UTF8.self)
            #expect(BundleFixtures.read(out.path) == expected)
        }
    }

    @Test(
        "Gatehouse reads archives GNU tar wrote (gnu and pax formats, long names)", arguments: ["gnu", "pax", "ustar"])
    func readsGNUTar(format: String) throws {
        try withTemporaryDirectory("bundle-gnutar-write") { directory in
            let source = directory.appendingPathComponent("policies")
            var files = BundleFixtures.policyFiles
            if format != "ustar" {
                files[String(repeating: "deep/", count: 30) + "long-named-policy.yaml"] = "kind: Policy\n"
            }
            try BundleFixtures.write(files, to: source)
            let archive = directory.appendingPathComponent("b.tar.gz")
            let made = try ProcessRunner.run(
                "/usr/bin/env", ["tar", "--format=\(format)", "-czf", archive.path, "-C", source.path, "."])
            #expect(made.status == 0, "\(made.stderr)")
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            let staged = try store.stage(.archive(Array(try Data(contentsOf: archive))), policy: .unsigned)
            #expect(staged.isManifestDerived)
            #expect(staged.manifest.files.map(\.name) == files.keys.sorted())
            var read = BundleFixtures.read(staged.directory)
            read[".manifest.json"] = nil
            #expect(read == files)
        }
    }

    @Test("A manifest GNU tar packed with the files verifies; an edited file then fails its hash")
    func gnuTarWithManifest() throws {
        try withTemporaryDirectory("bundle-gnutar-manifest") { directory in
            let built = try BundleFixtures.archive(in: directory)
            let source = directory.appendingPathComponent("extracted")
            try FileManager.default.createDirectory(at: source, withIntermediateDirectories: false)
            let archive = directory.appendingPathComponent("b.tar.gz")
            try Data(built.bytes).write(to: archive)
            _ = try ProcessRunner.run("/usr/bin/env", ["tar", "-xzf", archive.path, "-C", source.path])
            let repacked = directory.appendingPathComponent("c.tar.gz")
            _ = try ProcessRunner.run("/usr/bin/env", ["tar", "-czf", repacked.path, "-C", source.path, "."])
            let store = try BundleStore(root: directory.appendingPathComponent("store").path)
            let staged = try store.stage(.archive(Array(try Data(contentsOf: repacked))), policy: .unsigned)
            #expect(staged.manifest == built.manifest && !staged.isManifestDerived)
            try Data("kind: Policy\nname: changed\n".utf8).write(to: source.appendingPathComponent("health.yaml"))
            _ = try ProcessRunner.run("/usr/bin/env", ["tar", "-czf", repacked.path, "-C", source.path, "."])
            let bytes = Array(try Data(contentsOf: repacked))
            BundleFixtures.expectRefusal(.hashMismatch) { _ = try store.stage(.archive(bytes), policy: .unsigned) }
        }
    }

    @Test("Inspect reads the manifest and signatures without verifying; adding a signature keeps the others")
    func inspectAndAddSignatures() throws {
        try withTemporaryDirectory("bundle-inspect") { directory in
            let built = try BundleFixtures.archive(in: directory)
            let first = FakeSignatureVerifier.sign(built.manifest, kid: "old")
            let second = FakeSignatureVerifier.sign(built.manifest, kid: "new")
            let signed = try BundleArchive.adding(
                signature: second, to: try BundleArchive.adding(signature: first, to: built.bytes))
            let contents = try BundleArchive.inspect(signed)
            #expect(contents.manifest == built.manifest)
            #expect(contents.signatures?.signatures == [first, second])
            let verified = try BundleArchive.verify(signed, policy: BundleFixtures.required(["new"]))
            #expect(verified.signedBy == ["new"] && verified.manifest == built.manifest)
        }
    }
}
