import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Tells when a policy directory has changed and then been quiet for ``quietPeriod``, so a burst
/// of saves (an editor's write-rename-chmod, a `git pull`, an `rsync`) is one reload.
///
/// On Linux it reads inotify events for the directory and every subdirectory (watches are added
/// as directories appear, and again if the directory itself is replaced); elsewhere, or when
/// inotify is unavailable, it compares a fingerprint (paths, sizes, modification times) every
/// ``pollInterval``.
struct DirectoryWatcher: Sendable {
    let directory: String
    var quietPeriod: Duration = .milliseconds(300)
    var pollInterval: Duration = .seconds(1)
    /// How often inotify's queue is read.
    var tick: Duration = .milliseconds(50)

    /// Calls `changed` after each quiet period that follows a change, until cancelled; `changed`
    /// returns whether the change was taken (`false`: retry after the next quiet period).
    func run(_ changed: @Sendable () async -> Bool) async {
        #if canImport(Glibc)
            if let inotify = Inotify(directory: self.directory) {
                await self.debounce(every: self.tick, activity: { inotify.drain() }, changed)
                return
            }
        #endif
        let directory = self.directory
        var last = DirectoryFingerprint.of(directory)
        await self.debounce(
            every: self.pollInterval,
            activity: {
                let now = DirectoryFingerprint.of(directory)
                defer { last = now }
                return now != last
            }, changed)
    }

    /// Polls `activity` every `interval`; once some was seen and none for ``quietPeriod``, calls `changed`.
    private func debounce(
        every interval: Duration, activity: () -> Bool, _ changed: @Sendable () async -> Bool
    ) async {
        let clock = ContinuousClock()
        var pendingSince: ContinuousClock.Instant?
        while !Task.isCancelled {
            if activity() { pendingSince = clock.now }
            if let since = pendingSince, clock.now - since >= self.quietPeriod {
                pendingSince = await changed() ? nil : clock.now
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }
}

#if canImport(Glibc)
    /// An inotify descriptor watching a directory tree; not thread-safe, owned by one watcher loop.
    private final class Inotify: @unchecked Sendable {
        private let descriptor: Int32
        private let root: String
        private var watches: [Int32: String] = [:]
        private static let mask: UInt32 =
            UInt32(IN_CREATE) | UInt32(IN_DELETE) | UInt32(IN_MODIFY) | UInt32(IN_CLOSE_WRITE)
            | UInt32(IN_MOVED_FROM) | UInt32(IN_MOVED_TO) | UInt32(IN_ATTRIB) | UInt32(IN_DELETE_SELF)
            | UInt32(IN_MOVE_SELF)

        init?(directory: String) {
            let descriptor = inotify_init1(Int32(IN_NONBLOCK) | Int32(IN_CLOEXEC))
            guard descriptor >= 0 else { return nil }
            self.descriptor = descriptor
            self.root = directory
            self.addWatches()
        }

        deinit { close(self.descriptor) }

        /// Reads every queued event; returns whether there was any.
        func drain() -> Bool {
            var sawEvent = false
            var rescan = self.watches.isEmpty
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(self.descriptor, $0.baseAddress, $0.count) }
                guard count > 0 else { break }
                sawEvent = true
                var offset = 0
                while offset + 16 <= count {
                    let (watch, mask, length) = buffer.withUnsafeBytes { bytes in
                        (
                            bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                            bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                            Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                        )
                    }
                    if mask & UInt32(IN_ISDIR) != 0 { rescan = true }
                    if mask & UInt32(IN_IGNORED) != 0 {
                        self.watches[watch] = nil
                        rescan = true
                    }
                    offset += 16 + length
                }
            }
            if rescan {
                let before = self.watches.count
                self.addWatches()
                // The directory appeared (or was replaced): that is a change too.
                if before == 0 && !self.watches.isEmpty { sawEvent = true }
            }
            return sawEvent
        }

        /// Watches the root and every directory below it (adding a watch twice is harmless).
        private func addWatches() {
            var directories = [self.root]
            if let enumerator = FileManager.default.enumerator(atPath: self.root) {
                for case let relative as String in enumerator {
                    var isDirectory: ObjCBool = false
                    let path = self.root + "/" + relative
                    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                        directories.append(path)
                    }
                }
            }
            for path in directories {
                let watch = inotify_add_watch(self.descriptor, path, Self.mask)
                if watch >= 0 { self.watches[watch] = path }
            }
        }
    }
#endif
