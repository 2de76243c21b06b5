package import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A throwaway PostgreSQL server for the tests, started from Debian's PostgreSQL 15 binaries.
///
/// No mocks for PostgreSQL (issue #14): tests that need it call
/// ``withPostgresDatabase(_:isolation:_:)``, which hands them a fresh database of one server
/// shared by the whole test run. The server is made on first use: `initdb` into a temporary
/// directory, `postgres` started as a child on a free loopback port (listening on 127.0.0.1 only,
/// its socket in that directory, fsync off: nothing here must survive a crash), ready once
/// `pg_isready` says so. PostgreSQL refuses to run as
/// root, so as root both run as the `postgres` user (`setpriv`), in a directory that user owns.
/// When the test process exits, passed or failed, an `atexit` handler stops the server by its PID
/// (SIGINT, PostgreSQL's fast shutdown; SIGKILL if it lingers) and removes the directory.
///
/// Missing binaries are a failure, never a skip: the error names the Debian package
/// (`postgresql`), which `.ci/run` installs.
package struct TestPostgres: Sendable {
    /// The loopback port the server listens on.
    package var port: Int
    /// The postmaster's process id, by which the server is stopped.
    package var pid: Int32
    /// The server's directory: `data/` (the cluster), `server-PORT.log` and the socket.
    package var directory: URL

    /// Where Debian's `postgresql-15` package puts the server's programs.
    package static let binaries = URL(fileURLWithPath: "/usr/lib/postgresql/15/bin")

    /// A database made for one test.
    package struct Database: Sendable {
        /// The database's name.
        package var name: String
        /// The server it lives on.
        package var server: TestPostgres
        /// `postgres://postgres@127.0.0.1:PORT/NAME`, as `fleet.postgres` takes it.
        package var url: String { "postgres://postgres@127.0.0.1:\(self.server.port)/\(self.name)" }
    }

    /// Why the server could not be started or used; the message says what to do.
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// The shared server, started by the first caller; every later caller gets the same one.
    ///
    /// - Throws: ``Failure`` when the binaries are missing or the server does not start.
    package static func shared() async throws -> TestPostgres {
        try await Self.registry.server()
    }

    /// Makes an empty database named `<prefix>_<random>` on this server.
    package func makeDatabase(_ prefix: String) async throws -> Database {
        let name =
            "\(prefix.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "_" })_"
            + UUID().uuidString.prefix(8).lowercased()
        let output = try await ProcessRunner.run(
            Self.binaries.appendingPathComponent("createdb").path,
            ["-h", "127.0.0.1", "-p", String(self.port), "-U", "postgres", name], timeout: .seconds(30))
        guard output.status == 0 else {
            throw Failure(description: "createdb \(name) on 127.0.0.1:\(self.port) failed: \(output.combined)")
        }
        return Database(name: name, server: self)
    }

    /// Runs `sql` in `database` with `psql` (stopping at the first error), returning what it printed.
    ///
    /// For what a test does to the server from outside the code under test, such as ending a
    /// coordinator's connections with `pg_terminate_backend`.
    @discardableResult
    package func psql(_ sql: String, database: String) async throws -> String {
        let output = try await ProcessRunner.run(
            Self.binaries.appendingPathComponent("psql").path,
            [
                "-h", "127.0.0.1", "-p", String(self.port), "-U", "postgres", "-d", database, "-X", "-q", "-t", "-A",
                "-v", "ON_ERROR_STOP=1", "-c", sql,
            ],
            timeout: .seconds(30))
        guard output.status == 0 else {
            throw Failure(description: "psql on \(database) failed for '\(sql)': \(output.combined)")
        }
        return output.stdout
    }

    // MARK: - A server of the test's own

    /// Starts a server for the calling test alone, which it may stop and start again (a restart
    /// under load); like the shared one it is stopped by PID when the test process exits.
    ///
    /// - Throws: ``Failure`` when the binaries are missing or the server does not start.
    package static func makePrivate() async throws -> TestPostgres {
        try await Self.start()
    }

    /// PostgreSQL's fast shutdown (SIGINT to the postmaster, what `pg_ctl stop -m fast` sends):
    /// every session ends, then the server exits; returns once it has. The data directory stays,
    /// for ``restarted()``.
    ///
    /// - Throws: ``Failure`` when the server has not exited within 30 s (it is then killed).
    package func stopFast() async throws {
        Self.running.withLock { $0.removeAll { $0.pid == self.pid } }
        kill(self.pid, SIGINT)
        let deadline = ContinuousClock.now + .seconds(30)
        // The server is this process's child: reap it (a zombie would still answer kill(pid, 0)).
        while waitpid(self.pid, nil, WNOHANG) == 0 {
            guard ContinuousClock.now < deadline else {
                kill(self.pid, SIGKILL)
                waitpid(self.pid, nil, 0)
                throw Failure(description: "PostgreSQL (pid \(self.pid)) did not stop within 30 s of SIGINT; killed")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Starts the server again on the same data directory and port after ``stopFast()``.
    ///
    /// - Returns: The running server (its new PID).
    /// - Throws: ``Failure`` when it does not start, with its log.
    package func restarted() async throws -> TestPostgres {
        let log = self.directory.appendingPathComponent("server-\(self.port)-restarted.log")
        let process = try Self.launchPostgres(
            data: self.directory.appendingPathComponent("data").path, port: self.port, socketDirectory: self.directory,
            log: log, asPostgres: getuid() == 0)
        guard try await Self.waitUntilReady(port: self.port, process: process) else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw Failure(description: "PostgreSQL did not start again on port \(self.port):\n\(text)")
        }
        let server = TestPostgres(port: self.port, pid: process.processIdentifier, directory: self.directory)
        Self.running.withLock { $0.append(server) }
        return server
    }

    // MARK: - Starting and stopping

    private static let registry = Registry()

    /// Servers started by this process, stopped at its exit.
    private static let running = Mutex<[TestPostgres]>([])

    /// Starts one server, or throws with the reason and the server's log.
    fileprivate static func start() async throws -> TestPostgres {
        for program in ["initdb", "postgres", "pg_isready", "createdb", "psql"] {
            let path = Self.binaries.appendingPathComponent(program).path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw Failure(
                    description: """
                        PostgreSQL 15's \(program) is missing at \(path): the fleet tests start a throwaway \
                        PostgreSQL server from Debian's binaries. Install Debian's 'postgresql' package \
                        (apt-get install postgresql), as .ci/run does.
                        """)
            }
        }
        let isRoot = getuid() == 0
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gatehouse-postgres-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        if isRoot {
            guard let user = getpwnam("postgres") else {
                throw Failure(
                    description: """
                        running as root, the tests start PostgreSQL as the 'postgres' user, and there is none: \
                        install Debian's 'postgresql' package (apt-get install postgresql), which makes it.
                        """)
            }
            guard chown(directory.path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                throw Failure(description: "cannot hand \(directory.path) to the postgres user: errno \(errno)")
            }
        }
        let data = directory.appendingPathComponent("data").path
        let initdb = try await Self.runServerProgram(
            "initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
            asPostgres: isRoot)
        guard initdb.status == 0 else {
            throw Failure(description: "initdb into \(data) failed (status \(initdb.status)): \(initdb.combined)")
        }
        var attempts: [String] = []
        for _ in 0..<3 {
            let port = try FreePort.loopback()
            let log = directory.appendingPathComponent("server-\(port).log")
            let process = try Self.launchPostgres(
                data: data, port: port, socketDirectory: directory, log: log, asPostgres: isRoot)
            if try await Self.waitUntilReady(port: port, process: process) {
                let server = TestPostgres(port: port, pid: process.processIdentifier, directory: directory)
                Self.running.withLock { $0.append(server) }
                return server
            }
            // Another process may have taken the free port first: try a new one.
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            let logText = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            attempts.append("port \(port): \(logText)")
        }
        try? FileManager.default.removeItem(at: directory)
        throw Failure(description: "PostgreSQL did not start in 3 attempts:\n\(attempts.joined(separator: "\n"))")
    }

    /// Starts `postgres` itself as this process's child, its output going to `log`.
    ///
    /// Not `pg_ctl start`: Foundation's `Process` learns that a child ended when a socket the
    /// child inherits closes, and the server pg_ctl leaves behind inherits it too, so waiting for
    /// pg_ctl never ended (the test hung with pg_ctl a zombie). As a direct child the server is
    /// stopped by its PID, and readiness is `pg_isready`'s.
    private static func launchPostgres(
        data: String, port: Int, socketDirectory: URL, log: URL, asPostgres: Bool
    ) throws -> Process {
        let postgres = Self.binaries.appendingPathComponent("postgres").path
        let arguments = [
            "-D", data, "-p", String(port), "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=\(socketDirectory.path)", "-c", "fsync=off", "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off", "-c", "max_connections=200",
        ]
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        defer { try? output.close() }
        let process = Process()
        if asPostgres {
            // setpriv execs postgres as the postgres user: the child's PID is the server's.
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=postgres", "--regid=postgres", "--init-groups", postgres] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: postgres)
            process.arguments = arguments
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start \(postgres): \(error)")
        }
        return process
    }

    /// Asks `pg_isready` every 50 ms for up to 30 s; `false` when the server exited instead.
    private static func waitUntilReady(port: Int, process: Process) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { return false }
            let ready = try await ProcessRunner.run(
                Self.binaries.appendingPathComponent("pg_isready").path,
                ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-t", "1"], timeout: .seconds(10))
            if ready.status == 0 { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Runs one of PostgreSQL's programs, as the `postgres` user when the tests run as root.
    private static func runServerProgram(
        _ program: String, _ arguments: [String], asPostgres: Bool
    ) async throws -> ProcessRunner.Output {
        let path = Self.binaries.appendingPathComponent(program).path
        if asPostgres {
            // setpriv execs the program itself as postgres; runuser would stay as a watching parent,
            // and its exit was seen to go unnoticed by Foundation's Process (a zombie, the test hung).
            return try await ProcessRunner.run(
                "/usr/bin/setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", path] + arguments,
                timeout: .seconds(90))
        }
        return try await ProcessRunner.run(path, arguments, timeout: .seconds(90))
    }

    /// Stops every server this process started, by PID, and removes their directories.
    ///
    /// Called by the `atexit` handler; synchronous, since the process is ending.
    fileprivate static func stopAll() {
        let servers = Self.running.withLock { servers in
            defer { servers.removeAll() }
            return servers
        }
        for server in servers { server.stop() }
    }

    /// Fast shutdown (SIGINT), up to 10 s for it to exit, then SIGKILL; then the directory goes.
    private func stop() {
        kill(self.pid, SIGINT)
        var waited = 0
        // The server is this process's child: reap it (a zombie would still answer kill(pid, 0)).
        while waitpid(self.pid, nil, WNOHANG) == 0, waited < 1_000 {
            usleep(10_000)
            waited += 1
        }
        if waited == 1_000 {
            kill(self.pid, SIGKILL)
            waitpid(self.pid, nil, 0)
        }
        try? FileManager.default.removeItem(at: self.directory)
    }

    /// Starts the shared server once, however many tests ask at the same time.
    private actor Registry {
        private enum State {
            case idle
            case starting([CheckedContinuation<TestPostgres, any Error>])
            case ready(TestPostgres)
            case failed(any Error)
        }

        private var state = State.idle

        func server() async throws -> TestPostgres {
            switch self.state {
            case .ready(let server): return server
            case .failed(let error): throw error
            case .starting(var waiting):
                return try await withCheckedThrowingContinuation { continuation in
                    waiting.append(continuation)
                    self.state = .starting(waiting)
                }
            case .idle:
                self.state = .starting([])
                atexit { TestPostgres.stopAll() }
                let result: Swift.Result<TestPostgres, any Error>
                do {
                    result = .success(try await TestPostgres.start())
                } catch {
                    result = .failure(error)
                }
                guard case .starting(let waiting) = self.state else { preconditionFailure("started twice") }
                switch result {
                case .success(let server): self.state = .ready(server)
                case .failure(let error): self.state = .failed(error)
                }
                for continuation in waiting { continuation.resume(with: result) }
                return try result.get()
            }
        }
    }
}

/// Runs `body` with a fresh database on the shared test PostgreSQL server (``TestPostgres``).
///
/// - Parameters:
///   - prefix: Names the database (`<prefix>_<random>`), for whoever reads the server's log.
///   - isolation: The caller's actor, on which `body` runs.
///   - body: The work, given the database and its URL.
/// - Throws: ``TestPostgres/Failure`` when PostgreSQL is missing or does not start, or what `body` throws.
package func withPostgresDatabase<Result>(
    _ prefix: String,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (TestPostgres.Database) async throws -> Result
) async throws -> Result {
    let server = try await TestPostgres.shared()
    let database = try await server.makeDatabase(prefix)
    return try await body(database)
}
