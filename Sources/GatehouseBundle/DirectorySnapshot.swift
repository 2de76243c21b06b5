import Foundation

/// Reads a directory into memory as one consistent snapshot, or says it is being edited.
///
/// Every file is read, then every entry is looked at again: if a size, modification time or
/// inode changed, or an entry appeared or vanished, the directory was edited while it was read
/// and the snapshot is refused with `source_changing` (the caller retries later), so a
/// half-edited directory is never activated.
///
/// Symbolic links are refused, not followed, inside the directory (the directory itself may be
/// reached through one): a link could point outside the bundle or change between reads. Names
/// starting with `.` other than the two reserved files are skipped (editor swap files, `.git`,
/// `.DS_Store`), as `gatehouse bundle build` skips them.
enum DirectorySnapshot {
    private struct Stamp: Equatable {
        var size: Int
        var modified: Date?
        var inode: Int
    }

    /// - Parameter afterReading: Runs between the read and the check (tests edit the directory there).
    static func read(
        _ directory: String, limits: BundleLimits, afterReading: () -> Void = {}
    ) throws(BundleError) -> BundleFiles {
        let root = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BundleError(
                .sourceUnreadable,
                "The bundle directory '\(BundlePath.quoted(directory))' does not exist or is not a directory; "
                    + "pass an existing directory.")
        }
        var files = BundleFiles(limits: limits)
        var before: [String: Stamp] = [:]
        try Self.walk(root, relative: "", stamps: &before, files: &files)
        afterReading()
        var after: [String: Stamp] = [:]
        var ignored = BundleFiles(limits: limits)
        do {
            try Self.walk(root, relative: "", stamps: &after, files: &ignored, reading: false)
        } catch {
            throw Self.changing(directory)
        }
        guard before == after else { throw Self.changing(directory) }
        try files.checkNoClash()
        return files
    }

    private static func changing(_ directory: String) -> BundleError {
        BundleError(
            .sourceChanging,
            "The directory '\(BundlePath.quoted(directory))' changed while it was read; it is retried once the "
                + "edit is finished.")
    }

    private static func walk(
        _ root: String, relative: String, stamps: inout [String: Stamp], files: inout BundleFiles, reading: Bool = true
    ) throws(BundleError) {
        let path = relative.isEmpty ? root : root + "/" + relative
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        } catch {
            throw BundleError(
                .sourceUnreadable, "The directory '\(BundlePath.quoted(path))' cannot be listed; check its permissions."
            )
        }
        for name in names where !name.hasPrefix(".") || (relative.isEmpty && BundlePath.isReserved(name)) {
            let entry = relative.isEmpty ? name : relative + "/" + name
            let full = root + "/" + entry
            // attributesOfItem uses lstat: a symbolic link is reported as one, not followed.
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: full) else {
                throw BundleError(
                    .sourceUnreadable, "The file '\(BundlePath.quoted(full))' cannot be read; check its permissions.")
            }
            let type = attributes[.type] as? FileAttributeType
            let stamp = Stamp(
                size: (attributes[.size] as? NSNumber)?.intValue ?? -1,
                modified: attributes[.modificationDate] as? Date,
                inode: (attributes[.systemFileNumber] as? NSNumber)?.intValue ?? -1)
            stamps[entry] = stamp
            switch type {
            case .typeDirectory?:
                if reading { try files.add(directory: try BundlePath.normalize(entry, entry: "directory entry")) }
                try Self.walk(root, relative: entry, stamps: &stamps, files: &files, reading: reading)
            case .typeRegular?:
                guard reading else { continue }
                let name = try BundlePath.normalize(entry, entry: "file")
                try files.checkFits(name, size: stamp.size)
                guard let data = FileManager.default.contents(atPath: full) else {
                    throw BundleError(
                        .sourceUnreadable,
                        "The file '\(BundlePath.quoted(full))' cannot be read; check its permissions.")
                }
                guard data.count == stamp.size else { throw Self.changing(root) }
                try files.add(file: name, bytes: Array(data))
            default:
                let kind = type == .typeSymbolicLink ? "a symbolic link" : "not a regular file or directory"
                throw BundleError(
                    .archiveUnsafe,
                    "'\(BundlePath.quoted(full))' is \(kind); a bundle directory holds only regular files and "
                        + "directories, replace it with a copy of the file.")
            }
        }
    }
}
