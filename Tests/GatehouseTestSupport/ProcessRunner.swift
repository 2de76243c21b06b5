package import Foundation

/// Runs a command to completion and captures its standard output and standard error separately.
///
/// Both pipes (and the input, when there is one) are served by one `poll(2)` loop, so a child
/// that fills one pipe while the test is still reading the other cannot block: reading stdout to
/// its end before touching stderr deadlocks as soon as the child writes more than a pipe's
/// buffer (64 KiB on Linux) to stderr.
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

    /// A failure to start the command or to talk to it.
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
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
    /// - Returns: The exit status and everything the child printed.
    /// - Throws: ``Failure`` when the command cannot start.
    package static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        directory: URL? = nil,
        input: String? = nil
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
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start \(executable): \(error)")
        }
        // `run()` has closed our copies of the child's ends, so each read below ends at the child's exit.
        let streams = Self.exchange(
            input: Array((input ?? "").utf8), stdin: stdin.fileHandleForWriting,
            stdout: stdout.fileHandleForReading.fileDescriptor, stderr: stderr.fileHandleForReading.fileDescriptor)
        process.waitUntilExit()
        let status =
            process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
        return Output(
            status: status, stdout: String(decoding: streams.stdout, as: UTF8.self),
            stderr: String(decoding: streams.stderr, as: UTF8.self))
    }

    /// Writes `input` and reads both outputs until each reaches end-of-file, whichever is ready first.
    private static func exchange(
        input: [UInt8], stdin handle: FileHandle, stdout: Int32, stderr: Int32
    ) -> (stdout: [UInt8], stderr: [UInt8]) {
        let stdin = handle.fileDescriptor
        // Closed through the handle, which then knows not to close the descriptor again.
        defer { try? handle.close() }
        var collected: [Int32: [UInt8]] = [stdout: [], stderr: []]
        var open: Set<Int32> = [stdout, stderr]
        var written = 0
        var writing = true
        // A child that exits without reading its input must not kill the test with SIGPIPE.
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        if input.isEmpty {
            try? handle.close()
            writing = false
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !open.isEmpty {
            var descriptors = open.sorted().map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if writing { descriptors.append(pollfd(fd: stdin, events: Int16(POLLOUT), revents: 0)) }
            guard poll(&descriptors, nfds_t(descriptors.count), -1) >= 0 else {
                if errno == EINTR { continue }
                break
            }
            for descriptor in descriptors where descriptor.revents != 0 {
                if descriptor.fd == stdin {
                    let count = input[written...].withUnsafeBytes { write(stdin, $0.baseAddress, $0.count) }
                    if count > 0 { written += count }
                    if count < 0 || written == input.count {
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
        return (collected[stdout] ?? [], collected[stderr] ?? [])
    }
}
