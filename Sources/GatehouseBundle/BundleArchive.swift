import Foundation

/// Reading and writing `.tar.gz` bundles.
package enum BundleArchive {
    /// The files of a `.tar.gz`, checked for unsafe entries and limits.
    static func read(_ archive: [UInt8], limits: BundleLimits) throws(BundleError) -> BundleFiles {
        // The tar stream holds 512-byte headers besides the files: allow for one per file.
        let tarLimit = limits.maximumTotalBytes + (limits.maximumFileCount + 4) * 1024
        let tar = try Gzip.decompress(archive, limit: tarLimit)
        return try TarReader.read(tar, limits: limits)
    }

    /// Builds a bundle from a policy directory: its files, a fresh `.manifest.json`, and no
    /// signatures (a signature over the old manifest would not match). Deterministic: sorted
    /// entries, owner 0:0, every mtime `created`'s.
    ///
    /// The directory is read once, as one snapshot; `check` sees a temporary copy of exactly the
    /// files that go into the archive, so what was compiled is what is packed, even when the
    /// directory is edited meanwhile or holds hidden files the bundle leaves out.
    ///
    /// - Parameters:
    ///   - directory: The policy directory (a `.manifest.json` or `.signatures.json` in it is
    ///     ignored and replaced; other hidden names are left out).
    ///   - name: The bundle's name.
    ///   - revision: The revision, or `nil` to derive `sha256:…` from the files.
    ///   - created: The creation time, seconds since 1970.
    ///   - check: Called with the copy's path before anything is packed (the CLI compiles it
    ///     there); what it throws ends the build.
    /// - Returns: The archive's bytes and its manifest.
    /// - Throws: ``BundleError`` for a directory that cannot be read or bundled, or what `check` throws.
    package static func build(
        directory: String, name: String, revision: String?, created: Int, limits: BundleLimits = .defaults,
        check: (String) throws -> Void = { _ in }
    ) throws -> (archive: [UInt8], manifest: BundleManifest) {
        let files = try DirectorySnapshot.read(directory, limits: limits)
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gatehouse-bundle-build-\(UUID().uuidString.prefix(8))"
        ).path
        defer { try? FileManager.default.removeItem(atPath: copy) }
        do {
            for name in files.contentNames {
                let path = copy + "/" + name
                try FileManager.default.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(files[name] ?? []).write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
            }
        } catch {
            throw BundleError(
                .storeFailed,
                "The files of '\(directory)' could not be copied to '\(copy)' to be checked "
                    + "(\(error.localizedDescription)); check the temporary directory's free space.")
        }
        try check(copy)
        let manifest = BundleContentVerifier.manifest(
            of: files, name: name, revision: revision, created: Self.rfc3339(created))
        var entries = files.contentNames.map { (name: $0, bytes: files[$0] ?? []) }
        entries.append((BundleLayout.manifestName, manifest.jsonBytes))
        return (Gzip.compress(TarWriter.write(files: entries, mtime: created)), manifest)
    }

    /// The archive with `signature` added to its `.signatures.json` (created when absent);
    /// the other files are written back unchanged, in the same deterministic form.
    package static func adding(signature: String, to archive: [UInt8], limits: BundleLimits = .defaults)
        throws(BundleError) -> [UInt8]
    {
        let contents = try Self.inspect(archive, limits: limits)
        let files = contents.files
        var signatures = contents.signatures?.signatures ?? []
        signatures.append(signature)
        var entries = files.contentNames.map { (name: $0, bytes: files[$0] ?? []) }
        entries.append((BundleLayout.manifestName, files[BundleLayout.manifestName] ?? []))
        entries.append((BundleLayout.signaturesName, BundleSignatures(signatures: signatures).jsonBytes))
        let mtime = Self.epoch(contents.manifest.created) ?? 0
        return Gzip.compress(TarWriter.write(files: entries, mtime: mtime))
    }

    /// What an archive holds, for `inspect` and `sign`: its manifest (required) and signatures.
    package struct Contents: Sendable {
        /// The manifest as written in the archive (not yet checked against the files).
        package var manifest: BundleManifest
        /// `.signatures.json`, when present.
        package var signatures: BundleSignatures?
        fileprivate var files: BundleFiles
    }

    /// Reads an archive's manifest and signature file without verifying hashes or signatures.
    package static func inspect(_ archive: [UInt8], limits: BundleLimits = .defaults) throws(BundleError) -> Contents {
        let files = try Self.read(archive, limits: limits)
        guard let manifestBytes = files[BundleLayout.manifestName] else {
            throw BundleError(
                .manifestInvalid,
                "The archive has no '\(BundleLayout.manifestName)'; build it with 'gatehouse bundle build'.")
        }
        let manifest = try BundleManifest.parse(manifestBytes)
        let signatures = try files[BundleLayout.signaturesName].map { (bytes) throws(BundleError) in
            try BundleSignatures.parse(bytes)
        }
        return Contents(manifest: manifest, signatures: signatures, files: files)
    }

    /// Verifies an archive completely (limits, paths, manifest, hashes, signatures) without
    /// writing anything: what `gatehouse bundle verify` runs.
    package static func verify(
        _ archive: [UInt8], policy: BundleVerificationPolicy, limits: BundleLimits = .defaults
    ) throws(BundleError) -> (manifest: BundleManifest, signedBy: [String]) {
        let files = try Self.read(archive, limits: limits)
        guard files[BundleLayout.manifestName] != nil else {
            throw BundleError(
                policy.requireSignature ? .signatureMissing : .manifestInvalid,
                "The archive has no '\(BundleLayout.manifestName)'; build it with 'gatehouse bundle build'.")
        }
        let verified = try BundleContentVerifier.verify(files, policy: policy, derivedName: "bundle", created: "")
        return (verified.manifest, verified.signedBy)
    }

    /// `seconds` since 1970 as RFC 3339 UTC (`2026-12-05T21:00:00Z`).
    package static func rfc3339(_ seconds: Int) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    static func epoch(_ text: String) -> Int? {
        ISO8601DateFormatter().date(from: text).map { Int($0.timeIntervalSince1970) }
    }
}
