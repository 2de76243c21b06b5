import Foundation
import Synchronization

/// A long-running child process whose output goes to a log file, stopped when the test is done.
///
/// Commands that run to completion go through ``ProcessRunner`` instead, which captures their
/// output through pipes.
///
/// Spawned with `posix_spawn` and reaped with `waitpid(WNOHANG)`: Foundation's `Process`
/// does not notice a child's exit on Linux without a run loop.
final class ChildProcess: Sendable {
    let name: String
    let logFile: URL
    let pid: pid_t
    private let status = Mutex<Int32?>(nil)

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), looked up at run time: Swift's
    /// Glibc module does not declare it.
    private static let closeFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: CloseFrom.self)
    }

    /// Starts `executable` with `arguments`, writing stdout and stderr to `logFile`.
    init(name: String, executable: String, arguments: [String], logFile: URL) throws {
        self.name = name
        self.logFile = logFile
        let descriptor = open(logFile.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ChildProcessError(message: "cannot create \(logFile.path)") }
        defer { close(descriptor) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, descriptor, 1)
        posix_spawn_file_actions_adddup2(&actions, descriptor, 2)
        // Nothing else of the test process reaches the child: a pipe another test's child writes
        // to, inherited by a long-lived server, would keep that pipe open and its reader waiting
        // (a provisioning run waited on a finished script until the servers exited: a deadlock).
        if let closeFrom = Self.closeFrom { _ = closeFrom(&actions, 3) }
        // The test runner blocks some signals; a child would inherit that and ignore SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else { throw ChildProcessError(message: "cannot start \(executable): error \(result)") }
        self.pid = pid
    }

    /// Whether the child is still running; reaps it once it has exited.
    var isRunning: Bool {
        self.status.withLock { status in
            if status != nil { return false }
            var raw: Int32 = 0
            guard waitpid(self.pid, &raw, WNOHANG) == self.pid else { return true }
            // WIFEXITED/WEXITSTATUS by hand: the C macros are not imported.
            status = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            return false
        }
    }

    /// The exit status (128 + signal for a signalled child), once exited.
    var exitStatus: Int32 { self.status.withLock { $0 } ?? -1 }

    var log: String { (try? String(contentsOf: self.logFile, encoding: .utf8)) ?? "" }

    /// Waits until the log contains `text` (polling: the child is another process), or throws after `timeout`.
    func waitForLog(_ text: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if self.log.contains(text) { return }
            guard self.isRunning else {
                throw ChildProcessError(
                    message: "\(self.name) exited (\(self.exitStatus)) before logging '\(text)':\n\(self.log)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ChildProcessError(message: "\(self.name) did not log '\(text)' within \(timeout):\n\(self.log)")
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status.
    @discardableResult
    func terminate(timeout: Duration = .seconds(15)) async -> Int32 {
        guard self.isRunning else { return self.exitStatus }
        Foundation.kill(self.pid, SIGTERM)
        return await self.waitForExit(timeout: timeout)
    }

    /// Sends SIGKILL: the process gets no chance to clean up.
    func kill() async {
        guard self.isRunning else { return }
        Foundation.kill(self.pid, SIGKILL)
        _ = await self.waitForExit(timeout: .seconds(10))
    }

    private func waitForExit(timeout: Duration) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while self.isRunning, ContinuousClock.now < deadline { await Self.pause() }
        if self.isRunning {
            Foundation.kill(self.pid, SIGKILL)
            while self.isRunning { await Self.pause() }
        }
        return self.exitStatus
    }

    /// Waits 10 ms between polls of the child, even in a cancelled task.
    ///
    /// Stopping is cleanup: a test cancelled by its time limit must still wait for its children
    /// to exit, and `Task.sleep` would return at once there and turn the wait into a busy loop.
    private static func pause() async {
        do {
            try await Task.sleep(for: .milliseconds(10))
        } catch {
            usleep(10_000)
        }
    }

    deinit {
        // The last resort for a child whose test never stopped it; reaped so no zombie stays behind.
        guard self.isRunning else { return }
        Foundation.kill(self.pid, SIGKILL)
        var raw: Int32 = 0
        waitpid(self.pid, &raw, 0)
    }
}

struct ChildProcessError: Error, CustomStringConvertible {
    var message: String
    var description: String { self.message }
}
