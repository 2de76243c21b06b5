import Crypto
import Foundation
import GatehouseCore

/// A consistent copy of a policy directory, taken so that a revision is compiled, tested and kept
/// from files that can no longer change under it.
///
/// The directory's fingerprint (every path, size and modification time) is read before and after
/// the copy; when they differ an editor was saving meanwhile and the copy is refused as
/// `source_changing`, so a directory caught mid-edit is never activated.
enum DirectorySnapshot {
    /// One file's identity for change detection.
    struct Entry: Hashable {
        var path: String
        var size: UInt64
        var modified: Double
        var isDirectory: Bool
    }

    /// Every entry below `directory`, sorted by relative path.
    ///
    /// - Throws: ``ReloadError`` `source_unreadable` when the directory cannot be listed.
    static func fingerprint(of directory: String) throws(ReloadError) -> [Entry] {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
            let enumerator = manager.enumerator(atPath: directory)
        else {
            throw ReloadError(
                .fetch, "source_unreadable",
                "The policy directory '\(directory)' does not exist or is not a directory; create it or fix `policies`."
            )
        }
        var entries: [Entry] = []
        for case let relative as String in enumerator {
            // Editors' swap and backup files change while saving; they are never policy.
            if Self.isScratch(relative) { continue }
            let attributes = (try? manager.attributesOfItem(atPath: directory + "/" + relative)) ?? [:]
            let type = attributes[.type] as? FileAttributeType
            entries.append(
                Entry(
                    path: relative, size: (attributes[.size] as? NSNumber)?.uint64Value ?? 0,
                    modified: (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0,
                    isDirectory: type == .typeDirectory))
        }
        return entries.sorted { $0.path < $1.path }
    }

    /// Copies `directory` into `destination` (which must not exist) and returns the content digest
    /// (SHA-256 over every file's relative path and bytes, 16 hex digits): the revision of a plain directory.
    ///
    /// - Throws: ``ReloadError`` `source_changing` when the directory changed during the copy,
    ///   `source_unreadable` when it cannot be read.
    ///
    /// - Parameter whileCopying: Runs between the copy and the second fingerprint (tests edit the directory there).
    static func copy(
        _ directory: String, to destination: String, whileCopying: () -> Void = {}
    ) throws(ReloadError) -> String {
        let before = try Self.fingerprint(of: directory)
        let manager = FileManager.default
        var hash = SHA256()
        do {
            try manager.createDirectory(atPath: destination, withIntermediateDirectories: true)
            for entry in before {
                let target = destination + "/" + entry.path
                if entry.isDirectory {
                    try manager.createDirectory(atPath: target, withIntermediateDirectories: true)
                    continue
                }
                guard let data = manager.contents(atPath: directory + "/" + entry.path) else {
                    throw ReloadError(
                        .fetch, "source_changing",
                        "'\(directory)/\(entry.path)' vanished while the directory was read; it is being edited.")
                }
                hash.update(data: Data(entry.path.utf8 + [0]))
                hash.update(data: data)
                hash.update(data: Data([0]))
                try data.write(to: URL(fileURLWithPath: target))
            }
        } catch let error as ReloadError {
            try? manager.removeItem(atPath: destination)
            throw error
        } catch {
            try? manager.removeItem(atPath: destination)
            throw ReloadError(
                .fetch, "source_unreadable",
                "The policy directory '\(directory)' could not be copied: \(error.localizedDescription).")
        }
        whileCopying()
        let after = (try? Self.fingerprint(of: directory)) ?? []
        guard after == before else {
            try? manager.removeItem(atPath: destination)
            throw ReloadError(
                .fetch, "source_changing",
                "The policy directory '\(directory)' changed while it was read; it is loaded once it has been quiet.")
        }
        return Self.hex(hash.finalize())
    }

    /// The content digest of `directory` as ``copy(_:to:)`` computes it: a kept revision is verified
    /// again with it before it is served.
    static func digest(of directory: String) throws(ReloadError) -> String {
        var hash = SHA256()
        for entry in try Self.fingerprint(of: directory) where !entry.isDirectory {
            guard let data = FileManager.default.contents(atPath: directory + "/" + entry.path) else {
                throw ReloadError(.verify, "source_unreadable", "'\(directory)/\(entry.path)' cannot be read.")
            }
            hash.update(data: Data(entry.path.utf8 + [0]))
            hash.update(data: data)
            hash.update(data: Data([0]))
        }
        return Self.hex(hash.finalize())
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Editor scratch files (`.swp`, `~` backups, `.#` locks, dot-files other than a bundle's own).
    static func isScratch(_ relative: String) -> Bool {
        let name = (relative as NSString).lastPathComponent
        return name.hasSuffix("~") || name.hasSuffix(".swp") || name.hasSuffix(".swx") || name.hasPrefix(".#")
            || name == "4913"
    }
}
