import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `kept.json`, the bundle store's list of committed copies, newest first, shared by every
/// process that opens the same store.
///
/// Changes are read-modify-write under an exclusive `flock(2)` on `.lock`, and the file is
/// replaced by a rename, so a reader without the lock sees the old list or the new one, and two
/// servers committing at once both land.
struct BundleStoreIndex: Sendable {
    /// One committed copy.
    struct Record: Codable, Hashable, Sendable {
        var id: String
        var revision: String
        var committedAt: String
    }

    let root: String

    private var path: String { self.root + "/kept.json" }
    private var lockPath: String { self.root + "/.lock" }

    /// The records, newest first; empty when the file is missing or unreadable.
    func read() -> [Record] {
        guard let bytes = FileManager.default.contents(atPath: self.path),
            let records = try? JSONDecoder().decode([Record].self, from: bytes)
        else { return [] }
        return records
    }

    /// Applies `change` to the records on disk under the lock and writes the result.
    func update(_ change: (inout [Record]) -> Void) throws(BundleError) -> [Record] {
        try self.withLock { () throws(BundleError) -> [Record] in
            var records = self.read()
            change(&records)
            do {
                try Data(BundleJSON.encode(records)).write(to: URL(fileURLWithPath: self.path), options: .atomic)
            } catch {
                throw BundleError(
                    .storeFailed,
                    "The bundle store's index '\(self.path)' cannot be written (\(error.localizedDescription)); "
                        + "check free space and permissions.")
            }
            return records
        }
    }

    private func withLock<Value>(_ body: () throws(BundleError) -> Value) throws(BundleError) -> Value {
        let descriptor = open(self.lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw BundleError(
                .storeFailed,
                "The bundle store's lock '\(self.lockPath)' cannot be opened (errno \(errno)); check permissions.")
        }
        // Closing the descriptor releases the lock.
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw BundleError(
                    .storeFailed, "The bundle store's lock '\(self.lockPath)' cannot be taken (errno \(errno)).")
            }
        }
        return try body()
    }
}
