import Foundation
import GatehouseBundle
import GatehouseTestSupport
import Testing

/// Each hostile archive is refused with its code, a message saying what to do, and nothing
/// written: not outside the store, and no copy left inside it.
@Suite("Hostile bundles", .bug(id: "12"), .timeLimit(.minutes(3)))
struct HostileBundleTests {
    /// Stages `archive` into a fresh store inside a fresh directory, expects `code`, and checks
    /// that the directory then holds only the store's own empty skeleton.
    private func expectRefused(
        _ archive: [UInt8], _ code: BundleError.Code, limits: BundleLimits = .init(),
        policy: BundleVerificationPolicy = .unsigned, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try withTemporaryDirectory("bundle-hostile") { directory in
            let store = try BundleStore(root: directory.appendingPathComponent("store").path, limits: limits)
            let error = BundleFixtures.expectRefusal(code, sourceLocation: sourceLocation) {
                _ = try store.stage(.archive(archive), policy: policy)
            }
            #expect(error.map { $0.message.count > 30 } ?? false, sourceLocation: sourceLocation)
            let everything = FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String]
            #expect(everything?.sorted() == ["store", "store/revisions"], sourceLocation: sourceLocation)
        }
    }

    private func tar(_ entries: [RawTar.Entry]) -> [UInt8] {
        var tar = RawTar()
        tar.file("ok.yaml", "kind: Policy\n")
        tar.entries += entries
        return tar.gzipBytes
    }

    @Test("Bytes that are not gzip are archive_corrupt")
    func notGzip() throws {
        try self.expectRefused(Array("this is not an archive at all".utf8), .archiveCorrupt)
        try self.expectRefused([], .archiveCorrupt)
    }

    @Test("A gzip stream cut short is archive_corrupt (truncated)")
    func truncatedGzip() throws {
        try withTemporaryDirectory("bundle-truncated") { directory in
            let built = try BundleFixtures.archive(in: directory)
            for cut in [built.bytes.count / 2, built.bytes.count - 4, 20] {
                try self.expectRefused(Array(built.bytes.prefix(cut)), .archiveCorrupt)
            }
        }
    }

    @Test("Flipped bytes inside the deflate stream or its CRC are archive_corrupt")
    func corruptGzip() throws {
        try withTemporaryDirectory("bundle-corrupt") { directory in
            var built = try BundleFixtures.archive(in: directory).bytes
            built[built.count - 6] ^= 0xFF  // the CRC-32 trailer
            try self.expectRefused(built, .archiveCorrupt)
        }
    }

    @Test("Bytes after the gzip member are archive_corrupt")
    func trailingGarbage() throws {
        try withTemporaryDirectory("bundle-trailing") { directory in
            try self.expectRefused(try BundleFixtures.archive(in: directory).bytes + [1, 2, 3], .archiveCorrupt)
        }
    }

    @Test("A tar without its end-of-archive blocks, or cut inside a file, is archive_corrupt")
    func truncatedTar() throws {
        var tar = RawTar()
        tar.file("a.yaml", String(repeating: "x", count: 2000))
        tar.isTerminated = false
        try self.expectRefused(tar.gzipBytes, .archiveCorrupt)
        try self.expectRefused(RawTar.gzip(Array(tar.tarBytes.prefix(1000))), .archiveCorrupt)
    }

    @Test("A tar header with a wrong checksum is archive_corrupt")
    func badChecksum() throws {
        var tar = RawTar()
        tar.file("a.yaml", "kind: Policy\n")
        tar.breaksChecksum = true
        try self.expectRefused(tar.gzipBytes, .archiveCorrupt)
    }

    @Test(
        "Entries escaping the bundle are archive_unsafe",
        arguments: ["../evil.yaml", "/etc/evil.yaml", "a/../../evil.yaml", "a/./b.yaml", "a//b.yaml", "..", "a\\..\\b"])
    func escapingPaths(path: String) throws {
        try self.expectRefused(self.tar([RawTar.Entry(name: path, bytes: Array("x".utf8))]), .archiveUnsafe)
    }

    @Test("A '..' hidden in the ustar prefix field is archive_unsafe too")
    func escapingPrefix() throws {
        try self.expectRefused(self.tar([RawTar.Entry(name: "evil.yaml", prefix: "../..")]), .archiveUnsafe)
    }

    @Test("A '..' or absolute path in a pax path record or a GNU long name is archive_unsafe")
    func escapingLongNames() throws {
        for path in ["../../evil.yaml", "/etc/evil.yaml"] {
            let record = " path=\(path)\n"
            // The length counts its own digits.
            var length = record.utf8.count + 1
            while String(length).utf8.count + record.utf8.count != length { length += 1 }
            let pax = String(length) + record
            try self.expectRefused(
                self.tar([
                    RawTar.Entry(name: "PaxHeader/x", type: "x", bytes: Array(pax.utf8)),
                    RawTar.Entry(name: "innocent.yaml", bytes: Array("x".utf8)),
                ]), .archiveUnsafe)
            try self.expectRefused(
                self.tar([
                    RawTar.Entry(name: "././@LongLink", type: "L", bytes: Array(path.utf8) + [0]),
                    RawTar.Entry(name: "innocent.yaml", bytes: Array("x".utf8)),
                ]), .archiveUnsafe)
        }
    }

    @Test("Links, devices and FIFOs are archive_unsafe", arguments: ["1", "2", "3", "4", "6"] as [Character])
    func linksAndDevices(type: Character) throws {
        try self.expectRefused(
            self.tar([RawTar.Entry(name: "link.yaml", type: type, link: "/etc/passwd")]), .archiveUnsafe)
    }

    @Test("A decompression bomb (64 MiB default limit) is archive_too_large before it is inflated whole")
    func decompressionBomb() throws {
        var tar = RawTar()
        tar.file("bomb.yaml", bytes: [UInt8](repeating: 0x20, count: 80 << 20))
        let bomb = tar.gzipBytes
        #expect(bomb.count < 1 << 20)
        try self.expectRefused(bomb, .archiveTooLarge)
    }

    @Test("More files than the limit, or one file over the per-file limit, is archive_too_large")
    func countAndFileLimits() throws {
        var many = RawTar()
        for index in 0..<11 { many.file("p\(index).yaml", "kind: Policy\n") }
        try self.expectRefused(many.gzipBytes, .archiveTooLarge, limits: BundleLimits(maximumFileCount: 10))
        var big = RawTar()
        big.file("big.yaml", String(repeating: "x", count: 4096))
        try self.expectRefused(big.gzipBytes, .archiveTooLarge, limits: BundleLimits(maximumFileBytes: 4095))
    }

    @Test("The same path twice, or a path that is both a file and a directory, is duplicate_entry")
    func duplicates() throws {
        var twice = BundleFixtures.rawBundle(["a.yaml": "one"]).tar
        twice.file("a.yaml", "two")
        try self.expectRefused(twice.gzipBytes, .duplicateEntry)
        var clash = RawTar()
        clash.file("a", "file")
        clash.file("a/b.yaml", "below")
        try self.expectRefused(clash.gzipBytes, .duplicateEntry)
        let listedTwice = BundleFixtures.rawBundle(["a.yaml": "one"]) { $0.files.append($0.files[0]) }
        try self.expectRefused(listedTwice.tar.gzipBytes, .duplicateEntry)
    }

    @Test("A file whose hash differs from the manifest's is hash_mismatch")
    func hashMismatch() throws {
        var bundle = BundleFixtures.rawBundle(["a.yaml": "allow", "b.yaml": "deny"])
        bundle.tar.entries[0].bytes = Array("allow everyone".utf8)
        try self.expectRefused(bundle.tar.gzipBytes, .hashMismatch)
    }

    @Test("A file the manifest lists but the bundle lacks is file_missing; an extra one is file_unlisted")
    func missingAndExtra() throws {
        var missing = BundleFixtures.rawBundle(["a.yaml": "allow", "b.yaml": "deny"])
        missing.tar.entries.removeFirst()
        try self.expectRefused(missing.tar.gzipBytes, .fileMissing)
        var extra = BundleFixtures.rawBundle(["a.yaml": "allow"])
        extra.tar.file("sneaked-in.yaml", "kind: Policy\n")
        try self.expectRefused(extra.tar.gzipBytes, .fileUnlisted)
    }

    @Test("A manifest hashing with anything but SHA-256, or not JSON, is manifest_invalid")
    func manifestInvalid() throws {
        let md5 = BundleFixtures.rawBundle(["a.yaml": "allow"]) { $0.files[0].algorithm = "MD5" }
        try self.expectRefused(md5.tar.gzipBytes, .manifestInvalid)
        let shortHash = BundleFixtures.rawBundle(["a.yaml": "allow"]) { $0.files[0].hash = "abc" }
        try self.expectRefused(shortHash.tar.gzipBytes, .manifestInvalid)
        let escaping = BundleFixtures.rawBundle(["a.yaml": "allow"]) { $0.files[0].name = "../a.yaml" }
        try self.expectRefused(escaping.tar.gzipBytes, .archiveUnsafe)
        var notJSON = RawTar()
        notJSON.file("a.yaml", "allow")
        notJSON.file(".manifest.json", "{\"name\": \"x\",")
        try self.expectRefused(notJSON.gzipBytes, .manifestInvalid)
    }
}
