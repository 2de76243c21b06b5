import GatehouseTestSupport
import Testing

/// The runner every process-driving test goes through: it must never deadlock on a chatty child,
/// and never leave a hung one behind.
@Suite("Running a child process to completion", .timeLimit(.minutes(1)))
struct ProcessRunnerTests {
    static let mebibyte = 1 << 20

    @Test("A child writing 1 MiB to stdout and 1 MiB to stderr finishes, and every byte arrives")
    func largeOutputOnBothStreams() throws {
        // Far past a pipe's 64 KiB: reading one stream to its end before the other would deadlock.
        let output = try ProcessRunner.run(
            "/bin/sh", ["-c", "head -c \(Self.mebibyte) /dev/zero; head -c \(Self.mebibyte) /dev/zero >&2; exit 3"])
        #expect(output.status == 3)
        #expect(output.stdout.utf8.count == Self.mebibyte)
        #expect(output.stderr.utf8.count == Self.mebibyte)
    }

    @Test("1 MiB of input echoed back while the child also writes stderr arrives whole")
    func largeInputEchoed() throws {
        // `cat` writes as it reads: writing all the input before reading any output would deadlock.
        let input = String(repeating: "gatehouse\n", count: Self.mebibyte / 10)
        let output = try ProcessRunner.run(
            "/bin/sh", ["-c", "head -c \(Self.mebibyte) /dev/zero >&2; cat"], input: input)
        #expect(output.status == 0)
        #expect(output.stdout == input)
        #expect(output.stderr.utf8.count == Self.mebibyte)
    }

    @Test("A child that exits without reading its input does not end the test process")
    func inputNeverRead() throws {
        let output = try ProcessRunner.run(
            "/bin/sh", ["-c", "exit 0"], input: String(repeating: "x", count: Self.mebibyte))
        #expect(output.status == 0)
    }

    @Test("A child killed by a signal reports 128 + the signal, as a shell would")
    func signalledChild() throws {
        let output = try ProcessRunner.run("/bin/sh", ["-c", "kill -KILL $$"])
        #expect(output.status == 128 + 9)
    }

    @Test("A child that outlives its timeout is killed and reported with what it printed")
    func timeout() throws {
        let start = ContinuousClock.now
        let failure = try #require(throws: ProcessRunner.Failure.self) {
            try ProcessRunner.run("/bin/sh", ["-c", "echo started; exec sleep 60"], timeout: .milliseconds(500))
        }
        #expect(failure.description.contains("did not finish within"), "\(failure)")
        #expect(failure.description.contains("started"), "what it printed before the timeout is kept")
        #expect(ContinuousClock.now - start < .seconds(30))
    }
}
