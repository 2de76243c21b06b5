import Foundation

/// Every path below a directory with its size and modification time: what the watcher compares
/// where inotify is unavailable.
enum DirectoryFingerprint {
    struct Entry: Hashable {
        var path: String
        var size: UInt64
        var modified: Double
    }

    /// The entries below `directory`, sorted by path; empty when it cannot be listed.
    static func of(_ directory: String) -> [Entry] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var entries: [Entry] = []
        for case let relative as String in enumerator {
            let attributes = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + relative)) ?? [:]
            entries.append(
                Entry(
                    path: relative, size: (attributes[.size] as? NSNumber)?.uint64Value ?? 0,
                    modified: (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0))
        }
        return entries.sorted { $0.path < $1.path }
    }
}
