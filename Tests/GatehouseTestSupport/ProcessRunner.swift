package import Foundation

/// Runs a command to completion and captures its standard output and standard error separately.
///
/// Both pipes (and the input, when there is one) are served by one `poll(2)` loop, so a child
/// that fills one pipe while the test is still reading the other cannot block: reading stdout to
/// its end before touching stderr deadlocks as soon as the child writes more than a pipe's
/// buffer (64 KiB on Linux) to stderr. A child that does not finish within its timeout is killed,
/// so a hung command fails its test instead of hanging the whole run.
package enum ProcessRunner {
    /// What a finished command printed, and how it exited.
    package struct Output: Sendable {
        /// The exit status, or 128 + the signal for a signalled child (as a shell reports it).
        package var status: Int32
        package var stdout: String
        package var stderr: String

        /// Standard output followed by standard error, for messages and `contains` checks.
        package var combined: String { self.stdout + self.stderr }
    }

    /// A failure to start the command, or a command that did not finish in time.
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// ``run(_:_:environment:directory:input:timeout:)`` for async callers, on a thread of its own.
    ///
    /// Waiting for a child blocks its thread. From a task, that thread is one of the cooperative
    /// pool's, which on a 2-core machine has two: two tests waiting for children (a `gatehouse
    /// admin` call to an unreachable server waits 10 s) starved every other suite's tasks, and
    /// their gRPC calls missed their deadlines. Async code therefore gets this overload, which
    /// the compiler picks wherever `await` is possible.
    package static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        directory: URL? = nil,
        input: String? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        try Self.runBlocking(
                            executable, arguments, environment: environment, directory: directory, input: input,
                            timeout: timeout)
                    })
            }
        }
    }

    /// Runs `executable` with `arguments` and waits for it to exit.
    ///
    /// - Parameters:
    ///   - executable: The path of the program.
    ///   - arguments: Its arguments, without the program name.
    ///   - environment: Variables added to (or replacing) the test process's own.
    ///   - directory: The working directory; the test process's own when `nil`.
    ///   - input: Written to the child's standard input, which is then closed; `nil` gives the
    ///     child an empty standard input.
    ///   - timeout: How long the child may run; after that it is killed with SIGKILL.
    /// - Returns: The exit status and everything the child printed.
    /// - Throws: ``Failure`` when the command cannot start or does not finish within `timeout`.
    package static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        directory: URL? = nil,
        input: String? = nil,
        timeout: Duration = .seconds(60)
    ) throws -> Output {
        try Self.runBlocking(
            executable, arguments, environment: environment, directory: directory, input: input, timeout: timeout)
    }

    private static func runBlocking(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String],
        directory: URL?,
        input: String?,
        timeout: Duration
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let directory { process.currentDirectoryURL = directory }
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        // Close-on-exec on every end: Foundation dup2s the child's ends onto 0-2 (which clears the
        // flag there), and no other child spawned meanwhile inherits them. Without it a server
        // started by another test kept a finished script's stdout open, and its reader waited.
        for pipe in [stdout, stderr, stdin] {
            for handle in [pipe.fileHandleForReading, pipe.fileHandleForWriting] {
                let descriptor = handle.fileDescriptor
                _ = fcntl(descriptor, F_SETFD, fcntl(descriptor, F_GETFD) | FD_CLOEXEC)
            }
        }
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        let deadline = ContinuousClock.now + timeout
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start \(executable): \(error)")
        }
        // `run()` has closed our copies of the child's ends, so each read below ends at the child's exit.
        let streams = Self.withoutSIGPIPE {
            Self.exchange(
                input: Array((input ?? "").utf8), stdin: stdin.fileHandleForWriting,
                stdout: stdout.fileHandleForReading.fileDescriptor,
                stderr: stderr.fileHandleForReading.fileDescriptor, deadline: deadline)
        }
        let printed = (
            stdout: String(decoding: streams.stdout, as: UTF8.self),
            stderr: String(decoding: streams.stderr, as: UTF8.self)
        )
        if streams.isTimedOut {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw Failure(
                description: """
                    \(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout) \
                    and was killed; it printed:
                    \(printed.stdout)\(printed.stderr)
                    """)
        }
        process.waitUntilExit()
        let status =
            process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
        return Output(status: status, stdout: printed.stdout, stderr: printed.stderr)
    }

    /// Writes `input` and reads both outputs until each reaches end-of-file, whichever is ready
    /// first, or until `deadline`.
    private static func exchange(
        input: [UInt8], stdin handle: FileHandle, stdout: Int32, stderr: Int32, deadline: ContinuousClock.Instant
    ) -> (stdout: [UInt8], stderr: [UInt8], isTimedOut: Bool) {
        let stdin = handle.fileDescriptor
        // Closed through the handle, which then knows not to close the descriptor again.
        defer { try? handle.close() }
        // POLLOUT promises room for some bytes, not for all of them: a blocking write of the rest
        // would wait for the child to read while the child waits for us to read its output.
        _ = fcntl(stdin, F_SETFL, fcntl(stdin, F_GETFL) | O_NONBLOCK)
        var collected: [Int32: [UInt8]] = [stdout: [], stderr: []]
        var open: Set<Int32> = [stdout, stderr]
        var written = 0
        var writing = true
        if input.isEmpty {
            try? handle.close()
            writing = false
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !open.isEmpty {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return (collected[stdout] ?? [], collected[stderr] ?? [], true) }
            var descriptors = open.sorted().map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if writing { descriptors.append(pollfd(fd: stdin, events: Int16(POLLOUT), revents: 0)) }
            guard poll(&descriptors, nfds_t(descriptors.count), Self.milliseconds(remaining)) >= 0 else {
                if errno == EINTR { continue }
                break
            }
            for descriptor in descriptors where descriptor.revents != 0 {
                if descriptor.fd == stdin {
                    let count = input[written...].withUnsafeBytes { write(stdin, $0.baseAddress, $0.count) }
                    if count > 0 { written += count }
                    if (count < 0 && errno != EINTR && errno != EAGAIN) || written == input.count {
                        try? handle.close()
                        writing = false
                    }
                    continue
                }
                let count = buffer.withUnsafeMutableBytes { read(descriptor.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    collected[descriptor.fd, default: []].append(contentsOf: buffer[0..<count])
                } else if count == 0 || errno != EINTR {
                    open.remove(descriptor.fd)
                }
            }
        }
        return (collected[stdout] ?? [], collected[stderr] ?? [], false)
    }

    /// `duration` as `poll(2)`'s timeout, rounded up so that the loop never spins on a zero timeout.
    private static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        return Int32(clamping: seconds * 1_000 + attoseconds / 1_000_000_000_000_000 + 1)
    }

    /// Runs `body` with SIGPIPE blocked on this thread, discarding one that `body` raised.
    ///
    /// A child that exits without reading its input makes the next write fail with EPIPE, which
    /// the loop handles; the signal that comes with it would otherwise end the test process.
    /// Blocking it on this thread alone, rather than ignoring it process-wide and restoring the
    /// old handler afterwards, cannot race with a parallel test doing the same, and the children
    /// other tests start meanwhile do not inherit an ignored SIGPIPE.
    private static func withoutSIGPIPE<Result>(_ body: () -> Result) -> Result {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        var pending = sigset_t()
        sigpending(&pending)
        let wasPending = sigismember(&pending, SIGPIPE) == 1
        defer {
            sigpending(&pending)
            if !wasPending, sigismember(&pending, SIGPIPE) == 1 {
                var signal: Int32 = 0
                sigwait(&pipeSignal, &signal)
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        return body()
    }
}
