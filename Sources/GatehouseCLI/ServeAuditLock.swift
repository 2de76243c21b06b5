import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one-writer lock of a decision log: an exclusive `flock(2)` on `STORE.lock`, held by one
/// `gatehouse serve` for as long as it writes the store.
///
/// Two servers started in the same directory without a configuration share the default store,
/// the instance id and its key: both would append to one instance's Merkle tree and sign
/// checkpoints of trees the other never saw, and `audit verify` would call the log tampered. The
/// second one refuses to start instead. The kernel drops the lock when the process ends, however
/// it ends (`kill -9` included), so a stale lock file never blocks a restart; the file holds the
/// holder's pid only for the message.
final class ServeAuditLock: Sendable {
    /// The lock file, beside the store.
    let path: String
    private let descriptor: Int32

    /// Takes the lock of `store` without waiting.
    ///
    /// - Parameter store: The decision log file (`audit.store`).
    /// - Throws: ``ConfigurationProblem`` naming the store, the lock file, the holder's pid and
    ///   the fix when another process holds it, or why the lock file cannot be opened.
    init(store: String) throws(ConfigurationProblem) {
        let path = store + ".lock"
        // O_CLOEXEC: a child process must not inherit (and so keep holding) the lock.
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ConfigurationProblem(
                "audit.store '\(store)': the lock file '\(path)' cannot be opened (\(String(cString: strerror(errno)))); "
                    + "make its folder writable or set audit.store to a writable place.")
        }
        var result: Int32
        repeat { result = flock(descriptor, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
        guard result == 0 else {
            let reason = errno
            let holder = Self.holder(descriptor)
            close(descriptor)
            guard reason == EWOULDBLOCK else {
                throw ConfigurationProblem(
                    "audit.store '\(store)': the lock file '\(path)' cannot be locked (\(String(cString: strerror(reason))))."
                )
            }
            throw ConfigurationProblem(
                "audit.store '\(store)': another gatehouse serve\(holder.map { " (pid \($0))" } ?? "") is writing this "
                    + "decision log (it holds '\(path)'); two writers would append to one instance's Merkle tree. "
                    + "Stop it, or give this server its own log: set audit.store (and audit.key) in its configuration "
                    + "or GATEHOUSE_AUDIT_STORE, or start it in another working directory.")
        }
        self.path = path
        self.descriptor = descriptor
        let pid = Array("\(getpid())\n".utf8)
        // Best effort: the pid only makes the next refusal's message more helpful.
        if ftruncate(descriptor, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) } }
    }

    deinit {
        close(self.descriptor)
    }

    /// The pid the holder wrote into the lock file, if it reads as one.
    private static func holder(_ descriptor: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
